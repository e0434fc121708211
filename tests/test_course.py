"""The course itself: every solution earns full marks, every released lesson earns zero,
the committed lessons are exactly what nbgrader generates, and no solution leaks."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from aecourse.grading import autograde, prepare_course, solve
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
            f"solutions/; regenerate it with `nbgrader generate_assignment {assignment} --force`")


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
def test_solution_earns_full_marks(courses, assignment, tmp_path):
    api = courses(assignment)
    release = Path(api.coursedir.format_path("release", ".", assignment))
    solved = solve(SOLUTIONS / assignment, release, tmp_path / "solved")
    results = autograde(api, assignment, solved)
    for result in results:
        assert result.status == "graded", result
        assert result.max_score > 0
        lost = [c for c in result.cells if c.score < c.max_score]
        assert not lost, f"{assignment}/{result.notebook}: solution loses points: {lost}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_lesson_earns_zero(courses, assignment):
    results = autograde(courses(assignment), assignment, LESSONS / assignment, student="blank")
    for result in results:
        assert result.status == "graded", result
        assert result.score == 0, f"{assignment}/{result.notebook}: blank lesson scores {result}"
        assert all(c.message for c in result.cells), "every failing test should say why"


def _blank(nb, grade_id):
    """A copy of ``nb`` with the solution region of cell ``grade_id`` replaced by the stub."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            source = "".join(cell["source"])
            cell["source"] = re.sub(
                r"### BEGIN SOLUTION.*?### END SOLUTION",
                "raise NotImplementedError()", source, flags=re.S,
            ) if "### BEGIN SOLUTION" in source else "raise NotImplementedError()"
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_solution_region_is_graded(courses, assignment, tmp_path):
    """Blanking any one solution region loses points."""
    api = courses(assignment)
    for path in notebooks(SOLUTIONS / assignment):
        nb = json.loads(path.read_text())
        regions = [nbgrader_meta(c)["grade_id"] for c in nb["cells"]
                   if nbgrader_meta(c).get("solution") and c["cell_type"] == "code"]
        for grade_id in regions:
            submission = tmp_path / grade_id
            submission.mkdir()
            for other in notebooks(SOLUTIONS / assignment):
                (submission / other.name).write_text(other.read_text())
            (submission / path.name).write_text(json.dumps(_blank(nb, grade_id)))
            results = autograde(api, assignment, submission, student=f"mutant_{grade_id}")
            score = sum(r.score for r in results)
            full = sum(r.max_score for r in results)
            assert score < full, f"{assignment}: blanking {grade_id} still earns {score}/{full}"
