"""Shared helpers of the benchmarks: paths, the environment of child processes, machine info."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the course folder
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
SHARED_DATA = ROOT.parent / "shared" / "data" / "fashion-mnist"
PYTHON = sys.executable
LESSONS_ENV = "AECOURSE_BENCH_LESSONS"  # `run.py --lessons`: the lessons section's selection
GiB = 1 << 30


def setup_environment() -> None:
    """Settings every benchmark shares, inherited by the processes and kernels it starts.

    The venv's bin first on PATH (nbgrader runs ``alembic``), a headless matplotlib, no network,
    and the team's Fashion-MNIST copy when AECOURSE_DATA is unset and it sits beside the clone
    (as in CI).
    """
    bin_dir = str(Path(PYTHON).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("AECOURSE_OFFLINE", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not os.environ.get("AECOURSE_DATA") and SHARED_DATA.is_dir():
        os.environ["AECOURSE_DATA"] = str(SHARED_DATA)


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t()`` is the elapsed wall time in seconds."""
    start = time.perf_counter()
    end = None

    def elapsed():
        return (end or time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


def run(cmd, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``cmd``; return (wall seconds, completed process). Raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - start
    if proc.returncode:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} ... exited with {proc.returncode}:\n"
                           + "\n".join(tail))
    return wall, proc


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / (1 << 20), 1)
    except OSError:
        pass
    return None


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "not installed"


def data_source() -> str:
    """Where Fashion-MNIST comes from in this run, in a few words."""
    folder = os.environ.get("AECOURSE_DATA")
    if folder:
        where = Path(folder).resolve()
        note = " (the team's re-split copy)" if where == SHARED_DATA.resolve() else ""
        return f"AECOURSE_DATA={where}{note}"
    return "Keras/aecourse cache, or the bundled 3,000-image sample when offline"


def machine_info() -> dict:
    """CPU, cores, RAM, load, versions and data source, for the JSON and the table header."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "load_average_at_start": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow"),
        "keras": _version("keras"),
        "nbgrader": _version("nbgrader"),
        "aecourse": _version("aecourse"),
        "bubblewrap": bool(__import__("shutil").which("bwrap")),
        "data": data_source(),
    }
