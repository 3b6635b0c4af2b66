"""The sandbox's own configuration that ``config diff`` reads outside the provider stand-ins: the files
buckets' lifecycle rules and the staging site's headers. Like a real platform, it has drifted from the
seed: temporary files are kept 14 days instead of 7, the backup buckets have no expiry rule until
``backup lifecycle --apply`` sets one, and staging sends X-DNS-Prefetch-Control 'off' (a header no grade
counts, so the Health screen stays as it was)."""

from __future__ import annotations

from typing import Any

from services.core.workspace import Environment

FILES_RULES: list[dict[str, Any]] = [
    {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 90}},
    {"ID": "expire-temp", "Status": "Enabled", "Filter": {"Prefix": "temp/"}, "Expiration": {"Days": 14}},
]
STAGING_HEADER = ("X-DNS-Prefetch-Control", "off")


def put_files_lifecycle(client: Any, env: Environment) -> None:
    """The files bucket's lifecycle rules (an S3 client of the sandbox's endpoint)."""
    client.put_bucket_lifecycle_configuration(Bucket=env.storage.files_bucket,
                                              LifecycleConfiguration={"Rules": FILES_RULES})


def drift_platform(name: str, standin: Any) -> None:
    """The platform stand-in of environment ``name`` as the sandbox serves it."""
    if name == "staging":
        standin.override_header(*STAGING_HEADER)
