"""Intake: every submission of a class, read from an nbgrader ``submitted/`` tree or an LMS
bulk download, as plain bytes (safe against zip bombs, links and unreadable files)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..config import term
from ..config.term import iso, student_id

MAX_UNZIPPED = 200 << 20  # bytes one student's zip may expand to
TIMESTAMP_FILE = "timestamp.txt"  # written by nbgrader's submit and collect
# also written by submit: release_feedback names a page by it, fetch_feedback finds it so
SECRET_FILE = "submission_secret.txt"


def digest(files: dict[str, bytes]) -> str:
    """A short fingerprint of a set of files (names and bytes)."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()[:20]


def read_tree(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and ".ipynb_checkpoints" not in rel.parts:
            files[rel.as_posix()] = path.read_bytes()
    return files


def tree_timestamp(folder: Path) -> str:
    """The submission time nbgrader recorded in ``folder/timestamp.txt`` (ISO, UTC), or ''."""
    from nbgrader.utils import parse_utc

    path = folder / TIMESTAMP_FILE
    try:
        return iso(parse_utc(path.read_text().strip()))
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
    return files, iso(newest) if newest else ""


@dataclass
class Submission:
    """One student's files for one assignment, as found in a submissions folder or download."""

    student: str
    assignment: str
    files: dict[str, bytes]
    timestamp: str = ""  # ISO 8601, UTC, when known
    problem: str = ""  # set when the submission could not be read

    @property
    def digest(self) -> str:
        """A fingerprint of the submitted files (names and bytes)."""
        return digest(self.files)


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
    (:class:`aecourse.config.term.LmsNames`) reads. ``roster``
    (:class:`aecourse.config.term.Roster`) maps
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
