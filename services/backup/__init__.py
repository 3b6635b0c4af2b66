"""Database backups: streamed pg_dump to S3/R2, the catalog, verification, restore, retention, schedule.

Modules, in the order data flows: ``pg_tools`` (client programs that fit the server, connections,
secrets for children), ``store`` (the bucket layout, with ``multipart``: the upload of one archive),
``manifest``, ``dump_stream`` (create; ``preflight``: what it will read), ``locks`` (one backup or restore
at a time), ``catalog`` (list, freshness, cleanup), ``verify``, ``restore`` (with ``restore_target``: whose
database a target is; ``restore_plan``: what is restored), ``retention`` (prune, lifecycle), ``schedule``.
Beside them: ``supabase`` (is it one?), ``passfile`` (dead runs' password files).
"""
