"""The course's nbgrader gradebook: assignments registered once, each record stored as it comes.

A regrade updates the automatic scores and keeps what an instructor added by hand (manual
scores, extra credit, comments). The gradebook is any SQLAlchemy URL: SQLite by default, or a
PostgreSQL server shared by several graders, whose writes take turns (an advisory lock).
Due dates (``Assignment.duedate``), extensions (``SubmittedAssignment.extension``), submission
times and late penalties (``SubmittedNotebook.late_submission_penalty``) are nbgrader's own
fields, so that the formgrader agrees with ``aecourse export``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config.layout import GRADEBOOK, Course, sqlite_url
from ..config.term import iso
from ..config.text import first_line
from .autograde import prepare_course, quiet_nbgrader
from .results import SubmissionRecord

LOCK = 0x61656373  # the advisory lock that PostgreSQL writers of a gradebook take turns on


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or written (one line, for the command line)."""


def normalize_url(db_url: str) -> str:
    """``db_url`` with a driver SQLAlchemy can load: ``postgresql://`` (and Heroku-style
    ``postgres://``) uses psycopg 3 when it is installed."""
    scheme, sep, rest = db_url.partition("://")
    if not sep:
        raise GradebookError(f"{db_url!r} is not a database URL "
                             f"({sqlite_url(Path('path') / GRADEBOOK)} or postgresql://user@host/db)")
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            try:
                import psycopg2  # noqa: F401
            except ImportError:
                raise GradebookError(
                    "a PostgreSQL gradebook needs its driver: pip install 'aecourse[postgres]' "
                    "(psycopg)") from None
            return f"postgresql://{rest}"
        return f"postgresql+psycopg://{rest}"
    return db_url


def display_url(db_url: str) -> str:
    """``db_url`` without its password, to print."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: say it as given, less any password
        return db_url.split("@")[-1] if "@" in db_url else db_url


@contextlib.contextmanager
def exclusive(db_url: str):
    """Hold the gradebook's writer lock (PostgreSQL; SQLite locks its file itself)."""
    if not db_url.startswith("postgresql"):
        yield
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(db_url, poolclass=NullPool)
    try:
        try:
            connection = engine.connect()
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK})
        except Exception as err:
            raise GradebookError(f"cannot open the gradebook {display_url(db_url)}: "
                                 f"{first_line(err)}") from None
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK})
            connection.close()
    finally:
        engine.dispose()


def _open(db_url: str):
    from nbgrader.api import Gradebook

    quiet_nbgrader()
    try:
        return Gradebook(db_url)
    except Exception as err:  # sqlalchemy and alembic raise many kinds; name the gradebook
        raise GradebookError(f"cannot open the gradebook {display_url(db_url)}: "
                             f"{first_line(err)}") from None


@contextlib.contextmanager
def opened(db_url: str, write: bool = True):
    """The nbgrader Gradebook at ``db_url``, closed after; writers take turns."""
    with exclusive(db_url) if write else contextlib.nullcontext():
        gb = _open(db_url)
        try:
            yield gb
        finally:
            gb.close()


def register(db_url: str, course: Path, assignments, term=None) -> None:
    """Make the gradebook know each assignment's notebooks, test cells and points, and its
    due date from ``term`` (:class:`aecourse.config.term.Term`)."""
    with exclusive(db_url):
        _open(db_url).close()  # a clear error before nbgrader's long one
        with tempfile.TemporaryDirectory(prefix="aecourse-register-") as tmp:
            for assignment in sorted(set(assignments)):
                try:
                    prepare_course(Path(tmp) / assignment, Course(course).source(assignment),
                                   assignment, db_url=db_url)
                except RuntimeError as err:
                    raise GradebookError(first_line(err)) from None
        if term is not None:
            with opened(db_url, write=False) as gb:
                for assignment in sorted(set(assignments)):
                    _set_due(gb, gb.find_assignment(assignment), term)
                gb.db.commit()


def _set_due(gb, assignment, term) -> None:
    due = term.due_date(assignment.name)
    assignment.duedate = (due.astimezone(dt.UTC).replace(tzinfo=None)
                          if due is not None else None)


def _apply_term(gb, submission, term) -> None:
    """Set the extension of ``submission`` (a SubmittedAssignment) from ``term`` and each of
    its notebooks' late penalty under the term's policy; the caller commits."""
    submission.extension = term.extension(submission.student.id, submission.assignment.name)
    gb.db.flush()
    late = submission.total_seconds_late
    for notebook in submission.notebooks:
        gb.db.refresh(notebook)  # its score (a SQL expression) after this session's changes
        penalty = term.late.penalty(notebook.score or 0.0, late)
        notebook.late_submission_penalty = penalty if penalty > 0 else None


def store(db_url: str, record: SubmissionRecord, term=None) -> None:
    """Write ``record``'s automatic scores and timestamp into the gradebook, keeping manual
    grades, extra credit and comments of an earlier grading; with ``term``, its extension
    and late penalties too."""
    from nbgrader.api import Grade, MissingEntry

    with opened(db_url) as gb:
        try:
            gb.update_or_create_student(record.student)
            extra = {"timestamp": record.timestamp} if record.timestamp else {}
            submission = gb.update_or_create_submission(record.assignment, record.student,
                                                        **extra)
            cells = {n.notebook: {c.grade_id: c for c in n.cells} for n in record.notebooks}
            for notebook in submission.notebooks:
                known = {g.name for g in notebook.grades}
                for cell in notebook.notebook.grade_cells:  # cells added since the last grading
                    if cell.name not in known:
                        Grade(cell_id=cell.id, notebook=notebook)
                for grade in notebook.grades:
                    cell = cells.get(notebook.name, {}).get(grade.name)
                    if cell is not None and cell.manual:  # as nbgrader's autograde leaves it
                        grade.auto_score = None
                        grade.needs_manual_grade = grade.manual_score is None
                    else:
                        grade.auto_score = cell.score if cell is not None else 0.0
                        grade.needs_manual_grade = False
            if term is not None:
                _apply_term(gb, submission, term)
            gb.db.commit()
        except MissingEntry as err:
            gb.db.rollback()
            raise GradebookError(f"gradebook {display_url(db_url)}: {err}") from None


def has(db_url: str, student: str, assignment: str) -> bool:
    """Whether the gradebook holds ``student``'s submission of ``assignment``."""
    from nbgrader.api import MissingEntry

    with opened(db_url, write=False) as gb:
        try:
            gb.find_submission(assignment, student)
            return True
        except MissingEntry:
            return False


@dataclass
class NotebookGrade:
    name: str
    score: float  # automatic or manual, with extra credit
    max_score: float
    penalty: float = 0.0


@dataclass
class Submitted:
    """One submission as the gradebook holds it."""

    student: str
    assignment: str
    timestamp: str  # ISO 8601, UTC
    seconds_late: float
    notebooks: list[NotebookGrade] = field(default_factory=list)


@dataclass
class Contents:
    """What an export needs from the gradebook."""

    assignments: dict[str, dict[str, float]]  # assignment -> notebook -> max points
    students: list[str]
    submissions: list[Submitted]


def apply_term(db_url: str, term) -> None:
    """Bring every due date, extension and late penalty of the gradebook in line with
    ``term`` (the course file may have changed since grading)."""
    with opened(db_url) as gb:
        for assignment in gb.assignments:
            _set_due(gb, assignment, term)
            for submission in assignment.submissions:
                _apply_term(gb, submission, term)
        gb.db.commit()


def contents(db_url: str) -> Contents:
    """Every assignment, student and submission of the gradebook, sorted."""
    with opened(db_url, write=False) as gb:
        assignments = {a.name: {nb.name: float(nb.max_score or 0) for nb in a.notebooks}
                       for a in gb.assignments}
        students = sorted(s.id for s in gb.students)
        submissions = []
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                submissions.append(Submitted(
                    sub.student.id, assignment.name, iso(sub.timestamp),
                    float(sub.total_seconds_late or 0),
                    sorted((NotebookGrade(nb.name, float(nb.score or 0),
                                          float(nb.max_score or 0),
                                          float(nb.late_submission_penalty or 0))
                            for nb in sub.notebooks), key=lambda n: n.name)))
    submissions.sort(key=lambda s: (s.student, s.assignment))
    return Contents(dict(sorted(assignments.items())), students, submissions)
