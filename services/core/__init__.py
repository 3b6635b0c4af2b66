"""What every domain shares: the workspace model and its TOML, credentials (OS keyring), the audit
log, the production guard, the operation contract, errors, progress, child processes, logging, crash
reports, settings, units and the atomic file writer. Depends on nothing else in ``services``."""
