"""Any nbgrader course graded as nbgrader grades it: nbgrader's own user-guide course (shipped
inside the nbgrader package), graded by ``aecourse grade`` and by stock ``nbgrader
autograde``, agrees cell by cell, and the answers graded by hand stay the students'."""

from __future__ import annotations

import csv
import html
import shutil
import subprocess
import sys
from pathlib import Path

import nbgrader
import pytest
from nbgrader.api import Gradebook

from aecourse.cli import main
from aecourse.sandbox import policy

GUIDE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"
SANDBOX_ARGS = ["--no-sandbox"] if policy.problem() else []
pytestmark = pytest.mark.skipif(not (GUIDE / "source" / "ps1").is_dir(),
                                reason=f"this nbgrader has no user-guide course at {GUIDE}")


def course(root: Path) -> Path:
    for folder in ("source", "submitted"):
        shutil.copytree(GUIDE / folder, root / folder)
    return root


def grades(db: Path) -> dict[tuple[str, str, str], tuple[float | None, bool]]:
    """(student, notebook, cell) -> (automatic score, waits for a grade by hand)."""
    found = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for submission in gb.find_assignment("ps1").submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    key = (submission.student.id, notebook.name, grade.name)
                    found[key] = (grade.auto_score, bool(grade.needs_manual_grade))
    return found


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    root = course(tmp_path_factory.mktemp("stock"))
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'guide'\n"
        "c.CourseDirectory.db_students = [dict(id='bitdiddle'), dict(id='hacker')]\n")
    nbgrader_cmd = [str(Path(sys.executable).parent / "nbgrader")]
    for step in (["generate_assignment", "ps1", "--force"], ["autograde", "ps1"]):
        done = subprocess.run([*nbgrader_cmd, *step], cwd=root, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return grades(root / "gradebook.db")


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    root = course(tmp_path_factory.mktemp("ours"))
    code = main(["grade", str(root / "submitted"), "--course", str(root), "--output",
                 str(root / "graded"), "--timeout", "300", *SANDBOX_ARGS])
    return code, root


def test_every_cell_is_graded_as_nbgrader_grades_it(stock, ours):
    code, root = ours
    assert code == 0
    got = grades(root / "gradebook.db")
    assert got == stock
    waiting = {k for k, (_, manual) in stock.items() if manual}
    assert {cell for _, _, cell in waiting} >= {"sum_of_squares_equation",
                                                "sum_of_squares_application", "part-a",
                                                "part-b"}


def test_answers_graded_by_hand_stay_the_students(ours):
    _, root = ours
    source = (root / "submitted" / "hacker" / "ps1" / "problem1.ipynb").read_text()
    assert "hypotenuse" in source  # the answer nbgrader's guide has hacker write
    page = html.unescape((root / "graded" / "feedback" / "hacker" / "ps1" /
                          "problem1.html").read_text())
    assert "hypotenuse" in page, "the student's answer is missing from their feedback"
    assert "To be graded by hand" in page
    with open(root / "graded" / "scores.csv", newline="") as f:
        details = {(r["student"], r["notebook"]): r["detail"] for r in csv.DictReader(f)}
    # bitdiddle commented out two test cells (nbgrader's guide shows it); nobody's answer
    # counts as an edited test cell
    assert details == {
        ("bitdiddle", "problem1"): "test cells restored (edited: correct_squares, "
                                   "squares_invalid_input)",
        ("bitdiddle", "problem2"): "", ("hacker", "problem1"): "", ("hacker", "problem2"): ""}
