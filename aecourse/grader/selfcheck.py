"""A student's self-check: a notebook run with its visible tests, as ``nbgrader validate``
runs it, scored per test cell; or, where the instructor's notebooks are at hand (a clone of
the course), graded with its hidden tests as the grader grades it."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from pathlib import Path

from ..config import env
from ..config.layout import SOLUTIONS, Course
from .autograde import MANIFEST, failure_message, is_test
from .nbconfig import STUB
from .results import CellResult, Status

EDITED = "edited: this test cell was changed (it is put back as released when graded)"
DELETED = "deleted: this test cell is missing (it is put back when graded)"
NOT_DONE = "exercise {} is not done yet"
_CELL = re.compile(r"Cell In\[(\d+)\]")  # a traceback's frame in a notebook cell
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def unfinished(nb) -> dict[str, str]:
    """test grade_id -> grade_id of the answer cell still raising the release stub, for each
    test cell of the executed ``nb`` that failed with ``NotImplementedError``.

    The answer is the innermost answer cell the failure's traceback passes through, else the
    nearest answer cell above the test that still holds the stub.
    """
    answers: dict[int, str] = {}  # execution count -> grade_id of the answer cells run
    stubbed, found = None, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            if cell.get("execution_count"):
                answers[cell.execution_count] = meta.get("grade_id")
            stubbed = meta.get("grade_id") if STUB in cell.source else stubbed
        elif is_test(cell):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if not errors or errors[0].get("ename") != "NotImplementedError":
                continue
            trace = _COLOUR.sub("", "\n".join(errors[0].get("traceback", [])))
            named = [answers[int(n)] for n in _CELL.findall(trace) if int(n) in answers]
            if named or stubbed:
                found[meta["grade_id"]] = named[-1] if named else stubbed
    return found


def changed_locked_cells(nb) -> set[str]:
    """grade_ids of the locked cells of ``nb`` whose source no longer matches the checksum
    the release recorded (what ``nbgrader validate`` reports as changed)."""
    from nbgrader.utils import compute_checksum, is_locked

    return {c.metadata.nbgrader.get("grade_id") for c in nb.cells
            if is_locked(c) and "checksum" in c.metadata.nbgrader
            and compute_checksum(c) != c.metadata.nbgrader["checksum"]}


def _run(nb, folder: Path):
    """``nb`` executed in ``folder`` with the steps of ``nbgrader validate``."""
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput
    from nbgrader.utils import chdir, setenv
    from traitlets.config import Config

    from .nbconfig import configure
    from .preprocessors import GradingExecute, StderrIsNotAFailure

    config = Config()
    configure(config)
    config.GradingExecute.skip_cells = [  # demonstrations that grading skips are skipped here
        c.metadata.nbgrader["grade_id"] for c in nb.cells
        if c.metadata.get(MANIFEST, {}).get("skip_in_grading")
        and c.metadata.get("nbgrader", {}).get("grade_id")]
    resources: dict = {}
    with chdir(str(folder)), setenv(**{env.NBGRADER_VALIDATING: "1",
                                      env.NBGRADER_EXECUTION: "validate"}):
        for step in (CheckCellMetadata, ClearOutput, GradingExecute, StderrIsNotAFailure):
            nb, resources = step(config=config).preprocess(nb, resources)
    return nb


def check_notebook(path: Path) -> tuple[list[CellResult], bool]:
    """Run ``path`` as ``nbgrader validate`` does; return one result per test cell, and
    whether the notebook carries the list of its released test cells.

    Test cells that were edited or deleted (compared with the list the released lesson
    carries) earn nothing here: they are put back, unedited, when the notebook is graded.
    """
    import nbformat
    from nbgrader.utils import determine_grade

    nb = nbformat.read(path, as_version=4)
    released = nb.metadata.get(MANIFEST, {}).get("tests")
    changed = changed_locked_cells(nb)
    nb = _run(nb, Path(path).parent.resolve())
    stubs = unfinished(nb)
    results, seen = [], set()
    for cell in nb.cells:
        if is_test(cell):
            grade_id = cell.metadata.nbgrader["grade_id"]
            seen.add(grade_id)
            score, possible = determine_grade(cell)
            if grade_id in changed:
                results.append(CellResult(grade_id, 0.0, possible, EDITED))
                continue
            message = failure_message(cell.outputs) if score != possible else ""
            message = NOT_DONE.format(stubs[grade_id]) if grade_id in stubs else message
            results.append(CellResult(grade_id, float(score or 0), float(possible), message))
    for grade_id, points in (released or {}).items():
        if grade_id not in seen:
            results.append(CellResult(grade_id, 0.0, float(points), DELETED))
    return results, released is not None


def solution_of(path: Path) -> Path:
    """The instructor's notebook that ``path`` (a student's copy of a lesson) is graded
    against: ``solutions/<assignment>/<notebook>``, in a folder above ``path`` or in the
    current folder; a one-line error where there is none (a kit, not a clone)."""
    path = Path(path).resolve()
    assignment = path.parent.name
    for folder in [*path.parents, Path.cwd()]:
        candidate = Course(folder).solutions / assignment / path.name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"--hidden needs the instructor's {SOLUTIONS}/ (as in a clone of the course): no "
        f"{SOLUTIONS}/{assignment}/{path.name} above {path.parent} or in the current folder")


def check_hidden(path: Path) -> tuple[list[CellResult], str]:
    """Grade ``path`` against its instructor's notebook (:func:`solution_of`), hidden tests
    included, as ``aecourse release`` grades (a private course, a trusted kernel).

    Returns one result per test cell, whose messages never quote a hidden test, and a note
    when grading was not plain (test cells put back, the kernel died).
    """
    import nbformat

    from . import autograde
    from .feedback import course_hidden_lines, scrub

    source = solution_of(path)
    assignment, name = source.parent.name, source.name
    with tempfile.TemporaryDirectory(prefix="aecourse-check-") as tmp:
        api = autograde.prepare_course(Path(tmp) / "course", source.parent, assignment)
        submission = Path(tmp) / "submission"
        submission.mkdir()
        shutil.copyfile(path, submission / name)
        result = next(r for r in autograde.autograde(api, assignment, submission)
                      if r.notebook == source.stem)
        coursedir = api.coursedir
        graded = Path(coursedir.format_path(coursedir.autograded_directory,
                                            autograde.STUDENT, assignment)) / name
        hidden = course_hidden_lines(Path(tmp) / "course", assignment)
        ran = nbformat.read(graded, as_version=4) if graded.is_file() else None
    stubs = unfinished(ran) if ran else {}
    order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in ran.cells] if ran else []
    cells = [dataclasses.replace(c, message=NOT_DONE.format(stubs[c.grade_id])
                                 if c.grade_id in stubs else scrub(c.message, hidden))
             for c in sorted(result.cells, key=lambda c: (
                 order.index(c.grade_id) if c.grade_id in order else len(order)))]
    note = "" if result.status == Status.GRADED else f"{result.status}: {result.detail}"
    return cells, note
