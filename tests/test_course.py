"""The course itself: every solution earns full marks and every released lesson zero, every
exercise is graded, every plausible wrong answer loses points and every right one in another
style earns full marks, feedback never shows a hidden test, the committed lessons are exactly
what ``aecourse release`` generates, and no solution leaks."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import nbformat
import pytest

from aecourse import feedback, sandbox, variants
from aecourse.batch import grade_class
from aecourse.grading import prepare_course
from aecourse.nbconfig import ASSIGNMENTS

from .conftest import ROOT

SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"


def notebooks(folder):
    return sorted(folder.glob("*.ipynb"))


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture(scope="session")
def courses(tmp_path_factory):
    """assignment -> a private nbgrader course whose source is solutions/<assignment>."""
    made = {}

    def get(assignment):
        if assignment not in made:
            root = tmp_path_factory.mktemp(assignment)
            made[assignment] = prepare_course(root, SOLUTIONS / assignment, assignment)
        return made[assignment]

    return get


def test_every_assignment_has_a_solution_and_a_lesson():
    assert sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir()) == sorted(ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        names = [p.name for p in notebooks(SOLUTIONS / assignment)]
        assert names, f"no notebook in solutions/{assignment}"
        assert names == [p.name for p in notebooks(LESSONS / assignment)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_committed_clean(assignment):
    for folder in (SOLUTIONS, LESSONS):
        for path in notebooks(folder / assignment):
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    assert not cell.outputs and cell.execution_count is None, (
                        f"{path}: a code cell was committed with outputs; clear them")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_test_cells_end_with_assert_and_have_points(assignment):
    """A bare numeric expression at the end of a test cell is read as partial credit."""
    for path in notebooks(SOLUTIONS / assignment):
        nb = nbformat.read(path, as_version=4)
        grade_ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells if nbgrader_meta(c)]
        assert len(grade_ids) == len(set(grade_ids)), f"{path}: duplicate grade_id"
        tests = [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"]
        assert tests, f"{path} has no autograded test cell"
        for cell in tests:
            meta = nbgrader_meta(cell)
            assert meta.get("points", 0) > 0 and meta.get("locked"), meta["grade_id"]
            body = re.sub(r"^\s*### (BEGIN|END) HIDDEN TESTS\s*$", "", cell.source, flags=re.M)
            last = ast.parse(body).body[-1]
            assert not isinstance(last, ast.Expr), (
                f"{path} {meta['grade_id']}: ends with an expression; end it with an assert")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_lessons_are_generated_from_solutions(courses, assignment):
    api = courses(assignment)
    generated = notebooks(Path(api.coursedir.format_path("release", ".", assignment)))
    assert [p.name for p in generated] == [p.name for p in notebooks(LESSONS / assignment)]
    for path in generated:
        fresh = nbformat.read(path, as_version=4)
        committed = nbformat.read(LESSONS / assignment / path.name, as_version=4)
        assert committed == fresh, (
            f"lessons/{assignment}/{path.name} differs from what nbgrader generates from "
            f"solutions/; regenerate it with `aecourse release {assignment}`")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_lessons_hide_solutions_and_hidden_tests(assignment):
    for path in notebooks(LESSONS / assignment):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "HIDDEN TESTS"):
            assert marker not in text, f"{path} contains {marker!r}"
        source = nbformat.read(SOLUTIONS / assignment / path.name, as_version=4)
        lesson = nbformat.read(path, as_version=4)
        solved = {nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
                  if nbgrader_meta(c).get("solution")}
        for cell in lesson.cells:
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id in solved:
                assert cell.source != solved[grade_id], f"{path} {grade_id} is not blanked"


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Every lesson graded the way a class is (``aecourse grade``, sandboxed where possible):
    its solution, its release, the solution with each exercise left undone, and every
    answer listed in variants/. Returns assignment -> [(student, variant, record)]."""
    root = tmp_path_factory.mktemp("course-graded")
    made = {a: variants.submissions(ROOT, a, root / "submitted") for a in ASSIGNMENTS}
    summary = grade_class(root / "submitted", course=ROOT, out=root / "out",
                          db_url=f"sqlite:///{root / 'gradebook.db'}", workers=2,
                          sandboxed=not sandbox.problem(), progress=False, say=lambda _: None)
    found = {a: [] for a in ASSIGNMENTS}
    for record in summary.graded:
        found[record.assignment].append(
            (record.student, made[record.assignment][record.student], record))
    return found


def judged(graded, assignment, which):
    """The problems of the proofs of ``assignment`` whose student id ``which`` accepts."""
    problems = []
    for student, variant, record in graded[assignment]:
        if which(student, variant):
            cells = {c.grade_id: (c.score, c.max_score) for n in record.notebooks
                     for c in n.cells}
            problems += variants.judge(student, variant, cells,
                                       [n.status for n in record.notebooks])
    return problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_earns_full_marks_and_release_zero(graded, assignment):
    assert not judged(graded, assignment, lambda s, v: s in (variants.SOLUTION, variants.BLANK))
    records = {s: r for s, _, r in graded[assignment]}
    assert records["solution"].max_score > 0
    assert all(c.message for n in records["blank"].notebooks for c in n.cells), (
        "every failing test should say why")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_is_graded(graded, assignment):
    """Leaving any one exercise undone loses points."""
    assert any(s.startswith(variants.UNDONE) for s, _, _ in graded[assignment])
    assert not judged(graded, assignment, lambda s, v: s.startswith(variants.UNDONE))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_wrong_answers_lose_points_and_right_ones_earn_full_marks(graded, assignment):
    listed = variants.load(ROOT, assignment)
    assert {v.wrong for v in listed} == {True, False}, (
        f"variants/{assignment}.py should list both wrong and right answers")
    problems = judged(graded, assignment, lambda s, v: v is not None)
    assert not problems, "\n".join(problems)


def course_hidden_lines():
    """Every line of every lesson's hidden tests that no released lesson shows."""
    lines, public = set(), set()
    for assignment in ASSIGNMENTS:
        for path in notebooks(SOLUTIONS / assignment):
            lesson = nbformat.read(LESSONS / assignment / path.name, 4)
            lines |= feedback.hidden_lines(nbformat.read(path, 4), lesson)
            public |= {" ".join(line.split()) for c in lesson.cells
                       for line in c.source.splitlines()}
    return lines - public


def page_text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_never_shows_a_hidden_test(graded, assignment):
    """Graded as an instructor grades, a passing and a failing submission get feedback with
    their scores and messages but no line of any hidden test of the course."""
    hidden = course_hidden_lines()
    assert hidden
    records = {s: r for s, _, r in graded[assignment]}
    for student in (variants.SOLUTION, variants.BLANK):
        record = records[student]
        assert record.feedback, f"{assignment}: no feedback for {student}"
        for name, page in record.feedback.items():
            text = " ".join(page_text(page).split())
            leaked = sorted(line for line in hidden if line in text)
            assert not leaked, f"{assignment}/{name} feedback of {student} shows {leaked[:3]}"
            for cell in (c for n in record.notebooks for c in n.cells):
                assert cell.grade_id in text
