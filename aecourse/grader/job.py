"""One job: one student's submission of one assignment, graded by :func:`grade_job`.

A job is plain data (bytes in, a :class:`~aecourse.grader.results.SubmissionRecord` out), so
that it can travel to a worker process or another machine. nbgrader runs in the calling
process, which is trusted; the student's code runs in sandboxed kernels
(:mod:`aecourse.sandbox`) that see only a scratch copy of the student's files.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..config.layout import Course
from ..config.limits import Limits
from ..config.text import first_line
from ..sandbox import policy
from ..sandbox.kernels import JobKernels
from . import autograde, feedback
from .intake import SECRET_FILE, Submission, digest, find_submissions, read_tree
from .results import NotebookResult, Status, SubmissionRecord


@dataclass
class Job:
    """A submission, the version of the instructor's notebooks it is graded against, and
    how: its limits and its kernels' mode (see :mod:`aecourse.sandbox.kernels`)."""

    submission: Submission
    course_version: str = ""
    limits: Limits = field(default_factory=Limits)
    sandbox: str = "bwrap"
    course: dict[str, bytes] = field(default_factory=dict)  # prepared (see PreparedCourses)

    @property
    def student(self) -> str:
        return self.submission.student

    @property
    def assignment(self) -> str:
        return self.submission.assignment


def course_version(source: Path) -> str:
    """A fingerprint of an assignment's instructor notebooks and files."""
    return digest(read_tree(source))


def collect(submissions: Path, assignment: str | None, course: Path, students=None,
            lms=None, roster=None, notes: list[str] | None = None) -> list[Job]:
    """Jobs for every submission in ``submissions`` (see
    :func:`aecourse.grader.intake.find_submissions`), with the version of their assignment
    in the course at ``course``; :class:`PreparedCourses` fills in each job's prepared course
    when it is about to be graded."""
    versions: dict[str, str] = {}
    jobs = []
    for found in find_submissions(submissions, assignment, students, lms, roster, notes):
        name = found.assignment
        if name not in versions:
            versions[name] = course_version(Course(course).source(name))
        jobs.append(Job(found, versions[name]))
    return jobs


CANARY = "canary"  # who submits an assignment's own solution, graded before the class


def canary(assignment: str, version: str) -> Job:
    """A job that grades ``assignment``'s solution as a student would submit it (made when
    :meth:`PreparedCourses.fill` prepares it): the proof that the grader works here."""
    return Job(Submission(CANARY, assignment, {}), version)


def canary_problem(record: SubmissionRecord) -> str:
    """Why the canary's ``record`` shows a broken grader (one line), or ""."""
    for nb in record.notebooks:
        where = f"{record.assignment}/{nb.notebook}"
        if nb.status != Status.GRADED:
            return f"{where}: the solution ended {nb.status}: {nb.detail}"
        lost = [c for c in nb.cells if c.lost]
        if lost:
            first = f" (the first error: {nb.first_error})" if nb.first_error else ""
            return (f"{where}: the solution scores {nb.score:g}/{nb.max_score:g}, first lost "
                    f"in {lost[0].grade_id}: {lost[0].message or 'no message'}{first}")
    return "" if record.notebooks else f"{record.assignment}: the solution has no notebook"


class PreparedCourses:
    """The prepared courses of the assignments of the course at ``root``, each made once,
    when its first job is about to be graded."""

    def __init__(self, root: Path):
        self.course, self._made = Course(Path(root)), {}

    def fill(self, job: Job) -> Job:
        """``job`` with its prepared course (a canary's, with the solution as submitted)."""
        if not job.course:
            if job.assignment not in self._made:
                self._made[job.assignment] = prepare(self.course.source(job.assignment),
                                                     job.assignment)
            job.course = self._made[job.assignment]
        if job.student == CANARY and not job.submission.files:
            job.submission.files = _solved(job.course, job.assignment)
        return job


def _solved(course: dict[str, bytes], assignment: str) -> dict[str, bytes]:
    """The notebooks a perfect student submits, from a prepared course's files."""
    with tempfile.TemporaryDirectory(prefix="aecourse-canary-") as tmp:
        root = Path(tmp)
        _write(root, course)
        return read_tree(autograde.solve(root / autograde.SOURCE / assignment,
                                         root / autograde.RELEASE / assignment,
                                         root / "solved"))


def prepare(source: Path, assignment: str) -> dict[str, bytes]:
    """The files of a course prepared for grading ``assignment`` (its release and gradebook),
    made once here so that each job need not run ``generate_assignment`` again."""
    with tempfile.TemporaryDirectory(prefix="aecourse-prepare-") as tmp:
        autograde.prepare_course(Path(tmp), source, assignment)
        return read_tree(Path(tmp))


def max_points(files: dict[str, bytes]) -> dict[str, float]:
    """Notebook name -> total points, from instructor files given as {relative path: bytes}."""
    import nbformat

    points = {}
    for name, data in files.items():
        if name.endswith(".ipynb") and "/" not in name:
            cells = nbformat.reads(data.decode(), as_version=4).cells
            meta = [c.metadata.get("nbgrader", {}) for c in cells]
            points[name[:-6]] = sum(float(m.get("points", 0)) for m in meta
                                    if m.get("grade") or m.get("task"))
    return points


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _scratch(root: Path, job: Job) -> Path:
    """The scratch copy of the student's files (plus the release's other files) that the
    kernel works in, writable by the sandbox's user; returns its working folder."""
    work = root / "work"
    for sub in ("work", "home", "tmp"):
        (root / sub).mkdir(parents=True)
    release = f"{autograde.RELEASE}/{job.assignment}/"
    _write(work, {name.removeprefix(release): data for name, data in job.course.items()
                  if name.startswith(release) and not name.endswith(".ipynb")})
    _write(work, job.submission.files)
    for path in [root, *root.rglob("*")]:
        policy.hand_over(path)
    return work


def grade_job(job: Job) -> SubmissionRecord:
    """Grade one submission; a function of ``job`` alone.

    nbgrader runs here, in a private folder; the student's code runs in kernels started as
    ``job.sandbox`` says, which see only a scratch copy of the student's files.
    """
    if job.submission.problem:
        return ungraded(job, Status.INVALID_SUBMISSION, job.submission.problem)
    started = clock = time.perf_counter()
    record = ungraded(job, Status.GRADED, "")

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        record.timings[name] = round(now - clock, 3)
        clock = now

    with tempfile.TemporaryDirectory(prefix="aecourse-job-") as tmp:
        root = Path(tmp)
        os.chmod(root, 0o700)
        _write(root / "course", job.course)
        _write(root / "submission", job.submission.files)
        (root / "submission").mkdir(exist_ok=True)
        work = _scratch(root / "sandbox", job)
        kernels = JobKernels(job.limits.wall)
        api = autograde.open_course(root / "course", job.limits, kernel=(job.sandbox, work),
                                    owner=kernels)
        lap("prepare_s")
        with kernels:
            results = autograde.autograde(api, job.assignment, root / "submission",
                                          student=job.student)
        lap("autograde_s")
        record.timings["kernel_wait_s"] = round(sum(w for w, _ in kernels.waits), 3)
        record.timings["kernels_from_pool"] = sum(1 for _, pooled in kernels.waits if pooled)
        last_words = first_line(kernels.logs[-1], 200, last=True) if kernels.logs else ""
        for result in results:
            if kernels.expired and not result.status.graded:
                result.status = Status.TIMEOUT
                result.detail = f"took longer than {job.limits.wall:g} s in all"
            elif kernels.failed_starts and not result.status.graded:
                # no cell of the student's ran: the grader or this machine failed
                result.status = Status.GRADER_ERROR
                result.detail = (f"a grading kernel did not start: "
                                 f"{last_words or kernels.failed_starts[0]}")
            elif result.status == Status.KERNEL_DIED and last_words:
                result.detail += f" (the kernel's last words: {last_words})"
        hidden = feedback.course_hidden_lines(root / "course", job.assignment)
        for result in results:
            for cell in result.cells:
                cell.message = feedback.scrub(cell.message, hidden)
        messages = {c.grade_id: c.message for r in results for c in r.cells}
        waiting = {c.grade_id for r in results for c in r.by_hand}
        record.feedback = feedback.render(api, job.assignment, job.student, messages, waiting)
        record.secret = job.submission.files.get(SECRET_FILE, b"").decode(errors="replace")
        lap("feedback_s")
    record.notebooks = results
    record.seconds = round(time.perf_counter() - started, 2)
    return record


def ungraded(job: Job, status: Status, detail: str) -> SubmissionRecord:
    """A record giving every notebook of ``job`` zero points, with ``status`` and ``detail``."""
    source = f"{autograde.SOURCE}/{job.assignment}/"
    maxima = max_points({name.removeprefix(source): data for name, data in job.course.items()
                         if name.startswith(source)})
    return SubmissionRecord(job.student, job.assignment,
                            [NotebookResult(nb, 0.0, pts, status, detail=detail)
                             for nb, pts in sorted(maxima.items())],
                            timestamp=job.submission.timestamp,
                            submission_hash=job.submission.digest,
                            course_version=job.course_version)


def crashed(job: Job, err: BaseException) -> SubmissionRecord:
    """The record of a job whose grading itself failed (a bug, or a worker lost)."""
    return ungraded(job, Status.GRADER_ERROR, first_line(f"{type(err).__name__}: {err}"))
