"""``aecourse check``: a student's notebook checked with its visible tests; an exercise left
blank is named."""

from __future__ import annotations

import re

import nbformat
import pytest

from aecourse.cli import main

from .test_cli import cell

HIDDEN_MARKER = "hidden-marker-4d7a"
HIDDEN_LINE = "for x, want in {0: 0, 5: 25}.items():"


def toy_source():
    """Two exercises, the second using the first; a hidden test with a marker beside its
    failing line (a traceback would show it)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        cell("markdown", "Write `square`, then `cube`.", grade_id="intro", locked=True),
        cell("code", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
             "    ### END SOLUTION", grade_id="ex_square", solution=True),
        cell("code", "assert square(3) == 9, f'square(3) should be 9, got {square(3)}'",
             grade_id="test_square", grade=True, locked=True, points=2),
        cell("code", "assert square(-2) == 4, 'square(-2) should be 4'\n"
             f"### BEGIN HIDDEN TESTS\n# {HIDDEN_MARKER}\n{HIDDEN_LINE}\n"
             "    assert square(x) == want, f'square({x}) should be {want}, got {square(x)}'\n"
             "### END HIDDEN TESTS", grade_id="test_square_more", grade=True, locked=True,
             points=1),
        cell("code", "def cube(x):\n    ### BEGIN SOLUTION\n    return square(x) * x\n"
             "    ### END SOLUTION", grade_id="ex_cube", solution=True),
        cell("code", "assert cube(2) == 8, f'cube(2) should be 8, got {cube(2)}'",
             grade_id="test_cube", grade=True, locked=True, points=1),
    ]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (root / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(toy_source(), root / "solutions" / "toy" / "toy.ipynb")
    assert main(["release", "toy", "--root", str(root)]) == 0
    return root


def student(course, name, **answers):
    """A copy of the released lesson with ``answers`` (grade_id -> code) filled in, in a
    folder of the course named as its assignment (as a clone's lessons/ are)."""
    folder = course / "work" / name / "toy"
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(course / "lessons" / "toy" / "toy.ipynb", as_version=4)
    for c in nb.cells:
        c.source = answers.get(c.metadata.nbgrader.get("grade_id"), c.source)
    nbformat.write(nb, folder / "toy.ipynb")
    return folder / "toy.ipynb"


SQUARE = "def square(x):\n    return x * x"
CUBE = "def cube(x):\n    return x ** 3"
# Right where the visible tests look, wrong where the hidden ones do.
SQUARE_FOR_THE_VISIBLE = "def square(x):\n    return {3: 9, -2: 4}.get(x, -1)"


def run_check(capsys, *args):
    capsys.readouterr()
    status = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    rows = {m[0]: (m[1], m[2].strip()) for m in
            re.findall(r"^(test_\w+)\s+(\S+)[ \t]*(.*)$", out, re.M)}
    return status, rows, out + err


def test_check_names_the_exercise_left_blank(course, capsys):
    status, rows, _ = run_check(capsys, student(course, "blank"))
    assert status == 1
    assert rows == {"test_square": ("0/2", "exercise ex_square is not done yet"),
                    "test_square_more": ("0/1", "exercise ex_square is not done yet"),
                    "test_cube": ("0/1", "exercise ex_cube is not done yet")}, rows
    # cube done, square not: the test of cube fails in square, and says so
    _, rows, _ = run_check(capsys, student(course, "cube_only", ex_cube=CUBE.replace(
        "x ** 3", "square(x) * x")))
    assert rows["test_cube"] == ("0/1", "exercise ex_square is not done yet"), rows

