"""Grade notebooks with nbgrader: one submission in, one result record out.

:func:`grade_submission` builds a private nbgrader course in a working folder (the assignment's
source, a gradebook of its own), autogrades one student's notebooks there and returns plain
data. It touches nothing outside that folder, so it can run in a sandboxed process, in
parallel, or on another machine; only the caller merges results into a shared gradebook.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

STUDENT = "student"


@dataclass
class CellResult:
    """The outcome of one autograded test cell."""

    grade_id: str
    score: float
    max_score: float
    message: str = ""  # first line of the error, when the cell failed


@dataclass
class NotebookResult:
    """The outcome of one notebook."""

    notebook: str
    score: float
    max_score: float
    status: str  # "graded", or what went wrong
    cells: list[CellResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _config(root: Path):
    from traitlets.config import Config

    from .nbconfig import configure

    c = Config()
    configure(c, root)
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.release_directory = "release"
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    return c


def _api(root: Path):
    from nbgrader.apps import NbGraderAPI

    return NbGraderAPI(config=_config(root))


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        detail = result.get("error") or result.get("log") or "no details"
        raise RuntimeError(f"nbgrader {what} failed:\n{detail}")


def prepare_course(root: Path, source: Path, assignment: str):
    """Create a course in ``root`` with ``source`` (an assignment folder) as its source.

    Runs ``generate_assignment`` so the gradebook knows the assignment's test cells and points.
    Returns the :class:`nbgrader.apps.NbGraderAPI` of the course.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, root / "source" / assignment, dirs_exist_ok=True)
    api = _api(root)
    _check(api.generate_assignment(assignment), f"generate_assignment {assignment}")
    return api


def _failure_message(outputs) -> str:
    for out in outputs:
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".splitlines()[0]
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "wrote to stderr: " + out.get("text", "").strip().splitlines()[0][:200]
    return ""


def _messages(autograded: Path) -> dict[str, str]:
    """grade_id -> first line of the failure, read from an autograded notebook."""
    try:
        nb = json.loads(autograded.read_text())
    except (OSError, ValueError):
        return {}
    messages = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell.get("cell_type") == "code":
            messages[meta.get("grade_id", "")] = _failure_message(cell.get("outputs", []))
    return messages


def autograde(api, assignment: str, submission: Path, student: str = STUDENT):
    """Autograde the notebooks in ``submission`` (a folder) as ``student`` of ``api``'s course.

    Returns a list of :class:`NotebookResult`, one per notebook of the assignment.
    """
    from nbgrader.api import Gradebook, MissingEntry

    root = Path(api.coursedir.root)
    target = root / "submitted" / student / assignment
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(submission, target)
    outcome = api.autograde(assignment, student)
    results = []
    with Gradebook(api.coursedir.db_url) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            max_score = nb.max_score
            try:
                graded = gb.find_submission_notebook(nb.name, assignment, student)
            except MissingEntry:
                status = "missing notebook" if outcome.get("success") else "grader error"
                results.append(NotebookResult(nb.name, 0.0, max_score, status))
                continue
            messages = _messages(root / "autograded" / student / assignment / f"{nb.name}.ipynb")
            cells = [
                CellResult(g.name, float(g.score), float(g.max_score), messages.get(g.name, ""))
                for g in sorted(graded.grades, key=lambda g: g.name)
                if g.max_score
            ]
            status = "graded" if outcome.get("success") else "grader error"
            results.append(NotebookResult(nb.name, float(graded.score), max_score, status, cells))
    return results


def grade_submission(submission: Path, source: Path, assignment: str, workdir: Path):
    """Grade one student's ``submission`` folder against the assignment folder ``source``.

    A pure function of its inputs: everything it writes stays in ``workdir``.
    """
    api = prepare_course(Path(workdir), Path(source), assignment)
    return autograde(api, assignment, Path(submission))
