"""The course itself: every solution earns full marks and every released lesson zero, every
exercise is graded, every plausible wrong answer loses points and every right one in another
style earns full marks, feedback never shows a hidden test, the committed lessons are exactly
what ``aecourse release`` generates, and no solution leaks."""

from __future__ import annotations

import ast
import html
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from aecourse.authoring import variants
from aecourse.config.layout import Course
from aecourse.grader import feedback
from aecourse.grader.autograde import prepare_course
from aecourse.grader.batch import grade_class
from aecourse.sandbox import policy as sandbox

from .conftest import ROOT

COURSE = Course(ROOT)
SOLUTIONS, LESSONS = COURSE.solutions, COURSE.lessons
ASSIGNMENTS = COURSE.assignments()


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
    assert len(ASSIGNMENTS) >= 8
    assert sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir()) == sorted(ASSIGNMENTS)
    assert sorted(p.name for p in LESSONS.iterdir() if p.is_dir()) == sorted(ASSIGNMENTS)
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_solution_runs_whole_in_the_grading_budget(assignment, tmp_path):
    """Grading skips the demonstrations no test needs; here every cell runs, as a student
    runs the lesson (in the short budget)."""
    from nbclient import NotebookClient

    from aecourse.grader.autograde import solve

    api = prepare_course(tmp_path / "course", SOLUTIONS / assignment, assignment)
    release = Path(api.coursedir.format_path("release", ".", assignment))
    solved = solve(SOLUTIONS / assignment, release, tmp_path / "solved")
    for path in notebooks(solved):
        nb = nbformat.read(path, 4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(solved)}}).execute()
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out.get("output_type") != "error", (
                    f"{path.name} {nbgrader_meta(cell).get('grade_id')}: "
                    f"{out.get('ename')}: {out.get('evalue')}")
                assert out.get("name") != "stderr" or cell.cell_type != "code" or (
                    not nbgrader_meta(cell).get("grade")), f"stderr in a test cell: {out}"


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Every lesson graded the way a class is (``aecourse grade``, sandboxed where possible):
    its solution, its release, and its first right answer in another style (the textbook's
    code, warnings and all). Returns assignment -> [(student, variant, record)]."""
    root = tmp_path_factory.mktemp("course-graded")
    submitted, made = root / "submitted", {}
    for assignment in ASSIGNMENTS:
        proofs = variants.submissions(ROOT, assignment, submitted)
        right = next((s for s, v in proofs.items() if v is not None and not v.wrong), None)
        keep = {variants.SOLUTION, variants.BLANK, right}
        for student in set(proofs) - keep:
            shutil.rmtree(submitted / student / assignment)
        made[assignment] = {s: v for s, v in proofs.items() if s in keep}
    summary = grade_class(submitted, course=ROOT, out=root / "out",
                          db_url=f"sqlite:///{root / 'gradebook.db'}", workers=2,
                          sandboxed=not sandbox.problem(), progress=False, say=lambda _: None,
                          canary=False)  # each solution is graded here anyway
    found = {a: [] for a in ASSIGNMENTS}
    for record in summary.graded:
        found[record.assignment].append(
            (record.student, made[record.assignment][record.student], record))
    return found


def judged(graded, assignment):
    """The problems of the proofs of ``assignment`` graded by the grader."""
    problems = []
    for student, variant, record in graded[assignment]:
        cells = [c for n in record.notebooks for c in n.cells]
        problems += variants.judge(student, variant, cells, variants.trouble(record))
    return problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_as_a_class_solution_full_release_zero_other_styles_full(graded, assignment):
    assert not judged(graded, assignment)
    records = {s: r for s, _, r in graded[assignment]}
    assert set(records) >= {variants.SOLUTION, variants.BLANK}
    assert records["solution"].max_score > 0
    assert all(c.message for n in records["blank"].notebooks for c in n.cells), (
        "every failing test should say why")
    assert len(records) == 3, f"{assignment}: no right answer in another style was graded"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_is_graded_every_wrong_answer_loses_points_every_right_one_earns_all(
        assignment):
    """Each exercise left undone loses points, each wrong answer of variants/ loses points
    in the tests that should catch it, each right answer in another style earns full marks
    (run fast, forked: see aecourse.forkrun; the grader itself is tested above)."""
    listed = variants.load(ROOT, assignment)
    assert {v.wrong for v in listed} == {True, False}, (
        f"variants/{assignment}.py should list both wrong and right answers")
    assert all(v.caught_by for v in listed if v.wrong), "every wrong answer names its catcher"
    problems = variants.check(ROOT, assignment, workers=2)
    assert not problems, "\n".join(problems)


def course_hidden_lines():
    """Every line of every lesson's hidden tests that neither a released lesson nor a
    solution's answer (which a student writes too) shows."""
    lines, public = set(), set()
    for assignment in ASSIGNMENTS:
        for path in notebooks(SOLUTIONS / assignment):
            lesson = nbformat.read(LESSONS / assignment / path.name, 4)
            source = nbformat.read(path, 4)
            lines |= feedback.hidden_lines(source, lesson)
            answers = [c for c in source.cells if nbgrader_meta(c).get("solution")]
            public |= {" ".join(line.split()) for c in [*lesson.cells, *answers]
                       for line in c.source.splitlines()}
    return {line for line in lines if not any(line in seen for seen in public)}


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
