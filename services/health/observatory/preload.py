"""The HSTS preload list as the Observatory uses it (``src/analyzer/hsts.js`` at v1.6.3): a host is
preloaded when it is on Chromium's list in force-https mode, or a parent domain is and includes
subdomains.

The Observatory downloads Chromium's ``transport_security_state_static.json`` when it is installed
(its npm package ships only the downloader); here the list comes from the ``hstspreload`` package,
a snapshot of the same Chromium file (force-https entries), so its date can lag the Observatory's.
"""

from __future__ import annotations

import functools
import warnings


@functools.lru_cache(maxsize=4096)
def is_preloaded(host: str) -> bool:
    host = host.strip().lower().rstrip(".")
    if not host or host.replace(".", "").isdigit() or ":" in host:
        return False  # IP addresses are never on the list
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # it opens its table with a deprecated call
        import hstspreload  # a 1 MB table: loaded on first use, off the start-up path

        return bool(hstspreload.in_hsts_preload(host))


def list_version() -> str:
    try:
        from importlib.metadata import version

        return version("hstspreload")
    except Exception:
        return "unknown"
