"""docs/predictive.md keeps up with the library."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadqual.predictive import LeakReason
from leadqual.predictive.storage import MARKER, MODEL_FORMAT

DOC = (Path(__file__).resolve().parents[2] / "docs" / "predictive.md").read_text(
    encoding="utf-8"
)


@pytest.mark.parametrize("reason", list(LeakReason), ids=str)
def test_every_leak_reason_is_documented(reason: LeakReason) -> None:
    assert f"| `{reason.value}` |" in DOC


def test_the_model_file_format_and_marker_are_documented() -> None:
    assert f"MODEL_FORMAT = {MODEL_FORMAT}" in DOC
    assert f"`{MARKER}`" in DOC


@pytest.mark.parametrize("action", ["train", "predict", "evaluate"])
def test_every_model_action_is_documented(action: str) -> None:
    assert f"leadqual model {action} " in DOC
