#!/usr/bin/env python3
"""Set up the course environment if needed, then open the lessons or run the tests.

    python3 run.py lab     # JupyterLab on the lessons, ready to work
    python3 run.py test    # the full test suite (what CI runs)

The first call creates a virtual environment in .venv and installs the course into it, at
the versions pinned in requirements/lock.txt (the ones CI tests); later calls reuse it (and
reinstall when pyproject.toml or the lock changes). Set AECOURSE_UNLOCKED=1 to install the
newest versions pyproject.toml allows instead. Works on Linux, macOS and Windows with
Python 3.11 or newer.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("AECOURSE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".aecourse-installed"
LOCK = ROOT / "requirements" / "lock.txt"  # written by scripts/lock.py, never by hand


def locked() -> bool:
    """Whether installs follow the lock (unless AECOURSE_UNLOCKED is set)."""
    return LOCK.is_file() and not os.environ.get("AECOURSE_UNLOCKED")


def install_state(extras: str) -> str:
    """A digest of what an install depends on: a different one means reinstall."""
    state = (ROOT / "pyproject.toml").read_bytes() + extras.encode()
    state += b"\0lock\0" + LOCK.read_bytes() if locked() else b"\0unlocked"
    return hashlib.sha256(state).hexdigest()


def ensure_environment(extras: str) -> None:
    """Create .venv and install the course with ``extras`` unless already up to date."""
    want = install_state(extras)
    if STAMP.is_file() and STAMP.read_text() == want and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing the course and its dependencies (a few minutes the first time) ...",
          flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--quiet", "--upgrade", "pip"], check=True)
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    # The lock as constraints: it pins every package it lists (for all platforms, with
    # markers) and installs only those this install needs.
    constraints = ["--constraint", str(LOCK)] if locked() else []
    subprocess.run([*pip, "--quiet", *constraints, "-e", target], check=True)
    STAMP.write_text(want)


def environment() -> dict:
    """The environment of the course's tools: the venv's bin first on PATH (nbgrader needs it)."""
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    return env


def main(argv) -> int:
    if len(argv) < 1 or argv[0] not in ("lab", "test"):
        print(__doc__)
        return 2
    if sys.version_info < (3, 11) and not PYTHON.exists():
        print(f"The course needs Python 3.11 or newer (Keras 3.15 does); this is "
              f"{sys.version.split()[0]}.", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment("test" if command == "test" else "")
    if command == "lab":
        args = [str(PYTHON), "-m", "jupyter", "lab", str(ROOT / "lessons"), *rest]
        if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in rest:
            args.append("--allow-root")  # containers and cloud machines often run as root
    else:
        args = [str(PYTHON), "-m", "pytest", *rest]
    return subprocess.run(args, cwd=ROOT, env=environment()).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
