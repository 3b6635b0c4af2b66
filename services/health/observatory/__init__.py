"""The Mozilla HTTP Observatory's scan, re-implemented: mdn/mdn-http-observatory v1.6.3, scoring
algorithm 5 (commit 22e088df69a0d8734bd8f6ffad8a7ff97da8ddb8). Each module cites the source file
whose rules it follows; the code is this project's own.

``fetch`` lives in ``services.health.page_fetch``; everything here is pure: a :class:`ScanInput`
(the responses a scan saw) goes in, a :class:`ScanReport` (ten test results, score, grade) comes out.
"""

from services.health.observatory.grader import ScanReport, TestResult, analyze, grade_for
from services.health.observatory.model import (
    ALGORITHM_VERSION,
    OBSERVATORY_COMMIT,
    OBSERVATORY_VERSION,
    Hop,
    ScanInput,
    SeenResponse,
)

__all__ = [
    "ALGORITHM_VERSION",
    "OBSERVATORY_COMMIT",
    "OBSERVATORY_VERSION",
    "Hop",
    "ScanInput",
    "ScanReport",
    "SeenResponse",
    "TestResult",
    "analyze",
    "grade_for",
]
