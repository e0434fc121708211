"""Reference pictures: the figures "What you should see" cells link are taken from a run in
order, written beside the solution and the lesson, and every lesson's links resolve."""

from __future__ import annotations

import base64
import io

import nbformat
import numpy as np
import pytest
from PIL import Image

from aecourse.authoring import pictures
from aecourse.config.layout import Course

from .conftest import ROOT


def png(seed, size=(40, 30)):
    """A small RGB picture, as PNG bytes."""
    pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


PNG_A, PNG_B, PNG_C = (png(i) for i in (1, 2, 3))


def shown(*pngs):
    """A code cell that displayed ``pngs``."""
    cell = nbformat.v4.new_code_cell("plt.show()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "image/png": base64.b64encode(p).decode(), "text/plain": "<Figure>"}) for p in pngs]
    return cell


def run_of(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_the_last_k_figures_above_a_cell_are_its_k_pictures_in_order():
    nb = run_of(shown(PNG_A), nbformat.v4.new_code_cell("print(1)"), shown(PNG_B, PNG_C),
                nbformat.v4.new_markdown_cell(
                    "**What you should see.** ![x](figures/b.png) and ![y](figures/c.png)"),
                nbformat.v4.new_markdown_cell("no picture; figures/z.png is not a link"))
    assert pictures.from_run(nb) == {"b.png": PNG_B, "c.png": PNG_C}


def test_a_cell_linking_more_pictures_than_were_shown_is_an_error():
    nb = run_of(shown(PNG_A), nbformat.v4.new_markdown_cell(
        "![a](figures/a.png) ![b](figures/b.png)"))
    with pytest.raises(ValueError, match="links 2 pictures but the code above it displayed 1"):
        pictures.from_run(nb)


def test_a_name_linked_twice_is_an_error():
    nb = run_of(shown(PNG_A), nbformat.v4.new_markdown_cell("![a](figures/a.png)"),
                shown(PNG_B), nbformat.v4.new_markdown_cell("![a](figures/a.png)"))
    with pytest.raises(ValueError, match="linked twice"):
        pictures.from_run(nb)


def test_written_beside_solution_and_lesson_replacing_stale_ones(tmp_path):
    course = Course(tmp_path)
    (course.solutions / "lesson").mkdir(parents=True)
    nb = run_of(shown(PNG_A), nbformat.v4.new_markdown_cell("![a](figures/a.png)"))
    nbformat.write(nb, course.solutions / "lesson" / "lesson.ipynb")
    stale = course.lesson("lesson") / "figures" / "old.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(PNG_C)
    assert pictures.problems(tmp_path, "lesson") == [
        f"{course.solutions / 'lesson' / 'figures' / 'a.png'} is missing (regenerate: "
        "benchmarks/run.py --only lessons --lessons lesson)",
        f"{course.lesson('lesson') / 'figures' / 'a.png'} is missing (regenerate: "
        "benchmarks/run.py --only lessons --lessons lesson)",
        f"{stale} is linked by no cell"]
    pictures.write(tmp_path, "lesson", pictures.from_run(nb))
    assert not stale.exists()
    assert (course.lesson("lesson") / "figures" / "a.png").read_bytes() == pictures.smaller(PNG_A)
    assert pictures.problems(tmp_path, "lesson") == []
    (course.lesson("lesson") / "figures" / "a.png").write_bytes(PNG_B)
    assert pictures.problems(tmp_path, "lesson") == [
        f"{course.lesson('lesson') / 'figures' / 'a.png'} differs from "
        f"{course.solutions / 'lesson' / 'figures' / 'a.png'}"]


@pytest.mark.parametrize("assignment", Course(ROOT).assignments())
def test_every_lesson_shows_the_pictures_it_links(assignment):
    assert pictures.problems(ROOT, assignment) == []


def test_the_lessons_show_reference_pictures():
    linked = {a: pictures.named(nbformat.read(p, as_version=4))
              for a in Course(ROOT).assignments()
              for p in sorted((Course(ROOT).solutions / a).glob("*.ipynb"))}
    assert sum(map(len, linked.values())) >= 10, linked


def test_pictures_are_stored_with_at_most_256_colours_and_never_larger():
    smooth = np.zeros((60, 80, 3), dtype=np.uint8)
    smooth[:, :, 0] = np.linspace(0, 255, 80, dtype=np.uint8)  # a plot-like picture: few colours
    out = io.BytesIO()
    Image.fromarray(smooth).save(out, format="PNG")
    small = pictures.smaller(out.getvalue())
    image = Image.open(io.BytesIO(small))
    assert image.size == (80, 60) and len(image.getcolors(256) or []) <= 256
    assert np.abs(np.asarray(image.convert("RGB"), dtype=int) - smooth).max() <= 2
    assert len(small) <= len(out.getvalue())
    noisy = png(4)  # more colours than a palette holds: never made larger
    assert len(pictures.smaller(noisy)) <= len(noisy)
