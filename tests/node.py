"""Node.js for the tests that run JavaScript: the packages of ``tests/js`` (its lock file),
installed with ``npm ci`` the first time a test needs them (``.ci/run`` installs them too)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

JS = Path(__file__).resolve().parent / "js"


def node_with(package: str) -> str:
    """The ``node`` executable, with ``tests/js/node_modules/<package>`` installed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "these tests need Node.js and npm (e.g. Debian's nodejs and npm packages)"
    if not (JS / "node_modules" / package).is_dir():
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"npm ci in {JS} failed:\n{done.stdout}\n{done.stderr}"
    return node
