"""Reference pictures: the figures a lesson's "What you should see" cells describe, as PNGs.

A Markdown cell shows pictures with links such as ``![reconstructions](figures/recon.png)``;
its *k* links name the last *k* PNG figures the code cells above it display, in order.
:func:`from_run` takes them from a run of the solved notebook (the teaching-budget run of
``benchmarks/run.py --only lessons``) and :func:`write` puts each in ``figures/`` beside the
solution and beside the lesson (nbgrader's release copies the same files, so both agree).
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat

from ..config.layout import PICTURES, Course

LINK = re.compile(r"!\[[^\]]*\]\(" + PICTURES + r"/([A-Za-z0-9_.-]+\.png)\)")
PNG = "image/png"


def links(nb) -> list[tuple[int, list[str]]]:
    """``(cell index, [picture names])`` of each Markdown cell that shows pictures."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            names = LINK.findall(cell.source)
            if names:
                found.append((index, names))
    return found


def named(nb) -> list[str]:
    """Every picture name ``nb`` links to, in order."""
    return [name for _, names in links(nb) for name in names]


def from_run(nb) -> dict[str, bytes]:
    """The pictures of an executed notebook: name -> PNG bytes. Raises ``ValueError`` when a
    cell links more pictures than the code above it displayed, or a name twice."""
    pictures: dict[str, bytes] = {}
    shown: list[str] = []  # base64 PNGs displayed so far, in order
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            shown += [out["data"][PNG] for out in cell.get("outputs", [])
                      if PNG in out.get("data", {})]
            continue
        names = LINK.findall(cell.source) if cell.cell_type == "markdown" else []
        if len(shown) < len(names):
            raise ValueError(f"cell {index} links {len(names)} pictures but the code above "
                             f"it displayed {len(shown)}")
        for name, png in zip(names, shown[len(shown) - len(names):], strict=True):
            if name in pictures:
                raise ValueError(f"picture {name} is linked twice")
            pictures[name] = base64.b64decode(png)
    return pictures


def smaller(png: bytes) -> bytes:
    """``png`` with at most 256 colours (plots and grey images lose nothing visible): about a
    third of the bytes, which every copy of the course carries twice."""
    from PIL import Image  # matplotlib's own dependency

    image = Image.open(io.BytesIO(png))
    if image.mode not in ("P", "L"):
        image = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png


def write(root: Path, assignment: str, pictures: dict[str, bytes]) -> list[Path]:
    """Write ``pictures`` into ``figures/`` of the solution and of the lesson, replacing what
    was there, each made :func:`smaller`. Returns the files written."""
    course, written = Course(Path(root)), []
    pictures = {name: smaller(png) for name, png in pictures.items()}
    for folder in (course.solutions / assignment / PICTURES, course.lesson(assignment) / PICTURES):
        for old in folder.glob("*.png"):
            old.unlink()
        if pictures:
            folder.mkdir(parents=True, exist_ok=True)
        for name, png in sorted(pictures.items()):
            (folder / name).write_bytes(png)
            written.append(folder / name)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return written


def problems(root: Path, assignment: str) -> list[str]:
    """What is wrong with the pictures of ``assignment``: a linked picture missing, a picture
    nothing links to, or the lesson's copy differing from the solution's."""
    course, found = Course(Path(root)), []
    wanted = set()
    for path in sorted((course.solutions / assignment).glob("*.ipynb")):
        wanted |= set(named(nbformat.read(path, as_version=4)))
    for folder in (course.solutions / assignment / PICTURES, course.lesson(assignment) / PICTURES):
        present = {p.name for p in folder.glob("*.png")}
        found += [f"{folder / n} is missing (regenerate: benchmarks/run.py --only lessons "
                  f"--lessons {assignment})" for n in sorted(wanted - present)]
        found += [f"{folder / n} is linked by no cell" for n in sorted(present - wanted)]
    for name in sorted(wanted):
        a = course.solutions / assignment / PICTURES / name
        b = course.lesson(assignment) / PICTURES / name
        if a.is_file() and b.is_file() and a.read_bytes() != b.read_bytes():
            found.append(f"{b} differs from {a}")
    return found
