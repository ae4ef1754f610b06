"""Tests that need a native library the project installs through the system, not pip.

They skip with the reason on a machine without it, and fail instead under REQUIRE_PDF=1
(CI sets it, so a missing library never passes silently there)."""

import os

import pytest


def _weasyprint_loads() -> bool:
    try:
        import weasyprint  # noqa: F401
    except OSError:
        return False
    return True


needs_weasyprint = pytest.mark.skipif(
    os.environ.get("REQUIRE_PDF") != "1" and not _weasyprint_loads(),
    reason="WeasyPrint needs Pango: apt-get install libpango-1.0-0 libpangoft2-1.0-0",
)
