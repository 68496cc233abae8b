"""docs/background-work.md names every job that runs on a clock."""

from __future__ import annotations

from pathlib import Path

from huey.contrib.djhuey import HUEY

from leadqual.config.background import load_tasks

DOC = Path(__file__).resolve().parents[2] / "docs" / "background-work.md"


def test_every_job_on_a_clock_has_a_row_in_the_background_work_table() -> None:
    load_tasks()
    names = {task.name for task in HUEY._registry.periodic_tasks}
    rows = DOC.read_text(encoding="utf-8").splitlines()
    assert names
    undocumented = {
        name for name in names if not any(row.startswith(f"| `{name}`") for row in rows)
    }
    assert not undocumented, f"not in docs/background-work.md: {sorted(undocumented)}"
