#!/usr/bin/env python3
"""Prove the course with the lowest versions that pyproject.toml allows.

    python3 scripts/lowest.py [ASSIGNMENT ...]

Installs, in a fresh virtual environment, every direct dependency of the course at exactly
the lower bound pyproject.toml gives it (``name>=X`` is installed as ``name==X``; the packages
they need come at the newest versions that fit, as ``uv pip install --resolution lowest-direct``
does), then runs ``aecourse release`` on a copy of the course in the grading budget: every
lesson's solution must earn full marks and every released lesson zero. The copy keeps the
committed lessons/ untouched. Exits non-zero if a bound cannot be installed or a lesson fails.

Uses the Python that runs it (CI's python3); run it with the lowest Python that
requires-python allows to prove that too. The environment goes to $AECOURSE_LOWEST_VENV
(default: a folder in the system's temporary directory) and is replaced on every run.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from uvtool import uv

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("AECOURSE_LOWEST_VENV",
                           Path(tempfile.gettempdir()) / "aecourse-lowest-venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
COURSE = ["solutions", "lessons", "nbgrader_config.py", "course.toml"]  # what release reads
PARALLEL = 2  # releases run at once


def lower_bounds() -> list[str]:
    """``name==X[; marker]`` for each direct dependency ``name>=X``; exit if one has none."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins, missing = [], []
    for requirement in project["dependencies"]:
        spec, _, marker = requirement.partition(";")
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec).group(1)
        bound = re.search(r">=\s*([0-9][^,\s]*)", spec)
        if not bound:
            missing.append(requirement)
            continue
        pins.append(f"{name}=={bound.group(1)}" + (f" ;{marker}" if marker else ""))
    if missing:
        sys.exit(f"lowest.py: no lower bound (>=) to prove for: {', '.join(missing)}")
    return pins


def main(assignments: list[str]) -> int:
    started = time.monotonic()
    pins = lower_bounds()
    print("Lowest allowed versions of the direct dependencies:", ", ".join(pins), flush=True)
    shutil.rmtree(VENV, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="aecourse-lowest-") as tmp:
        constraints = Path(tmp) / "lowest.txt"
        constraints.write_text("\n".join(pins) + "\n")
        tool = uv()
        subprocess.run([tool, "venv", "--quiet", "--python", sys.executable, str(VENV)],
                       check=True)
        python = BIN / ("python.exe" if os.name == "nt" else "python")
        subprocess.run([tool, "pip", "install", "--quiet", "--python", str(python),
                        "--resolution", "lowest-direct", "--constraint", str(constraints),
                        "--editable", str(ROOT)], check=True)
        freeze = subprocess.run([tool, "pip", "freeze", "--python", str(python)],
                                check=True, capture_output=True, text=True).stdout
        (VENV / "installed.txt").write_text(freeze)
        names = {re.split(r"[=;\s]", p)[0].lower().replace("_", "-") for p in pins}
        shown = [line for line in freeze.splitlines()
                 if line.split("==")[0].lower().replace("_", "-") in names]
        installed = time.monotonic() - started
        print(f"Installed in {installed:.0f} s with Python {sys.version.split()[0]}: "
              f"{', '.join(shown)} (all: {VENV / 'installed.txt'})", flush=True)

        course = Path(tmp) / "course"
        course.mkdir()
        for name in COURSE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, course / name)
            elif source.is_file():
                shutil.copy2(source, course / name)
        env = dict(os.environ, AECOURSE_BUDGET="grading", VIRTUAL_ENV=str(VENV),
                   PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
        aecourse = BIN / ("aecourse.exe" if os.name == "nt" else "aecourse")
        names = assignments or sorted(p.name for p in (course / "solutions").iterdir()
                                      if p.is_dir())
        # Two releases at once: most of a lesson's proof in the grading budget is one core's
        # work (nbgrader, a kernel importing TensorFlow), and the machines CI runs on have two.
        halves = [names[i::PARALLEL] for i in range(PARALLEL) if names[i::PARALLEL]]
        running = [subprocess.Popen([str(aecourse), "release", "--root", str(course), *half],
                                    cwd=course, env=env) for half in halves]
        code = max(process.wait() for process in running)
    proved = time.monotonic() - started - installed
    print(f"Lowest versions: {'proved' if code == 0 else 'FAILED'} "
          f"(install {installed:.0f} s, release proof {proved:.0f} s)", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
