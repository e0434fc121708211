"""``aecourse kit``: what an instructor hands to a class, as a folder and a zip of it.

The kit holds the released lessons, a wheel of the ``aecourse`` package, the pinned versions
(the lock, used as pip constraints) and a student README. Before it is written, every file
of it (the zip, and the wheel inside it, opened too) is searched for each line of the
solutions' solution regions and hidden tests; one found, and nothing is written.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..config.layout import KIT, LESSONS, LOCK, Course
from ..config.text import first_line
from ..grader.feedback import HIDDEN, MIN_LINE, squash

SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*$(.*?)^[ \t]*### END SOLUTION",
                      re.M | re.S)
CONSTRAINTS = "constraints.txt"  # the lock, under the name pip's --constraint suggests
README = "README.md"
PACKAGE = "aecourse"
# What the wheel is built from: a copy of these alone, so that nothing else in the checkout
# (a stale build/ folder, solutions/, variants/) can end up in it.
BUILT_FROM = ("pyproject.toml", README, PACKAGE)
WORD = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


class KitError(Exception):
    """The kit was not made: a secret found in it, or its wheel not built (one line)."""


@dataclass(frozen=True)
class Kit:
    folder: Path
    zip: Path
    wheel: str
    lessons: tuple[str, ...]
    files: int  # files searched, those inside the zip and the wheel included
    secrets: int  # lines of solutions and hidden tests searched for


def _occurs(line: str, text: str) -> bool:
    """Whether ``line`` is in ``text`` as a whole: not as part of a longer name or number
    (``x = 0`` is not in ``x = 0.5``)."""
    at = text.find(line)
    while at >= 0:
        end = at + len(line)
        if not ((line[0] in WORD and at and text[at - 1] in WORD)
                or (line[-1] in WORD and end < len(text) and text[end] in WORD)):
            return True
        at = text.find(line, at + 1)
    return False


def secret_lines(root: Path) -> dict[str, str]:
    """Each line of a solution region or hidden test of the course's instructor notebooks
    (whitespace squashed, at least ``MIN_LINE`` long) -> where it comes from; lines that
    the notebooks also show outside those regions are public and left out."""
    import nbformat

    secret, public = {}, []
    for path in sorted(Course(root).solutions.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            for pattern in (SOLUTION, HIDDEN):
                for block in pattern.findall(cell.source):
                    for line in map(squash, block.splitlines()):
                        secret.setdefault(line, f"{path.relative_to(root)}, cell {grade_id}")
            public += map(squash, HIDDEN.sub("", SOLUTION.sub("", cell.source)).splitlines())
    shown = "\n".join(public)
    return {line: where for line, where in secret.items()
            if len(line) >= MIN_LINE and not _occurs(line, shown)}


def _texts(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    """(name, text) of a file and of every file inside it: its text, lines squashed, with
    the strings of a JSON file (a notebook) unescaped, and each member of a zip (the kit's
    zip, a wheel, an .npz) opened in turn."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                if not member.endswith("/"):
                    yield from _texts(f"{name}!{member}", archive.read(member))
        return
    text = data.decode("utf-8", errors="replace")
    with_strings = [text]
    with contextlib.suppress(ValueError):
        with_strings += _strings(json.loads(text))
    yield name, "\n".join(squash(line) for part in with_strings for line in part.splitlines())


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(
        value, list) else ()
    return [s for item in items for s in _strings(item)]


def leaks(folder: Path, secrets: dict[str, str]) -> tuple[list[str], int]:
    """Where a line of ``secrets`` is found in the files under ``folder`` (zips opened), one
    description each; and how many files were searched."""
    found, files = [], 0
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        for name, text in _texts(path.relative_to(folder).as_posix(), path.read_bytes()):
            files += 1
            found += [f"{name}: {line!r} (from {where})" for line, where in secrets.items()
                      if _occurs(line, text)]
    return found, files


def wheel_problems(wheel: Path) -> list[str]:
    """Files of ``wheel`` that are not the package or its metadata, or are notebooks."""
    dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info"
    with zipfile.ZipFile(wheel) as archive:
        return [n for n in archive.namelist() if n.endswith(".ipynb")
                or n.split("/")[0] not in (PACKAGE, dist_info)]


def build_wheel(root: Path, out: Path) -> Path:
    """A wheel of the package at ``root``, written to ``out``, built by pip from a copy of
    ``BUILT_FROM`` alone."""
    with tempfile.TemporaryDirectory(prefix="aecourse-wheel-") as tmp:
        for name in BUILT_FROM:
            if (root / name).is_dir():
                shutil.copytree(root / name, Path(tmp) / name, ignore=shutil.ignore_patterns(
                    "__pycache__", "*.py[cod]"))
            else:
                shutil.copy(root / name, Path(tmp) / name)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                               "--disable-pip-version-check", "-w", str(out), tmp],
                              capture_output=True, text=True)
    wheels = sorted(out.glob("*.whl"))
    if done.returncode or len(wheels) != 1:
        raise KitError(f"pip could not build the wheel: {first_line(done.stderr, last=True)}")
    return wheels[0]


def student_readme(wheel: str, lessons: tuple[str, ...]) -> str:
    first = f"{LESSONS}/{lessons[0]}/{lessons[0]}.ipynb"
    listed = "\n".join(f"- `{LESSONS}/{name}/{name}.ipynb`" for name in lessons)
    return f"""# Autoencoders with TensorFlow/Keras 3: your course kit

This folder holds:

- `{LESSONS}/`: the lessons, one notebook each;
- `{wheel}`: the `aecourse` package the lessons use;
- `{CONSTRAINTS}`: the exact version of everything it needs, the ones the course is tested
  with.

## Install (once)

You need Python 3.11 or newer. In this folder:

```bash
python3 -m venv .venv
.venv/bin/python -m pip install --constraint {CONSTRAINTS} {wheel}
```

On Windows, `py -m venv .venv` and then the same with `.venv\\Scripts\\python` (and
`.venv\\Scripts\\` wherever `.venv/bin/` is written below). It takes a few minutes:
TensorFlow is large. Then `.venv/bin/aecourse data` downloads Fashion-MNIST once (the
lessons would on first use; offline, they use the small sample that comes with the package).

## Open a lesson

```bash
.venv/bin/jupyter lab {LESSONS}
```

Read, and fill in every cell that says `# YOUR CODE HERE`. Run the test cells below each
exercise: an `AssertionError` tells you what was expected and what your code produced. The
notebooks train with the full teaching settings (a few minutes per lesson on a laptop);
`AECOURSE_BUDGET=grading .venv/bin/jupyter lab {LESSONS}` trains on small subsets instead,
for a quick run.

## Check your work

```bash
.venv/bin/aecourse check {first}
```

It runs the notebook with its visible tests, as the grader will, and prints your points per
test with the first line of each failure (or which exercise is not done yet); it exits
non-zero while any test fails. Hidden tests run only when your work is graded. Do not edit
or delete a test cell: grading puts it back as released.

## Submit

Save the notebook, then hand in the notebook file itself, under its own name, where your
instructor tells you to (the course's assignment page, say):

{listed}
"""


def _replaceable(folder: Path) -> bool:
    """Whether ``folder`` is absent, empty or an earlier kit (nothing else is replaced)."""
    if not folder.exists():
        return True
    return folder.is_dir() and all(
        p.name in (LESSONS, CONSTRAINTS, README) or p.suffix == ".whl" for p in folder.iterdir())


def kit(root: Path = Path("."), out: Path = Path(KIT), say=print) -> Kit:
    """Write the kit of the course at ``root`` to the folder ``out`` and ``out`` + ``.zip``,
    once no line of a solution region or hidden test is found in any file of it."""
    root, out = Path(root).resolve(), Path(out).resolve()
    course = Course(root)
    lessons = course.assignments()
    if not lessons:
        raise FileNotFoundError(f"no assignments in {course.solutions}")
    for name in lessons:
        if not any(course.lesson(name).glob("*.ipynb")):
            raise FileNotFoundError(f"no released lesson {name}: run `aecourse release {name}`")
    if not _replaceable(out):
        raise ValueError(f"{out} exists and is not a kit: choose another output folder")
    with tempfile.TemporaryDirectory(prefix="aecourse-kit-") as tmp:
        staging = Path(tmp) / out.name
        for name in lessons:
            shutil.copytree(course.lesson(name), staging / LESSONS / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        shutil.copy(root / LOCK, staging / CONSTRAINTS)
        say("Building the wheel of the aecourse package ...")
        wheel = build_wheel(root, staging)
        (staging / README).write_text(student_readme(wheel.name, lessons))
        archive = Path(tmp) / f"{out.name}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(staging.rglob("*")):
                z.write(path, path.relative_to(staging.parent).as_posix())
        secrets = secret_lines(root)
        say(f"Searching the kit for {len(secrets)} lines of solutions and hidden tests ...")
        found, files = leaks(Path(tmp), secrets)
        found += [f"{wheel.name}: holds {n}" for n in wheel_problems(wheel)]
        if found:
            raise KitError(f"refused, nothing written: {found[0]}"
                           + (f" (and {len(found) - 1} more)" if len(found) > 1 else ""))
        shutil.rmtree(out, ignore_errors=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging, out)
        shutil.move(archive, out.with_name(archive.name))
    return Kit(out, out.with_name(archive.name), wheel.name, lessons, files, len(secrets))
