"""The predictive library is plain Python: importing it never pulls in Django."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import leadqual.predictive

_PROBE = """
import importlib, json, pkgutil, sys
import leadqual.predictive

names = sorted(
    info.name
    for info in pkgutil.walk_packages(leadqual.predictive.__path__, "leadqual.predictive.")
)
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "modules": names,
    "django": sorted(m for m in sys.modules if m.split(".")[0] == "django"),
}))
"""


def test_importing_every_predictive_module_does_not_import_django() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    expected = sorted(
        info.name
        for info in pkgutil.walk_packages(
            leadqual.predictive.__path__, "leadqual.predictive."
        )
    )
    assert report["modules"] == expected
    assert "leadqual.predictive.model" in expected
    assert report["django"] == [], (
        f"leadqual.predictive imported Django: {report['django']}"
    )
