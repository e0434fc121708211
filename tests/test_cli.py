"""The ``aecourse`` command on a small course built in code."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from aecourse.cli import main


def cell(kind, source, **nbgrader):
    meta = {"grade": False, "locked": False, "schema_version": 3, "solution": False,
            "task": False, **nbgrader}
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    return make(source, metadata={"nbgrader": meta})


def notebook(*cells):
    """A Python notebook of ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = list(cells)
    return nb


def released_course(root, nb, assignment="toy"):
    """A course at ``root`` whose one assignment is ``nb``, released."""
    (root / "solutions" / assignment).mkdir(parents=True)
    nbformat.write(nb, root / "solutions" / assignment / f"{assignment}.ipynb")
    assert main(["release", assignment, "--root", str(root)]) == 0
    return root


def toy_notebook(body="    return x * x"):
    return notebook(
        cell("markdown", "Write `square`.", grade_id="intro", locked=True),
        cell("code", f"def square(x):\n    ### BEGIN SOLUTION\n{body}\n    ### END SOLUTION",
             grade_id="ex_square", solution=True),
        cell("code", "assert square(3) == 9, f'square(3) should be 9, got {square(3)}'",
             grade_id="test_square", grade=True, locked=True, points=2),
        cell("code", "assert square(-2) == 4\n### BEGIN HIDDEN TESTS\nassert square(0) == 0\n"
             "### END HIDDEN TESTS", grade_id="test_square_more", grade=True, locked=True,
             points=1),
    )


@pytest.fixture
def course(tmp_path):
    (tmp_path / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(toy_notebook(), tmp_path / "solutions" / "toy" / "toy.ipynb")
    return tmp_path


def test_release_writes_a_verified_lesson(course, capsys):
    assert main(["release", "toy", "--root", str(course)]) == 0
    lesson = nbformat.read(course / "lessons" / "toy" / "toy.ipynb", as_version=4)
    text = json.dumps(lesson)
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text and "x * x" not in text
    assert "raise NotImplementedError()" in lesson.cells[1].source
    assert "Release verified." in capsys.readouterr().out


def test_release_refuses_a_broken_solution(course, capsys):
    nbformat.write(toy_notebook("    return x + x"), course / "solutions" / "toy" / "toy.ipynb")
    assert main(["release", "toy", "--root", str(course)]) == 1
    assert not (course / "lessons" / "toy").exists()
    err = capsys.readouterr().err
    assert "solution scores 0/3" in err and "test_square" in err


def test_release_of_unknown_assignment_fails(course, capsys):
    assert main(["release", "nope", "--root", str(course)]) == 1
    assert "nope: no assignment 'nope'" in capsys.readouterr().err


def test_check_reports_points_and_exit_code(course, capsys):
    assert main(["release", "toy", "--root", str(course)]) == 0
    lesson = course / "lessons" / "toy" / "toy.ipynb"
    capsys.readouterr()
    assert main(["check", str(lesson)]) == 1
    out = capsys.readouterr().out
    assert "hidden tests" in out
    assert re.search(r"^test_square\s+0/2\s+exercise ex_square is not done yet$", out, re.M), out
    assert "Total: 0/3" in out

    nb = nbformat.read(lesson, as_version=4)
    nb.cells[1].source = "def square(x):\n    return x ** 2"
    nbformat.write(nb, lesson)
    assert main(["check", str(lesson)]) == 0
    assert "Total: 3/3" in capsys.readouterr().out

    nb.cells[2].source = "assert True"
    nb.cells[1].source = "def square(x):\n    return 0"
    nbformat.write(nb, lesson)
    assert main(["check", str(lesson)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^test_square\s+0/2\s+edited", out, re.M), out


def test_check_counts_deleted_test_cells_as_failed(course, capsys):
    """A complete-looking notebook whose test cells were deleted is not complete."""
    assert main(["release", "toy", "--root", str(course)]) == 0
    lesson = course / "lessons" / "toy" / "toy.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    nb.cells[1].source = "def square(x):\n    return x ** 2"
    del nb.cells[2]  # test_square
    nbformat.write(nb, lesson)
    capsys.readouterr()
    assert main(["check", str(lesson)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^test_square\s+0/2\s+deleted", out, re.M), out
    assert "Total: 1/3" in out

    del nb.metadata["aecourse"]  # an old copy without the list of its tests
    nbformat.write(nb, lesson)
    assert main(["check", str(lesson)]) == 0
    assert "deleted test cells cannot be noticed" in capsys.readouterr().out


def test_check_missing_notebook(tmp_path, capsys):
    assert main(["check", str(tmp_path / "absent.ipynb")]) == 1
    assert "no such notebook" in capsys.readouterr().err


VARIANTS = '''
WRONG = {
    "doubles": {"why": "x + x", "cells": {"ex_square": "def square(x):\\n    return x + x"},
                "caught_by": ["test_square"]},
    "odd_square": {"why": "wrong sign for negatives",
                   "cells": {"ex_square": "def square(x):\\n    return abs(x) * x"},
                   "caught_by": ["test_square_more"]},
}
RIGHT = {
    "power": {"why": "x ** 2", "cells": {"ex_square": "def square(x):\\n    return x ** 2"}},
    "warns": {"why": "correct, with a warning on stderr",
              "cells": {"ex_square": "import warnings\\n\\ndef square(x):\\n"
                                     "    warnings.warn('deprecated style')\\n"
                                     "    return x * x"}},
}
'''


def test_variants_are_graded_and_judged(course, capsys):
    (course / "variants").mkdir()
    (course / "variants" / "toy.py").write_text(VARIANTS)
    assert main(["variants", "toy", "--root", str(course)]) == 2  # no lesson released yet
    assert "aecourse release toy" in capsys.readouterr().err
    assert main(["release", "toy", "--root", str(course)]) == 0
    assert main(["variants", "toy", "--root", str(course)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"toy/wrong-doubles: 0/2 of 3 \(stopped", out), out
    assert re.search(r"toy/undone-ex_square: 0/2 of 3 \(stopped", out), out
    assert re.search(r"toy/right-warns: 3/3 in", out) and "toy/solution: 3/3" in out, out
    assert main(["variants", "toy", "--root", str(course), "--grader"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"wrong-doubles: 0/3", out) and re.search(r"right-warns: 3/3", out), out

    # a wrong answer that the named test does not catch is reported
    (course / "variants" / "toy.py").write_text(VARIANTS.replace(
        '"caught_by": ["test_square_more"]', '"caught_by": ["test_square"]'))
    assert main(["variants", "toy", "--root", str(course)]) == 1
    assert "'odd_square' passes test_square," in capsys.readouterr().err


def test_variants_name_existing_cells(course, capsys):
    (course / "variants").mkdir()
    (course / "variants" / "toy.py").write_text(
        'RIGHT = {"typo": {"cells": {"ex_sqaure": "def square(x):\\n    return x * x"}}}')
    assert main(["release", "toy", "--root", str(course)]) == 0
    assert main(["variants", "toy", "--root", str(course)]) == 2
    assert "names no solution cell ex_sqaure" in capsys.readouterr().err
