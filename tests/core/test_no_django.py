"""The domain core is plain Python: importing it never pulls in Django."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import leadqual.core

_PROBE = """
import importlib, json, pkgutil, sys
import leadqual.core

names = sorted(
    info.name
    for info in pkgutil.walk_packages(leadqual.core.__path__, "leadqual.core.")
)
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "modules": names,
    "django": sorted(m for m in sys.modules if m.split(".")[0] == "django"),
}))
"""


def _core_module_names() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(leadqual.core.__path__, "leadqual.core.")
    )


def test_core_modules_are_discovered() -> None:
    names = _core_module_names()
    assert "leadqual.core.scoring" in names
    assert "leadqual.core.model_file" in names


def test_importing_every_core_module_does_not_import_django() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["modules"] == _core_module_names()
    assert report["django"] == [], (
        f"leadqual.core imported Django modules: {report['django']}"
    )
