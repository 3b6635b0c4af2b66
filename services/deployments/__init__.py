"""Deployments: Vercel deployments per environment (list, inspect, promote, instant rollback, redeploy,
cancel, security grade), GitHub Actions runs of the deploy workflow, Prisma migration status and
Cloudflare cache purge. Qt-free; the console's Deployments screen and ``realtor-ops deploy|ci|
migrations|cache`` call the same functions."""
