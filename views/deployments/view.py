"""Deployments: planned; says what it will hold until its issue is built."""

from views.base import PlannedView


class DeploymentsView(PlannedView):
    key = "deployments"
    title = "Deployments"
    planned = (
        "Vercel deployments per environment: state, commit, branch, author, age, duration, URL; "
        "the current production deployment marked",
        "Inspect a deployment with its build events; promote, instant rollback (caveats first), redeploy, cancel",
        "GitHub Actions runs of the deploy workflow with their jobs; trigger and re-run",
        "Prisma migration status from _prisma_migrations (applied, failed, rolled back)",
        "Smoke check of a deployment's URL; Cloudflare cache purge",
    )
