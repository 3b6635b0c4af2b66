"""Environments: `.env` parsing (as Next.js reads it), import and export, edits of settings and
secrets, drift between environments, connection tests."""
