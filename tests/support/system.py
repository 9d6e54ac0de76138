"""Optional system libraries of the tests: the test skips, saying what to install, when absent.

WeasyPrint (PDFs) loads Pango and HarfBuzz when imported; the browser tests need Debian's
chromium. `make test` installs them (scripts/system-deps) or prints the `sudo apt-get` line;
where they are still missing, the affected tests skip with the reason in pytest's summary.
Only a library that cannot be loaded skips: any other error from WeasyPrint is raised.
With TESTS_REQUIRE_SYSTEM=1 (.ci/run, where everything is installed) a missing library fails
the test instead of skipping it.
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from pathlib import Path

import pytest

INSTALL = "run `make system` (or the `sudo apt-get install` line it prints)"


def require(missing: str | None) -> None:
    """Skip the calling test (or module, at import) when `missing` names an absent library."""
    __tracebackhide__ = True  # pytest reports the skip at the caller's line
    if missing is None:
        return
    if os.environ.get("TESTS_REQUIRE_SYSTEM") == "1":
        pytest.fail(f"{missing} (TESTS_REQUIRE_SYSTEM=1)", pytrace=False)
    pytest.skip(missing, allow_module_level=True)


@cache
def weasyprint_missing() -> str | None:
    """Why WeasyPrint cannot make PDFs here, or None when its libraries are all present."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from weasyprint.text import ffi
        except OSError as error:  # a library WeasyPrint dlopens is absent
            return f"WeasyPrint cannot load its system libraries ({error}): {INSTALL}"
    for warning in caught:
        if "HarfBuzz-Subset" not in str(warning.message):
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    if ffi.harfbuzz_subset is None:
        return f"WeasyPrint lacks HarfBuzz-Subset (libharfbuzz-subset0): {INSTALL}"
    return None


def chromium_missing(chromium: Path) -> str | None:
    """Why the browser tests cannot run here, or None when `chromium` is present."""
    if chromium.exists():
        return None
    return f"{chromium} is missing (Debian's chromium): {INSTALL}"
