"""Grade a whole class: collect submissions, grade each one, hand each record over as it comes.

Each submission becomes a :class:`Job` (plain bytes in, so that it can travel to another
machine), graded by :func:`grade_job`: nbgrader runs in the calling process, which is trusted,
and the student's code in a sandboxed kernel (:mod:`aecourse.sandbox`). :func:`grade_all` runs
jobs on long-lived worker processes (or a dask.distributed cluster) and gives every record to a
callback the moment it arrives, so that the caller can store it before the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
import signal
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .limits import Limits
from .results import NotebookResult, Status, SubmissionRecord

MAX_UNZIPPED = 200 << 20  # bytes one student's zip may expand to
TIMESTAMP_FILE = "timestamp.txt"  # written by nbgrader's submit and collect


@dataclass
class Job:
    """One student's submission of one assignment, with everything needed to grade it."""

    student: str
    assignment: str
    course: dict[str, bytes]  # a prepared nbgrader course of the assignment (see prepare)
    submission: dict[str, bytes]  # the student's files, by relative path
    limits: Limits = field(default_factory=Limits)
    sandbox: str = "bwrap"  # how the kernel runs: "bwrap" or "limits" (see aecourse.sandbox)
    problem: str = ""  # set when the submission could not even be read
    timestamp: str = ""  # when it was submitted (ISO 8601, UTC), when known
    course_version: str = ""

    @property
    def submission_hash(self) -> str:
        return digest(self.submission)


def digest(files: dict[str, bytes]) -> str:
    """A short fingerprint of a set of files (names and bytes)."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()[:20]


def student_id(name: str) -> str:
    """A safe nbgrader student id from a file or folder name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-")
    return cleaned or "unnamed"


def read_tree(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and ".ipynb_checkpoints" not in rel.parts:
            files[rel.as_posix()] = path.read_bytes()
    return files


def _iso(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def tree_timestamp(folder: Path) -> str:
    """The submission time nbgrader recorded in ``folder/timestamp.txt`` (ISO, UTC), or ''."""
    from nbgrader.utils import parse_utc

    path = folder / TIMESTAMP_FILE
    try:
        return _iso(parse_utc(path.read_text().strip()))
    except (OSError, ValueError, TypeError, OverflowError):
        return ""


def _zip_files(archive: zipfile.ZipFile) -> tuple[dict[str, bytes], str]:
    """The files of a student's zip, flattened, and its newest entry's time; safe against
    zip bombs."""
    files, total, newest = {}, 0, None
    for info in archive.infolist():
        parts = Path(info.filename).parts
        if info.is_dir() or "__MACOSX" in parts or ".ipynb_checkpoints" in parts:
            continue
        total += info.file_size
        if total > MAX_UNZIPPED:
            raise ValueError(f"expands to more than {MAX_UNZIPPED >> 20} MiB")
        name = Path(info.filename).name  # LMS zips nest files in folders; flatten them
        if name and name not in files:
            files[name] = archive.read(info)
            with contextlib.suppress(ValueError):
                when = dt.datetime(*info.date_time)
                newest = max(newest, when) if newest else when
    return files, _iso(newest) if newest else ""


def course_version(source: Path) -> str:
    """A fingerprint of an assignment's instructor notebooks and files."""
    return digest(read_tree(source))


@dataclass
class Submission:
    """One student's files for one assignment, as found in a submissions folder or download."""

    student: str
    assignment: str
    files: dict[str, bytes]
    timestamp: str = ""  # ISO 8601, UTC, when known
    problem: str = ""  # set when the submission could not be read


def _entries(download: Path):
    """(relative path, read()) of every file of an LMS bulk download: a zip or a folder."""
    if download.is_file():
        try:
            archive = zipfile.ZipFile(download)
        except (zipfile.BadZipFile, OSError) as err:
            raise ValueError(f"{download} is not a readable zip file: {err}") from None
        with archive:
            for info in archive.infolist():
                parts = Path(info.filename).parts
                if info.is_dir() or "__MACOSX" in parts:
                    continue

                def read(info=info):
                    if info.file_size > MAX_UNZIPPED:
                        raise ValueError(f"expands to more than {MAX_UNZIPPED >> 20} MiB")
                    return archive.read(info)

                yield info.filename, read
        return
    for path in sorted(download.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(download).as_posix(), path.read_bytes


def _lms_submissions(download: Path, assignment: str, lms, roster, notes: list[str]):
    """Submissions of an LMS bulk download, one per student: each file name is read by
    ``lms.pattern`` (a student's zip, or a file such as a notebook); files that do not match
    are listed in ``notes``."""
    from . import term

    lms = lms or term.LmsNames()
    found: dict[str, Submission] = {}
    newest: dict[tuple[str, str], str] = {}  # (student, file) -> timestamp of its entry
    unknown, skipped, problems = set(), [], {}
    for name, read in _entries(download):
        match = lms.pattern.match(name)
        if not match or not match.group("student_id"):
            skipped.append(name)
            continue
        key = match.group("student_id")
        student = roster.lookup(key) if roster else None
        if student is None:
            student = student_id(key)
            if roster:
                unknown.add(f"{key!r} ({name})")
        entry = found.setdefault(student, Submission(student, assignment, {}))
        when = ""
        stamp = match.groupdict().get("timestamp")
        if stamp:
            try:
                when = term.iso(lms.timestamp(stamp))
            except (ValueError, OverflowError):
                notes.append(f"{name}: cannot read the time {stamp!r} in its name (see "
                             "lms.timestamp_format in course.toml)")
        try:
            data = read()
            if name.lower().endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    files, inner = _zip_files(archive)
                when = when or inner
            else:
                file_id = match.groupdict().get("file_id") or Path(name).name
                if not Path(file_id).suffix:
                    file_id += Path(name).suffix
                files = {Path(file_id).name: data}
        except (zipfile.BadZipFile, ValueError, OSError) as err:
            problems.setdefault(student, []).append(f"unreadable file {name}: {err}")
            continue
        for file, data in files.items():  # a student's later upload replaces an earlier one
            if (student, file) not in newest or when >= newest[(student, file)]:
                entry.files[file], newest[(student, file)] = data, when
        entry.timestamp = max(entry.timestamp, when)
    for student, said in problems.items():
        if found[student].files:  # another file of the student's was read: grade that
            notes.extend(f"{student}: {problem}" for problem in said)
        else:
            found[student].problem = "; ".join(said)
    if skipped:
        notes.append(f"{len(skipped)} file(s) in {download} do not match the LMS file-name "
                     f"pattern and were not graded: {', '.join(skipped[:10])}"
                     + (" ..." if len(skipped) > 10 else ""))
    if unknown:
        notes.append(f"not on the roster, graded under the id in the file name: "
                     f"{', '.join(sorted(unknown))}")
    return [found[s] for s in sorted(found)]


def is_lms_download(submissions: Path) -> bool:
    """Whether ``submissions`` is an LMS bulk download (a zip file, or a folder with files at
    its top level) rather than an nbgrader ``submitted/`` tree."""
    submissions = Path(submissions)
    return submissions.is_file() or any(p.is_file() for p in submissions.iterdir())


def find_submissions(submissions: Path, assignment: str | None = None, students=None,
                     lms=None, roster=None, notes: list[str] | None = None) -> list[Submission]:
    """Every submission in ``submissions`` (of ``students`` only, when given), sorted.

    ``submissions`` is an nbgrader ``submitted/`` tree (``<student>/<assignment>/*.ipynb``,
    with nbgrader's ``timestamp.txt``) or an LMS bulk download of ``assignment`` (a zip file, or
    a folder with one zip or file per student), whose file names ``lms``
    (:class:`aecourse.term.LmsNames`) reads. ``roster`` (:class:`aecourse.term.Roster`) maps
    the ids in LMS file names to roster ids. What was skipped is appended to ``notes``.
    """
    submissions = Path(submissions)
    notes = [] if notes is None else notes
    if not submissions.exists():
        raise FileNotFoundError(f"no submissions folder {submissions}")
    if not submissions.is_dir() and submissions.suffix.lower() != ".zip":
        raise ValueError(f"{submissions} is neither a folder nor a zip file")
    wanted = {student_id(s) for s in students} if students else None
    if is_lms_download(submissions):
        if not assignment:
            raise ValueError("grading an LMS download (zip files or one file per student) "
                             "needs --assignment")
        found = _lms_submissions(submissions, assignment, lms, roster, notes)
    else:
        found = []
        for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
            student = student_id(student_dir.name)
            for folder in sorted(p for p in student_dir.iterdir() if p.is_dir()):
                if assignment and folder.name != assignment:
                    continue
                files = read_tree(folder)
                files.pop(TIMESTAMP_FILE, None)
                found.append(Submission(student, folder.name, files,
                                        timestamp=tree_timestamp(folder)))
    found = [s for s in found if wanted is None or s.student in wanted]
    if not found:
        raise FileNotFoundError(f"no submissions found in {submissions}"
                                + (" for the students asked for" if wanted else ""))
    return found


def collect(submissions: Path, assignment: str | None, course: Path, students=None,
            lms=None, roster=None, notes: list[str] | None = None) -> list[Job]:
    """Jobs for every submission in ``submissions`` (see :func:`find_submissions`), with the
    version of their assignment in ``course/solutions``; :class:`Courses` fills in each
    job's prepared course when it is about to be graded."""
    versions: dict[str, str] = {}
    jobs = []
    for found in find_submissions(submissions, assignment, students, lms, roster, notes):
        name = found.assignment
        if name not in versions:
            versions[name] = course_version(Courses(course).source(name))
        jobs.append(Job(found.student, name, {}, found.files, timestamp=found.timestamp,
                        problem=found.problem, course_version=versions[name]))
    return jobs


class Courses:
    """The prepared courses of the assignments of the course at ``root``, each made once,
    when its first job is about to be graded."""

    def __init__(self, root: Path):
        self.root, self._made = Path(root), {}

    def source(self, assignment: str) -> Path:
        folder = self.root / "solutions" / assignment
        if not folder.is_dir():
            raise FileNotFoundError(f"no assignment {assignment!r}: {folder} does not exist")
        return folder

    def fill(self, job: Job) -> Job:
        """``job`` with its prepared course."""
        if not job.course:
            if job.assignment not in self._made:
                self._made[job.assignment] = prepare(self.source(job.assignment),
                                                     job.assignment)
            job.course = self._made[job.assignment]
        return job


def prepare(source: Path, assignment: str) -> dict[str, bytes]:
    """The files of a course prepared for grading ``assignment`` (its release and gradebook),
    made once here so that each job need not run ``generate_assignment`` again."""
    from .grading import prepare_course

    with tempfile.TemporaryDirectory(prefix="aecourse-prepare-") as tmp:
        prepare_course(Path(tmp), source, assignment)
        return read_tree(Path(tmp))


def max_points(files: dict[str, bytes]) -> dict[str, float]:
    """Notebook name -> total points, from instructor files given as {relative path: bytes}."""
    import nbformat

    points = {}
    for name, data in files.items():
        if name.endswith(".ipynb") and "/" not in name:
            cells = nbformat.reads(data.decode(), as_version=4).cells
            meta = [c.metadata.get("nbgrader", {}) for c in cells]
            points[name[:-6]] = sum(float(m.get("points", 0)) for m in meta if m.get("grade"))
    return points


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _scratch(root: Path, job: Job) -> Path:
    """The scratch copy of the student's files (plus the release's other files) that the
    kernel works in, writable by the sandbox's user; returns its working folder."""
    from . import sandbox

    work = root / "work"
    for sub in ("work", "home", "tmp"):
        (root / sub).mkdir(parents=True)
    release = f"release/{job.assignment}/"
    _write(work, {name.removeprefix(release): data for name, data in job.course.items()
                  if name.startswith(release) and not name.endswith(".ipynb")})
    _write(work, job.submission)
    for path in [root, *root.rglob("*")]:
        sandbox.hand_over(path)
    return work


def grade_job(job: Job) -> SubmissionRecord:
    """Grade one submission; a function of ``job`` alone.

    nbgrader runs here, in a private folder; the student's code runs in kernels started as
    ``job.sandbox`` says, which see only a scratch copy of the student's files.
    """
    from . import feedback, grading, sandbox

    if job.problem:
        return ungraded(job, Status.INVALID_SUBMISSION, job.problem)
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
        _write(root / "submission", job.submission)
        (root / "submission").mkdir(exist_ok=True)
        work = _scratch(root / "sandbox", job)
        api = grading.open_course(root / "course", cell_timeout=job.limits.cell,
                                  kernel=(job.sandbox, work), limits=job.limits)
        sandbox.take_notes()  # forget those of earlier jobs
        lap("prepare_s")
        with sandbox.Watchdog(job.limits.wall) as watchdog:
            results = grading.autograde(api, job.assignment, root / "submission",
                                        student=job.student)
        lap("autograde_s")
        notes = sandbox.take_notes()
        logs = notes.get("kernel_logs", [])
        waits = notes.get("kernel_waits", [])
        record.timings["kernel_wait_s"] = round(sum(w for w, _ in waits), 3)
        record.timings["kernels_from_pool"] = sum(1 for _, pooled in waits if pooled)
        for result in results:
            if watchdog.expired and not result.status.graded:
                result.status = Status.TIMEOUT
                result.detail = f"took longer than {job.limits.wall:g} s in all"
            elif result.status == Status.KERNEL_DIED and logs:
                last = [line for line in logs[-1].splitlines() if line.strip()]
                if last:
                    result.detail += f" (the kernel's last words: {last[-1][:200]})"
        hidden = _hidden_lines(root / "course", job.assignment)
        for result in results:
            for cell in result.cells:
                cell.message = feedback.scrub(cell.message, hidden)
        messages = {c.grade_id: c.message for r in results for c in r.cells}
        record.feedback = feedback.render(api, job.assignment, job.student, messages)
        lap("feedback_s")
    record.notebooks = results
    record.seconds = round(time.perf_counter() - started, 2)
    return record


def _hidden_lines(course: Path, assignment: str) -> set[str]:
    import nbformat

    from .feedback import hidden_lines

    lines = set()
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        release = course / "release" / assignment / path.name
        if release.is_file():
            lines |= hidden_lines(nbformat.read(path, as_version=4),
                                  nbformat.read(release, as_version=4))
    return lines


def ungraded(job: Job, status: Status, detail: str) -> SubmissionRecord:
    """A record giving every notebook of ``job`` zero points, with ``status`` and ``detail``."""
    source = f"source/{job.assignment}/"
    maxima = max_points({name.removeprefix(source): data for name, data in job.course.items()
                         if name.startswith(source)})
    return SubmissionRecord(job.student, job.assignment,
                            [NotebookResult(nb, 0.0, pts, status, detail=detail)
                             for nb, pts in sorted(maxima.items())],
                            timestamp=job.timestamp, submission_hash=job.submission_hash,
                            course_version=job.course_version)


def _crashed(job: Job, err: BaseException) -> SubmissionRecord:
    """The record of a job whose grading itself failed (a bug, or a worker lost)."""
    detail = f"{type(err).__name__}: {err}".strip().splitlines()[0][:300]
    return ungraded(job, Status.GRADER_ERROR, detail)


def _warm_worker(mode: str = "") -> None:
    """Start-up of a worker process: load nbgrader once and, for sandboxed kernels, start
    the fork server (it imports TensorFlow meanwhile); leave Ctrl-C to the parent, and end
    with it (its kernels end with the worker)."""
    import ctypes
    from multiprocessing.util import Finalize

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    import nbgrader.apps  # noqa: F401
    import nbgrader.converters  # noqa: F401

    from .grading import quiet_nbgrader
    from .sandbox import POOL

    quiet_nbgrader()
    Finalize(None, POOL.close, exitpriority=10)  # a worker ends by os._exit: no atexit
    if mode == "bwrap":
        from . import forkserver

        forkserver.current()
        Finalize(None, forkserver.stop, exitpriority=5)


def grade_all(jobs: list[Job], workers: int = 1, scheduler: str | None = None,
              on_record=None, progress: bool = True, prepare=None) -> list[SubmissionRecord]:
    """Grade ``jobs`` on ``workers`` worker processes, or on the dask.distributed cluster at
    ``scheduler``; call ``on_record(record)`` for each as soon as it is graded. Returns the
    records in job order. ``prepare(job)`` (e.g. :meth:`Courses.fill`) is called on each job
    just before it is handed to a worker, so that the workers start grading while later
    assignments are prepared. On Ctrl-C the workers are stopped and the interrupt re-raised:
    what ``on_record`` has stored is kept."""
    from tqdm.auto import tqdm

    records: list[SubmissionRecord | None] = [None] * len(jobs)
    bar = tqdm(total=len(jobs), unit="submission", disable=not progress)
    prepare = prepare or (lambda job: job)

    def done(index, record):
        records[index] = record
        if on_record is not None:
            on_record(record)
        bar.update()

    try:
        if scheduler:
            _grade_on_cluster([prepare(job) for job in jobs], scheduler, done)
        else:
            _grade_locally(jobs, workers, done, prepare)
    finally:
        bar.close()
    return records


def _started() -> None:
    """A first task that makes the worker processes start (and load nbgrader) at once."""


def _grade_locally(jobs, workers, done, prepare) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_warm_worker,
                               initargs=(jobs[0].sandbox if jobs else "",))
    try:
        pool.submit(_started)
        futures, unprepared = {}, None
        for i, job in enumerate(jobs):
            try:
                futures[pool.submit(grade_job, prepare(job))] = i
            except Exception as err:  # the instructor's notebooks: say so once the rest is kept
                unprepared = unprepared or err
        for future in as_completed(futures):
            index = futures[future]
            try:
                record = future.result()
            except Exception as err:  # a grader bug or a lost worker: say so, go on
                record = _crashed(jobs[index], err)
            done(index, record)
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    if unprepared is not None:
        raise unprepared


def _grade_on_cluster(jobs, scheduler, done) -> None:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        futures = client.map(grade_job, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in dask_completed(futures):
            i = index[future.key]
            try:
                record = future.result()
            except Exception as err:
                record = _crashed(jobs[i], err)
            done(i, record)

