"""The platform's live configuration against the seed (``realtor-ops config diff``, the Environments
screen's Configuration tab). Read-only; never imports Qt."""

from services.config_drift.model import (
    TABLE_HEADERS,
    ConfigDiffRequest,
    ConfigItem,
    ConfigReport,
    Kind,
    SourceFailure,
    Status,
)
from services.config_drift.service import config_diff

__all__ = ["TABLE_HEADERS", "ConfigDiffRequest", "ConfigItem", "ConfigReport", "Kind", "SourceFailure", "Status", "config_diff"]
