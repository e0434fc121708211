"""``aecourse check``: a student's notebook checked with its visible tests, or graded with its
hidden tests too (``--hidden``) where the instructor's notebooks are at hand, never showing
a hidden test; an exercise left blank is named."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from aecourse.cli import main
from aecourse.grader.feedback import hidden_lines

from .conftest import ROOT
from .test_cli import cell, notebook, released_course

HIDDEN_MARKER = "hidden-marker-4d7a"
HIDDEN_LINE = "for x, want in {0: 0, 5: 25}.items():"
LESSON = "02_pca_autoencoder"  # the fastest lesson
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def toy_source():
    """Two exercises, the second using the first; a hidden test with a marker beside its
    failing line (a traceback would show it)."""
    return notebook(
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
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return released_course(tmp_path_factory.mktemp("course"), toy_source())


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


def test_check_hidden_grades_the_hidden_tests_and_never_shows_them(course, capsys):
    correct = student(course, "correct", ex_square=SQUARE, ex_cube=CUBE)
    blank = student(course, "blank")
    partial = student(course, "partial", ex_square=SQUARE_FOR_THE_VISIBLE, ex_cube=CUBE)
    outputs = []

    status, rows, out = run_check(capsys, "--hidden", correct)
    outputs.append(out)
    assert status == 0 and "Total: 4/4 points from visible and hidden tests." in out, out
    assert rows == {"test_square": ("2/2", ""), "test_square_more": ("1/1", ""),
                    "test_cube": ("1/1", "")}, out

    status, rows, out = run_check(capsys, "--hidden", blank)
    outputs.append(out)
    assert status == 1 and "Total: 0/4" in out, out
    assert rows == {"test_square": ("0/2", "exercise ex_square is not done yet"),
                    "test_square_more": ("0/1", "exercise ex_square is not done yet"),
                    "test_cube": ("0/1", "exercise ex_cube is not done yet")}, out

    # the visible tests pass it; only the hidden ones find it wrong
    status, rows, out = run_check(capsys, partial)
    assert status == 0 and rows["test_square_more"] == ("1/1", ""), out
    status, rows, out = run_check(capsys, "--hidden", partial)
    outputs.append(out)
    assert status == 1 and "Total: 3/4" in out, out
    assert rows == {"test_square": ("2/2", ""),
                    "test_square_more": ("0/1", "AssertionError: square(0) should be 0, got -1"),
                    "test_cube": ("1/1", "")}, out

    for out in outputs:
        for secret in (HIDDEN_MARKER, HIDDEN_LINE, "BEGIN HIDDEN"):
            assert secret not in out, f"{secret!r} shown:\n{out}"


def test_check_hidden_needs_the_instructors_notebooks(course, capsys, tmp_path, monkeypatch):
    elsewhere = tmp_path / "kit" / "lessons" / "toy"
    elsewhere.mkdir(parents=True)
    shutil.copy(student(course, "away"), elsewhere / "toy.ipynb")
    monkeypatch.chdir(tmp_path)
    status, rows, out = run_check(capsys, "--hidden", elsewhere / "toy.ipynb")
    assert status == 1 and not rows, out
    errors = [line for line in out.splitlines() if line.startswith("aecourse check:")]
    assert len(errors) == 1 and "needs the instructor's solutions/" in errors[0], out
    assert "Traceback" not in out


def answered(root, assignment, folder, *grade_ids):
    """``root``'s released ``assignment`` with the answers ``grade_ids`` taken from its
    solution, written to ``folder/<assignment>/``; returns the notebook's path."""
    name = f"{assignment}.ipynb"
    source = nbformat.read(root / "solutions" / assignment / name, as_version=4)
    solved = {c.metadata.nbgrader["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if line.strip() not in MARKERS)
        for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") in grade_ids}
    assert sorted(solved) == sorted(grade_ids)
    nb = nbformat.read(root / "lessons" / assignment / name, as_version=4)
    for c in nb.cells:
        c.source = solved.get(c.metadata.get("nbgrader", {}).get("grade_id"), c.source)
    (folder / assignment).mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / assignment / name)
    return folder / assignment / name


@pytest.mark.slow
def test_check_hidden_on_a_lesson_with_one_exercise_done(capsys, tmp_path, monkeypatch):
    path = answered(ROOT, LESSON, tmp_path, "ex1_build_linear_autoencoder")
    monkeypatch.chdir(ROOT)  # the clone: its solutions/ are found from the current folder
    status, rows, out = run_check(capsys, "--hidden", path)
    assert status == 1, out
    ex1 = {g: r for g, r in rows.items() if g.startswith("test_ex1")}
    assert len(ex1) == 5 and all(r[1] == "" and r[0].split("/")[0] == r[0].split("/")[1]
                                 for r in ex1.values()), out
    assert rows["test_ex2_same_plane"][1] == "exercise ex2_compare_with_pca is not done yet"
    assert rows["test_ex3_exact_map"][1] == "exercise ex3_fit_coding_map is not done yet"
    assert list(rows)[0] == "test_ex1_shapes", "cells are listed in the notebook's order"
    assert "Total: 6/13 points from visible and hidden tests." in out, out
    name = f"{LESSON}/{LESSON}.ipynb"
    hidden = hidden_lines(nbformat.read(ROOT / "solutions" / name, as_version=4),
                          nbformat.read(ROOT / "lessons" / name, as_version=4))
    assert hidden and not [line for line in hidden if line in " ".join(out.split())]
