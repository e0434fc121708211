"""Shared test set-up: the grading budget, a headless matplotlib, nbgrader's tools on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_FASHION = ROOT.parent / "shared" / "data" / "fashion-mnist"

# Before anything imports matplotlib or runs a notebook.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("AECOURSE_BUDGET", "grading")
# Tests never reach the internet: notebooks they run use AECOURSE_DATA or the bundled sample.
os.environ.setdefault("AECOURSE_OFFLINE", "1")
# nbgrader runs the `alembic` executable: it must come from this environment.
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """No data folder, Keras cache or aecourse cache from the machine leaks into a test."""
    for var in ("AECOURSE_DATA", "AECOURSE_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path
