"""Grade notebooks with nbgrader in a private course.

:func:`prepare_course` builds an nbgrader course in a working folder (the assignment's source,
its release, a gradebook of its own); :func:`autograde` grades one student's notebooks there
and returns plain data, touching nothing outside that folder. :mod:`aecourse.grader.job` runs
it for one submission, with the student's code in sandboxed kernels.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

from ..config import layout
from ..config.limits import Limits
from ..config.text import first_line
from .results import CellResult, NotebookResult, Status

STUDENT = "student"
# A private course: nbgrader's folders of an assignment, its source and its release.
SOURCE, RELEASE = layout.NBGRADER_SOURCE, "release"
MANIFEST = "aecourse"  # the released notebooks' metadata key for their list of test cells


def quiet_nbgrader() -> None:
    """Silence the warning nbgrader 0.9 raises over its own SQLAlchemy session use, and read
    nbgrader's database schema version in this process: nbgrader runs the ``alembic``
    command for it (4 s here, most of it importing nbgrader again) each time it creates a
    gradebook."""
    import warnings

    import nbgrader.api

    warnings.filterwarnings("ignore", message=".*not in session.*")
    if nbgrader.api.get_alembic_version is not _alembic_head:
        nbgrader.api.get_alembic_version = _alembic_head


@functools.lru_cache(maxsize=1)
def _alembic_head() -> str:
    """The head revision of nbgrader's migrations, what ``alembic heads`` prints first."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    heads = ScriptDirectory(ALEMBIC_DIR).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"nbgrader's migrations have {len(heads)} heads, expected one")
    return heads[0]


def _config(root: Path, limits: Limits | None, db_url=None, kernel=None, owner=None):
    from traitlets.config import Config

    from .nbconfig import configure

    c = Config()
    configure(c, root, limits)
    c.CourseDirectory.source_directory = SOURCE
    c.CourseDirectory.release_directory = RELEASE
    c.CourseDirectory.db_url = db_url or layout.sqlite_url(root / layout.GRADEBOOK)
    c.HTMLExporter.sanitize_html = True  # feedback: no script from a submission runs
    if kernel:
        mode, work = kernel
        c.GradingKernelManager.mode = mode
        c.GradingKernelManager.work_dir = str(work)
    if owner is not None:
        c.GradingExecute.owner = c.GradingKernelManager.owner = owner
    return c


def _api(root: Path, limits=None, db_url=None, kernel=None, owner=None):
    from nbgrader.apps import NbGraderAPI

    from ..sandbox.kernels import warm_up

    quiet_nbgrader()
    config = _config(root, limits, db_url, kernel, owner)
    folders = sorted((root / SOURCE).glob("*"))
    config.GradingExecute.skip_cells = sorted({g for f in folders for g in skipped_cells(f)})
    config.GradingExecute.warm_up = next(filter(None, map(warm_up, folders)), "")
    return NbGraderAPI(config=config)


def skipped_cells(source: Path) -> list[str]:
    """grade_ids of the demonstration cells of the instructor notebooks in ``source`` that
    grading does not run (``"aecourse": {"skip_in_grading": true}`` in a cell's metadata).

    Only read-only cells that are neither tests nor answers can be skipped, and the list
    comes from the instructor's notebooks, never from a submission.
    """
    import nbformat

    found = []
    for path in sorted(Path(source).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.metadata.get(MANIFEST, {}).get("skip_in_grading"):
                if meta.get("grade") or meta.get("solution") or not meta.get("locked"):
                    raise ValueError(f"{path}: cell {meta.get('grade_id', '?')} is marked "
                                     "skip_in_grading but is not a read-only demonstration")
                found.append(meta["grade_id"])
    return found


def open_course(root: Path, limits: Limits | None = None, kernel=None, owner=None):
    """The :class:`nbgrader.apps.NbGraderAPI` of a course made by :func:`prepare_course`.

    ``kernel`` is ``(mode, work folder)`` for
    :class:`aecourse.sandbox.kernels.GradingKernelManager` (default: a trusted kernel),
    ``limits`` the :class:`aecourse.config.limits.Limits` of grading, ``owner`` the
    :class:`aecourse.sandbox.kernels.JobKernels` that the kernels belong to.
    """
    return _api(Path(root), limits, kernel=kernel, owner=owner)


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        detail = first_line(result.get("error") or result.get("log") or "no details", last=True)
        raise RuntimeError(f"nbgrader {what} failed: {detail}")


def prepare_course(root: Path, source: Path, assignment: str, limits=None, db_url=None):
    """Create a course in ``root`` with ``source`` (an assignment folder) as its source.

    Runs ``generate_assignment`` so the gradebook (``root/gradebook.db`` unless ``db_url``
    names another) knows the assignment's test cells and points.
    Returns the :class:`nbgrader.apps.NbGraderAPI` of the course.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, root / SOURCE / assignment, dirs_exist_ok=True)
    api = _api(root, limits, db_url)
    _check(api.generate_assignment(assignment), f"generate_assignment {assignment}")
    stamp_tests(root / RELEASE / assignment)
    return api


def is_test(cell) -> bool:
    """Whether ``cell`` is an autograded test cell: graded, and not the student's answer."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade") and not meta.get("solution")
                and cell.get("cell_type") == "code")


def by_hand(cell) -> bool:
    """Whether ``cell`` is graded by the instructor: a graded answer, or a task."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool((meta.get("grade") and meta.get("solution")) or meta.get("task"))


def test_cells(nb) -> dict[str, float]:
    """grade_id -> points of the autograded test cells of ``nb`` (a notebook node)."""
    return {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader.get("points", 0))
            for c in nb.cells if is_test(c)}


def stamp_tests(release: Path) -> None:
    """Record in each released notebook's metadata the test cells it ships with, so that a
    self-check can tell when one was deleted (``aecourse check``)."""
    import nbformat

    for path in sorted(release.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nb.metadata[MANIFEST] = {"tests": test_cells(nb)}
        nbformat.write(nb, path)


def failure_message(outputs) -> str:
    for out in outputs:
        if out.get("output_type") == "error":
            return first_line(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}", None)
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "wrote to stderr: " + first_line(out.get("text", ""), 200)
    return ""


def _by_hand(source: Path) -> set[str]:
    """grade_ids of the answers graded by hand in the instructor notebook ``source``."""
    try:
        nb = json.loads(source.read_text())
    except (OSError, ValueError):
        return set()
    return {c["metadata"]["nbgrader"].get("grade_id", "") for c in nb.get("cells", [])
            if by_hand(c)}


def _messages(autograded: Path) -> tuple[dict[str, str], str]:
    """grade_id -> first line of the failure of each test cell, read from an autograded
    notebook, and the first error of any of its cells (``grade_id: error``)."""
    try:
        nb = json.loads(autograded.read_text())
    except (OSError, ValueError):
        return {}, ""
    messages, first = {}, ""
    for number, cell in enumerate(nb.get("cells", [])):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors and not first:
            first = f"{grade_id or f'cell {number}'}: {failure_message(errors)}"
        if is_test(cell):
            messages[grade_id] = failure_message(cell.get("outputs", []))
    return messages, first


def changed_test_cells(released, submitted) -> tuple[list[str], list[str]]:
    """grade_ids of the released notebook's test cells that ``submitted`` edited or deleted."""
    from nbgrader.utils import compute_checksum

    tests = {c.metadata.nbgrader["grade_id"]: c for c in released.cells if is_test(c)}
    found = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in submitted.cells}
    deleted = sorted(set(tests) - set(found))
    edited = sorted(g for g in tests if g in found
                    and compute_checksum(found[g]) != tests[g].metadata.nbgrader.get("checksum"))
    return edited, deleted


def _sanitize(target: Path, release: Path) -> dict[str, tuple[str, str]]:
    """Check the submitted notebooks in ``target`` against the release; fix what can be fixed.

    Returns notebook name -> (status, detail) for every notebook that is not plainly fine:
    unreadable ones are removed (invalid), a lone notebook under another name is renamed,
    edited or deleted test cells are noted (nbgrader puts the originals back).
    """
    import nbformat

    expected = sorted(p.stem for p in release.glob("*.ipynb"))
    notes = {}
    for path in sorted(target.glob("*.ipynb")):
        try:
            nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as err:  # any unreadable file is the submission's problem
            path.unlink()
            if path.stem in expected:
                reason = first_line(str(err), 200)
                notes[path.stem] = (Status.INVALID_NOTEBOOK, f"not a valid notebook: {reason}")
    missing = [n for n in expected if not (target / f"{n}.ipynb").exists() and n not in notes]
    extra = [p for p in target.glob("*.ipynb") if p.stem not in expected]
    if len(missing) == 1 and len(extra) == 1:
        extra[0].rename(target / f"{missing[0]}.ipynb")
        notes[missing[0]] = (Status.RENAMED, f"graded {extra[0].name} as {missing[0]}.ipynb")
    for name in expected:
        path = target / f"{name}.ipynb"
        if not path.exists():
            continue
        edited, deleted = changed_test_cells(nbformat.read(release / f"{name}.ipynb", 4),
                                             nbformat.read(path, 4))
        if edited or deleted:
            parts = [f"{what}: {', '.join(ids)}" for what, ids in
                     (("edited", edited), ("deleted", deleted)) if ids]
            detail = "test cells restored (" + "; ".join(parts) + ")"
            previous = notes.get(name, ("", ""))[1]
            notes[name] = (Status.RESTORED_CELLS, "; ".join(filter(None, [previous, detail])))
    return notes


def autograde(api, assignment: str, submission: Path, student: str = STUDENT):
    """Autograde the notebooks in ``submission`` (a folder) as ``student`` of ``api``'s course.

    Returns a list of :class:`NotebookResult`, one per notebook of the assignment.
    """
    from nbgrader.api import Gradebook, MissingEntry

    root = Path(api.coursedir.root)
    target = root / "submitted" / student / assignment
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(submission, target, symlinks=True)
    notes = _sanitize(target, root / RELEASE / assignment)
    if any(target.glob("*.ipynb")):
        outcome = api.autograde(assignment, student)
    else:  # nbgrader fails on a submission without notebooks; say what was wrong instead
        outcome = {"success": True}
    log = (outcome.get("log") or "") + (outcome.get("error") or "")
    died = "Kernel died" in log or "DeadKernel" in log
    failed = Status.KERNEL_DIED if died else Status.GRADER_ERROR
    failure = ("the kernel died while running the notebook (crash, os._exit or out of memory)"
               if died else first_line(log, last=True))
    results = []
    with Gradebook(api.coursedir.db_url) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            status, detail = notes.get(nb.name, (Status.GRADED, ""))
            try:
                graded = gb.find_submission_notebook(nb.name, assignment, student)
            except MissingEntry:
                if status == Status.GRADED:  # not already explained by _sanitize
                    status, detail = (
                        (failed, failure) if not outcome.get("success")
                        else (Status.MISSING_NOTEBOOK, f"no {nb.name}.ipynb in the submission"))
                results.append(NotebookResult(nb.name, 0.0, nb.max_score, status, detail=detail))
                continue
            messages, first = _messages(
                root / "autograded" / student / assignment / f"{nb.name}.ipynb")
            # an answer graded by hand waits for the instructor as nbgrader leaves it; a test
            # cell never does (nbgrader flags them all too when the kernel died mid-way)
            hand = _by_hand(root / SOURCE / assignment / f"{nb.name}.ipynb")
            cells = [
                CellResult(g.name, float(g.score or 0), float(g.max_score),
                           "" if g.name in hand else messages.get(g.name, ""),
                           manual=bool(g.needs_manual_grade) and g.name in hand)
                for g in sorted(graded.grades, key=lambda g: g.name)
                if g.max_score
            ]
            if not outcome.get("success"):
                status, detail = failed, failure
            results.append(NotebookResult(nb.name, float(graded.score), nb.max_score, status,
                                          cells, detail, first_error=first))
    return results


def solve(source: Path, release: Path, out: Path) -> Path:
    """Write into ``out`` what a perfect student submits: each notebook of ``release`` with its
    solution cells filled from ``source`` (the solution markers dropped). Returns ``out``."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(release.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        solved = {c.metadata["nbgrader"]["grade_id"]: c.source
                  for c in nbformat.read(source / path.name, as_version=4).cells
                  if c.metadata.get("nbgrader", {}).get("solution")}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in solved:
                lines = solved[grade_id].splitlines()
                cell.source = "\n".join(
                    line for line in lines
                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
        nbformat.write(nb, out / path.name)
    return out
