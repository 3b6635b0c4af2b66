"""What every screen shares about talking to PostgreSQL and Redis: one failure classifier per technology, so
that the same failure reads the same in Environments, Health and Backups and names its real cause."""
