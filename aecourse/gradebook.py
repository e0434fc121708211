"""The course's nbgrader gradebook: assignments registered once, each record stored as it comes.

A regrade updates the automatic scores and keeps what an instructor added by hand (manual
scores, extra credit, comments).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .results import SubmissionRecord


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or written (one line, for the command line)."""


def _open(db_url: str):
    from nbgrader.api import Gradebook

    from .grading import quiet_nbgrader

    quiet_nbgrader()
    try:
        return Gradebook(db_url)
    except Exception as err:  # sqlalchemy and alembic raise many kinds; name the gradebook
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise GradebookError(f"cannot open the gradebook {db_url}: {reason}") from None


def register(db_url: str, course: Path, assignments) -> None:
    """Make the gradebook know each assignment's notebooks, test cells and points."""
    from .grading import prepare_course

    _open(db_url).close()  # a clear error before nbgrader's long one
    with tempfile.TemporaryDirectory(prefix="aecourse-register-") as tmp:
        for assignment in sorted(set(assignments)):
            try:
                prepare_course(Path(tmp) / assignment, course / "solutions" / assignment,
                               assignment, db_url=db_url)
            except RuntimeError as err:
                raise GradebookError(str(err).splitlines()[0]) from None


def store(db_url: str, record: SubmissionRecord) -> None:
    """Write ``record``'s automatic scores and timestamp into the gradebook, keeping manual
    grades, extra credit and comments of an earlier grading."""
    from nbgrader.api import Grade, MissingEntry

    gb = _open(db_url)
    try:
        gb.update_or_create_student(record.student)
        extra = {"timestamp": record.timestamp} if record.timestamp else {}
        submission = gb.update_or_create_submission(record.assignment, record.student, **extra)
        scores = {n.notebook: {c.grade_id: c.score for c in n.cells} for n in record.notebooks}
        for notebook in submission.notebooks:
            known = {g.name for g in notebook.grades}
            for cell in notebook.notebook.grade_cells:  # cells added since the last grading
                if cell.name not in known:
                    Grade(cell_id=cell.id, notebook=notebook)
            for grade in notebook.grades:
                grade.auto_score = scores.get(notebook.name, {}).get(grade.name, 0.0)
                grade.needs_manual_grade = False
        gb.db.commit()
    except MissingEntry as err:
        gb.db.rollback()
        raise GradebookError(f"gradebook {db_url}: {err}") from None
    finally:
        gb.close()


def has(db_url: str, student: str, assignment: str) -> bool:
    """Whether the gradebook holds ``student``'s submission of ``assignment``."""
    from nbgrader.api import MissingEntry

    gb = _open(db_url)
    try:
        gb.find_submission(assignment, student)
        return True
    except MissingEntry:
        return False
    finally:
        gb.close()
