"""``aecourse grade`` as a function: collect a class's submissions, grade what is new, store
each record the moment it is graded, and resume where an interrupted run stopped."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import term as terms
from ..config.layout import GRADED, Course
from ..config.limits import Limits
from ..sandbox import forkserver, policy
from . import dispatch, gradebook, records, summary
from .job import PreparedCourses, canary, canary_problem, collect
from .results import Status, SubmissionRecord

NO_SANDBOX_WARNING = ("warning: --no-sandbox: student code runs without isolation and can read "
                      "and change anything your user can (solutions, gradebook, other "
                      "students' files)")
SAME_ERRORS_TO_STOP = 3  # students whose grading failed the same way in the grader


class CanaryFailed(RuntimeError):
    """An assignment's own solution does not earn full marks in this grader: nothing of the
    class was graded."""


class GraderBroken(RuntimeError):
    """Several students' grading failed the same way in the grader: the run stopped, what was
    graded is kept."""


@dataclass
class Summary:
    """What a run did, and where its results are."""

    graded: list[SubmissionRecord]  # in this run
    skipped: list[SubmissionRecord]  # graded earlier with the same files and course version
    scores: Path
    db_url: str
    notes: list[str] = field(default_factory=list)  # files skipped, ids not on the roster
    canary_seconds: float = 0.0  # grading each assignment's solution before the class

    @property
    def statuses(self) -> Counter:
        """How many notebooks (graded now or before) ended in each status."""
        return Counter(n.status for r in [*self.graded, *self.skipped] for n in r.notebooks)

    @property
    def by_hand(self) -> int:
        """Answers left for the instructor to grade by hand."""
        return sum(len(n.by_hand) for r in [*self.graded, *self.skipped] for n in r.notebooks)

    @property
    def problems(self) -> list[str]:
        """``student/assignment/notebook: status`` of every notebook not graded normally."""
        return [f"{r.student}/{r.assignment}/{n.notebook}: {n.status}"
                for r in [*self.graded, *self.skipped] for n in r.notebooks
                if not n.status.graded]


def grade_class(submissions: Path, course: Path = Path("."), out: Path = Path(GRADED),
                db_url: str | None = None, assignment: str | None = None, students=None,
                workers: int = 1, scheduler: str | None = None, limits: Limits | None = None,
                sandboxed: bool = True, force: bool = False, progress: bool = True,
                term: terms.Term | None = None, roster: Path | None = None,
                canary: bool = True, say=print) -> Summary:
    """Grade ``submissions`` (see :func:`aecourse.grader.intake.find_submissions`) against the
    course at ``course``; write the gradebook (``db_url``, default ``course/gradebook.db``),
    the record files, feedback and ``scores.csv`` under ``out``.

    ``term`` (default: the course's ``course.toml``) says how LMS file names read, the due
    dates, extensions and late policy; ``roster`` (default: the one it names) maps LMS ids.

    Submissions already graded with the same bytes and course version are skipped unless
    ``force``. Raises :class:`aecourse.sandbox.policy.SandboxUnavailable` when ``sandboxed`` and
    bubblewrap cannot run, before anything is graded. With ``canary``, each assignment's
    solution is graded first, the same way: :class:`CanaryFailed` when one does not earn full
    marks (no student graded). :class:`GraderBroken` when :data:`SAME_ERRORS_TO_STOP`
    students' grading failed the same way in the grader (what was graded is kept).
    """
    # Sandboxed kernels fork from a server that imports TensorFlow: started first, it loads
    # while this process loads nbgrader (seconds), and serves the workers too.
    with (forkserver.shared() if sandboxed and not scheduler else contextlib.nullcontext()):
        return _grade_class(submissions, course, out, db_url, assignment, students, workers,
                            scheduler, limits, sandboxed, force, progress, term, roster,
                            canary, say)


def _grade_class(submissions, course, out, db_url, assignment, students, workers, scheduler,
                 limits, sandboxed, force, progress, term, roster, use_canary, say) -> Summary:
    course, out, limits = Path(course).resolve(), Path(out).resolve(), limits or Limits()
    db_url = gradebook.normalize_url(db_url or Course(course).gradebook_url)
    term = term if term is not None else terms.load(course)
    class_list = term.roster(roster)
    if sandboxed:
        policy.require()
    else:
        say(NO_SANDBOX_WARNING)
    notes: list[str] = []
    jobs = collect(Path(submissions), assignment, course, students, lms=term.lms,
                   roster=class_list, notes=notes)
    if class_list and not students:
        for name in sorted({job.assignment for job in jobs}):
            absent = sorted(set(class_list.by_id())
                            - {job.student for job in jobs if job.assignment == name})
            if absent:
                notes.append(f"{name}: nothing from {len(absent)} student(s) on the roster: "
                             f"{', '.join(absent)}")
    for note in notes:
        say(f"note: {note}")
    gradebook.register(db_url, course, (), term)  # a clear error now if it cannot be opened
    registered: set[str] = set()

    def register(assignment):  # as its first record comes, while the workers go on grading
        if assignment not in registered:
            gradebook.register(db_url, course, {assignment}, term)
            registered.add(assignment)

    store = records.RecordStore(out)
    previous = store.load()
    todo, skipped = [], []
    for job in jobs:
        job.limits, job.sandbox = limits, "bwrap" if sandboxed else "limits"
        before = previous.get((job.student, job.assignment))
        if not force and records.up_to_date(before, job.submission.digest, job.course_version):
            skipped.append(before)
        else:
            todo.append(job)
    for name in sorted({record.assignment for record in skipped}):  # due dates may have moved
        register(name)
    for record in skipped:  # the gradebook may have been replaced since
        if not gradebook.has(db_url, record.student, record.assignment):
            gradebook.store(db_url, record, term)
        store.finish(record, term)  # due dates may have moved
    where = f"on {scheduler}" if scheduler else f"with {workers} worker(s)"
    isolation = "bubblewrap sandbox" if sandboxed else "NO sandbox"
    say(f"Grading {len(todo)} submission(s) {where} ({isolation})"
        + (f"; {len(skipped)} already graded with the same files: skipped (--force regrades)"
           if skipped else ""))

    failed_alike: dict[str, set[str]] = {}

    def keep(record):
        record.feedback = {name: summary.finish(page, record, name, term)
                           for name, page in record.feedback.items()}
        register(record.assignment)
        gradebook.store(db_url, record, term)
        store.append(record)
        for nb in record.notebooks:
            if nb.status == Status.GRADER_ERROR:
                alike = failed_alike.setdefault(nb.detail, set())
                alike.add(record.student)
                if len(alike) >= SAME_ERRORS_TO_STOP:
                    raise GraderBroken(
                        f"stopped: the grader failed the same way for {len(alike)} students "
                        f"({nb.detail}); what was graded is kept, and running the same "
                        "command again regrades the failed ones")

    canaries = [canary(name, next(j.course_version for j in todo if j.assignment == name))
                for name in sorted({j.assignment for j in todo})] if use_canary else []
    for job in canaries:
        job.limits, job.sandbox = limits, "bwrap" if sandboxed else "limits"
    proven, started = [], time.perf_counter()

    def check(record):
        proven.append(time.perf_counter() - started)
        problem = canary_problem(record)
        if problem:
            raise CanaryFailed(f"the canary failed: {problem}; no student was graded (the "
                               "grader or this machine is broken: see `aecourse doctor`)")

    try:
        graded = dispatch.grade_all(todo, workers=workers, scheduler=scheduler,
                                    on_record=keep, progress=progress,
                                    prepare=PreparedCourses(course).fill,
                                    first=canaries, on_first=check)
        graded = [record for record in graded if record is not None]
    finally:  # an interrupted run leaves a CSV of what it kept, too
        scores = store.write_scores(store.load().values())
    return Summary(graded, skipped, scores, db_url, notes,
                   canary_seconds=round(max(proven, default=0.0), 2))
