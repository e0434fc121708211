#!/usr/bin/env python3
"""Write requirements/lock.txt: the exact versions that CI tests and `run.py` installs.

    python3 scripts/lock.py             # follow pyproject.toml, keeping the locked versions
    python3 scripts/lock.py --upgrade   # take the newest versions pyproject.toml allows
    python3 scripts/lock.py --check     # exit 1 if the lock does not match pyproject.toml

The lock is resolved by uv for every platform and every Python that pyproject.toml allows
(``--universal``), preferring one version of each package for all of them (``--fork-strategy
fewest``), so that the versions CI tests on Linux are also the ones other machines get. It
covers the course and all its extras; `run.py` uses it as a pip constraints file, so each
install takes only the pins it needs. Never edit the lock by hand: change pyproject.toml (or
upgrade) and run this script.
"""

import argparse
import filecmp
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from uvtool import uv

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
COMMAND = "python3 scripts/lock.py"


def lowest_python() -> str:
    """The lowest Python that pyproject.toml's requires-python allows, e.g. "3.11"."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    found = re.fullmatch(r"\s*>=\s*(\d+\.\d+)\s*", spec)
    if not found:
        sys.exit(f"lock.py: cannot read a lowest Python from requires-python = {spec!r}")
    return found.group(1)


def compile_lock(output: Path, upgrade: bool) -> None:
    args = [uv(), "pip", "compile", "pyproject.toml", "--all-extras", "--universal",
            "--fork-strategy", "fewest", "--python-version", lowest_python(),
            "--custom-compile-command", COMMAND, "--quiet", "--output-file", str(output)]
    if upgrade:
        args.append("--upgrade")
    subprocess.run(args, cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true",
                        help="take the newest allowed versions instead of keeping the locked ones")
    parser.add_argument("--check", action="store_true",
                        help="only check that the lock is what this script would write")
    args = parser.parse_args()
    if not args.check:
        LOCK.parent.mkdir(exist_ok=True)
        compile_lock(LOCK, args.upgrade)
        print(f"Wrote {LOCK.relative_to(ROOT)}; test it (python3 run.py test) and commit it.")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "lock.txt"
        if LOCK.is_file():
            shutil.copyfile(LOCK, fresh)  # uv keeps the versions of an existing output file
        compile_lock(fresh, upgrade=False)
        if LOCK.is_file() and filecmp.cmp(fresh, LOCK, shallow=False):
            print(f"{LOCK.relative_to(ROOT)} matches pyproject.toml.")
            return 0
    print(f"{LOCK.relative_to(ROOT)} is out of date with pyproject.toml: run {COMMAND}",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
