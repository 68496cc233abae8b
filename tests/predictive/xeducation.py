"""The X Education lead data in ../shared/data, as the tests that read it need it.

The file is never copied into the repository (its licence does not allow it),
so a test without it skips, except under CI, which provides the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# What ../shared/data/README.md calls filled in by sales after contact, or
# describing the state at export time: the leakage guard must flag exactly these.
POST_CONTACT = frozenset(
    {
        "Tags",
        "Lead Quality",
        "Lead Profile",
        "Last Activity",
        "Last Notable Activity",
        "Asymmetrique Activity Index",
        "Asymmetrique Profile Index",
        "Asymmetrique Activity Score",
        "Asymmetrique Profile Score",
    }
)


def xeducation_file() -> Path:
    """The data file; skips the test when it is missing (fails it under CI)."""
    source = SHARED_DATA / "xeducation_leads.csv"
    if not source.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{source} is missing; CI provides ../shared/data.")
        pytest.skip(f"{source} is missing (the shared data folder is not here).")
    return source
