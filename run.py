#!/usr/bin/env python3
"""Set up the course environment if needed, then open the lessons or run the tests.

    python3 run.py lab     # JupyterLab on the lessons, ready to work
    python3 run.py test    # the full test suite (what CI runs)

The first call creates a virtual environment in .venv and installs the course into it;
later calls reuse it (and reinstall when pyproject.toml changes). Works on Linux, macOS and
Windows with Python 3.10 or newer.
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


def ensure_environment(extras: str) -> None:
    """Create .venv and install the course with ``extras`` unless already up to date."""
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
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
    subprocess.run([*pip, "--quiet", "-e", target], check=True)
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
