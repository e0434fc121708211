"""uv for the course's scripts: the one on PATH, or a pinned copy in a throwaway venv.

uv is used only to *resolve* versions (scripts/lock.py) and to build the lowest-versions
environment (scripts/lowest.py); `python3 run.py` installs with plain pip and needs no uv.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

# The uv that made requirements/lock.txt; another version may annotate the lock differently.
UV = "uv==0.13.9"
TOOLS = Path(os.environ.get("AECOURSE_TOOLS", Path(tempfile.gettempdir()) / "aecourse-tools"))


def uv() -> str:
    """Path of a uv executable: $AECOURSE_UV, else the pinned one, installed on first use."""
    if os.environ.get("AECOURSE_UV"):
        return os.environ["AECOURSE_UV"]
    bindir = TOOLS / ("Scripts" if os.name == "nt" else "bin")
    exe = bindir / ("uv.exe" if os.name == "nt" else "uv")
    stamp = TOOLS / ".uv-requirement"
    if exe.exists() and stamp.is_file() and stamp.read_text() == UV:
        return str(exe)
    print(f"Installing {UV} into {TOOLS} ...", file=sys.stderr, flush=True)
    shutil.rmtree(TOOLS, ignore_errors=True)
    venv.create(TOOLS, with_pip=True)
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", UV], check=True)
    stamp.write_text(UV)
    return str(exe)
