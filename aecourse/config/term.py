"""The instructor's term: the course file (``course.toml``), the roster, and late work.

``course.toml`` sits at the course root; every table is optional::

    [course]
    roster = "roster.csv"            # id, name, email (relative to the course folder)
    timezone = "Europe/Berlin"       # for times written without an offset; default UTC

    [lms]                            # how to read an LMS bulk download's file names
    pattern = '^(?P<student_id>[^_]+)_(?P<timestamp>\\d{8}-\\d{6})_(?P<file_id>.+)$'
    timestamp_format = "%Y%m%d-%H%M%S"

    [late]
    policy = "per-day"               # "none" (default), "per-day" or "cutoff"
    per_day = 0.1                    # per-day: fraction of the score lost per day late
    cutoff = "P7D"                   # zero when later than this (ISO 8601 duration)
    grace = "PT15M"                  # later than due by less than this counts as on time

    [due]
    02_pca_autoencoder = "2026-03-01T23:59:00+01:00"

    [extensions.alice]
    02_pca_autoencoder = "P2D"       # a duration, or a new due date for this student

Everything about lateness is decided here, once: :meth:`LatePolicy.fraction` is the share of
a score a late submission loses. The gradebook (nbgrader's ``Assignment.duedate``,
``SubmittedAssignment.extension`` and ``timestamp``), the export, the feedback and nbgrader's
own ``AssignLatePenalties`` (through :class:`aecourse.grader.preprocessors.LatePolicyPlugin`) all
use it.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .text import first_line

COURSE_FILE = "course.toml"
UTC = dt.UTC
DAY = 86400.0
DEFAULT_PATTERN = r"^(?P<student_id>[^/]+)\.(?:zip|ipynb)$"  # alice.zip, alice.ipynb
POLICIES = ("none", "per-day", "cutoff")


class CourseFileError(ValueError):
    """A course file (or the roster it names) that cannot be used: one line, naming the file
    and the key."""


# ---------------------------------------------------------------- times and durations

_DURATION = re.compile(r"^P(?!$)(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
                       r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
                       r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration without years or months (``P2D``, ``PT36H``, ``P1DT12H``)."""
    match = _DURATION.match(str(text).strip().upper())
    if not match:
        raise ValueError(f"{text!r} is not a duration like P2D, PT36H or P1DT12H")
    return dt.timedelta(**{k: float(v) for k, v in match.groupdict().items() if v})


def parse_when(text: str) -> dt.datetime:
    """An ISO 8601 date and time that names its UTC offset, as an aware datetime."""
    try:
        when = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time such as "
                         "2026-03-01T23:59:00+01:00") from None
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: write it like 2026-03-01T23:59:00+01:00")
    return when


def student_id(name: str) -> str:
    """A safe nbgrader student id from a file or folder name (or a roster's id column)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-")
    return cleaned or "unnamed"


def iso(when: dt.datetime | None) -> str:
    """``when`` in UTC, ISO 8601 to the second (naive means UTC, as nbgrader stores it)."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def utc(text: str) -> dt.datetime | None:
    """An ISO 8601 time from a record (UTC when it has no offset), or None."""
    if not text:
        return None
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def describe_duration(seconds: float) -> str:
    """``1 day 2 h 5 min``: a lateness for people."""
    minutes = math.ceil(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}" if days else "",
             f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or "0 min"


# ---------------------------------------------------------------- the late policy


@dataclass(frozen=True)
class LatePolicy:
    """How much of its score a late submission loses."""

    policy: str = "none"
    per_day: float = 0.0  # per-day: share of the score lost per day, or part of a day, late
    cutoff: dt.timedelta | None = None  # later than this: the whole score is lost
    grace: dt.timedelta = dt.timedelta(0)  # later by less than this counts as on time

    def fraction(self, seconds_late: float) -> float:
        """The share of the score lost when ``seconds_late`` after the (extended) due date."""
        if self.policy == "none" or seconds_late <= max(0.0, self.grace.total_seconds()):
            return 0.0
        if self.cutoff is not None and seconds_late > self.cutoff.total_seconds():
            return 1.0
        if self.policy == "per-day":
            return min(1.0, self.per_day * math.ceil(seconds_late / DAY))
        return 0.0  # cutoff: on time up to the cut-off

    def penalty(self, score: float, seconds_late: float) -> float:
        """Points a score of ``score`` loses when ``seconds_late`` late (never below zero)."""
        return max(0.0, score) * self.fraction(seconds_late)

    def describe(self) -> str:
        grace = (f"; up to {describe_duration(self.grace.total_seconds())} late counts as on "
                 "time" if self.grace.total_seconds() > 0 else "")
        cutoff = (describe_duration(self.cutoff.total_seconds())
                  if self.cutoff is not None else "")
        if self.policy == "per-day":
            text = f"{self.per_day:.0%} of the score per day, or part of a day, late"
            return text + (f", all of it after {cutoff}" if cutoff else "") + grace
        if self.policy == "cutoff":
            return f"no points when more than {cutoff or '0 min'} late" + grace
        return "no late penalty"


# ---------------------------------------------------------------- the roster


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    other: dict[str, str] = field(default_factory=dict, compare=False)  # column -> value


@dataclass
class Roster:
    """The class list: ``id``, ``name`` and ``email`` columns; any other column is kept in
    each student's ``other`` for the command that needs it (see :meth:`column`)."""

    students: list[Student]
    path: Path | None = None
    columns: tuple[str, ...] = ()  # every column's name, lower case

    @classmethod
    def read(cls, path: Path) -> Roster:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CourseFileError(f"{path}: no such roster file") from None
        except (OSError, UnicodeDecodeError) as err:
            raise CourseFileError(f"{path}: cannot read the roster: {err}") from None
        rows = list(csv.reader(text.splitlines()))
        if not rows:
            raise CourseFileError(f"{path}: the roster is empty (it needs an id column)")
        header = [h.strip().lower() for h in rows[0]]
        if "id" not in header:
            raise CourseFileError(f"{path}: the roster has no 'id' column (its columns: "
                                  f"{', '.join(header) or 'none'})")
        col = {name: header.index(name) for name in ("id", "name", "email") if name in header}
        students, seen = [], {}
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = {name: row[i].strip() if i < len(row) else "" for name, i in col.items()}
            if not cells["id"]:
                raise CourseFileError(f"{path}: line {line}: the id is empty")
            sid = student_id(cells["id"])
            if sid in seen:
                raise CourseFileError(f"{path}: line {line}: id {sid!r} again (first on line "
                                      f"{seen[sid]})")
            seen[sid] = line
            other = {name: row[i].strip() if i < len(row) else ""
                     for i, name in enumerate(header) if name and name not in col}
            students.append(Student(sid, cells.get("name", ""), cells.get("email", ""), other))
        return cls(students, path, tuple(header))

    def column(self, name: str, what: str) -> dict[str, str]:
        """Roster id -> the value of column ``name`` (``what`` it holds, for the one-line
        error when the roster has no such column)."""
        if name.lower() not in self.columns:
            raise CourseFileError(f"{self.path}: the roster has no {name!r} column: {what}")
        return {s.id: s.other.get(name.lower(), "") for s in self.students}

    def by_id(self) -> dict[str, Student]:
        return {s.id: s for s in self.students}

    def lookup(self, key: str) -> str | None:
        """The roster id that ``key`` (from an LMS file name) names: the id itself, an email
        address or its local part, or the name (also written last name first, as Canvas
        does); None when nothing, or more than one student, matches."""
        if student_id(key) in self.by_id():
            return student_id(key)
        wanted = _key(key)
        if not wanted:
            return None
        for keys in (
            lambda s: {_key(s.email)} if s.email else set(),
            lambda s: {_key(s.email.split("@")[0])} if s.email else set(),
            lambda s: {_key(s.name), _key(" ".join(reversed(s.name.split())))} - {""},
            lambda s: {_key(s.id)},
        ):
            found = {s.id for s in self.students if wanted in keys(s)}
            if len(found) == 1:
                return found.pop()
            if found:
                return None
        return None


# ---------------------------------------------------------------- the course file


@dataclass(frozen=True)
class LmsNames:
    """How the files of an LMS bulk download are named (nbgrader ``zip_collect``'s groups)."""

    pattern: re.Pattern = field(default_factory=lambda: re.compile(DEFAULT_PATTERN))
    timestamp_format: str = ""  # strptime format of the timestamp group; "" means ISO 8601
    timezone: dt.tzinfo = UTC  # of a timestamp without its own offset

    def timestamp(self, text: str) -> dt.datetime:
        """The time in a file name's ``timestamp`` group, aware (ValueError if unreadable)."""
        if self.timestamp_format:
            when = dt.datetime.strptime(text, self.timestamp_format)
        else:
            import dateutil.parser

            try:
                when = dateutil.parser.isoparse(text)
            except (ValueError, OverflowError):
                when = dateutil.parser.parse(text)
        return when if when.tzinfo else when.replace(tzinfo=self.timezone)


@dataclass
class Term:
    """What ``course.toml`` says (its defaults when there is none)."""

    path: Path | None = None
    roster_path: Path | None = None
    timezone: dt.tzinfo = UTC
    lms: LmsNames = field(default_factory=LmsNames)
    late: LatePolicy = field(default_factory=LatePolicy)
    due: dict[str, dt.datetime] = field(default_factory=dict)
    extensions: dict[tuple[str, str], dt.timedelta] = field(default_factory=dict)

    def roster(self, path: Path | None = None) -> Roster | None:
        """The roster at ``path``, or the one the course file names, or None."""
        path = path or self.roster_path
        return Roster.read(path) if path else None

    def due_date(self, assignment: str) -> dt.datetime | None:
        return self.due.get(assignment)

    def extension(self, student: str, assignment: str) -> dt.timedelta | None:
        return self.extensions.get((student, assignment))

    def seconds_late(self, student: str, assignment: str, timestamp: str) -> float:
        """How late ``student``'s submission of ``assignment`` at ``timestamp`` (ISO) is."""
        due, when = self.due_date(assignment), utc(timestamp)
        if due is None or when is None:
            return 0.0
        due = due + (self.extension(student, assignment) or dt.timedelta(0))
        return max(0.0, (when - due).total_seconds())

    def late_notice(self, student: str, assignment: str, timestamp: str) -> str:
        """One sentence for the student's feedback about lateness ('' when on time or when
        there is no due date)."""
        due, when = self.due_date(assignment), utc(timestamp)
        if due is None or when is None:
            return ""
        late = self.seconds_late(student, assignment, timestamp)
        extension = self.extension(student, assignment)
        due = due + (extension or dt.timedelta(0))
        shown = due.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M %Z").strip()
        with_ext = (f" (with your extension of {describe_duration(extension.total_seconds())})"
                    if extension else "")
        if late <= 0:
            return f"Submitted on time: due {shown}{with_ext}."
        fraction = self.late.fraction(late)
        text = (f"Submitted {describe_duration(late)} late (due {shown}{with_ext}). "
                f"Late policy: {self.late.describe()}.")
        return text + (f" Late penalty: {fraction:.0%} of your score." if fraction
                       else " No points are taken off.")


def _load_toml(path: Path) -> dict:
    import tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise CourseFileError(f"{path}: not valid TOML: {err}") from None
    except OSError as err:
        raise CourseFileError(f"{path}: cannot read it: {err.strerror or err}") from None


class _Reader:
    """Takes values out of the parsed file, naming ``file: key`` in every error."""

    def __init__(self, path: Path, data: dict):
        self.path, self.data = path, data

    def fail(self, key: str, message: str):
        raise CourseFileError(f"{self.path}: {key}: {message}")

    def table(self, name: str, keys: tuple[str, ...] | None) -> dict:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            self.fail(name, "must be a table, like [" + name + "]")
        if keys is not None:
            for key in value:
                if key not in keys:
                    self.fail(f"{name}.{key}", "unknown key (known: " + ", ".join(keys) + ")")
        return value

    def text(self, table: dict, name: str, key: str) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            self.fail(f"{name}.{key}", f"must be a string, not {value!r}")
        return value

    def when(self, key: str, value) -> dt.datetime:
        """A date and time with its UTC offset: a string or a TOML offset date-time."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                self.fail(key, f"{value.isoformat()} has no UTC offset: write it like "
                               "2026-03-01T23:59:00+01:00")
            return value
        if not isinstance(value, str):
            self.fail(key, f"must be a date and time such as 2026-03-01T23:59:00+01:00, not "
                           f"{value!r}")
        return self.convert(key, value, parse_when)

    def convert(self, key: str, value, convert):
        if not isinstance(value, str):
            self.fail(key, f"must be a string, not {value!r}")
        try:
            return convert(value)
        except (ValueError, KeyError, OverflowError) as err:
            self.fail(key, first_line(err) if str(err).strip() else f"cannot read {value!r}")


def _timezone(name: str) -> dt.tzinfo:
    if name.upper() in ("UTC", "Z"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use a name like Europe/Berlin or "
                         "UTC)") from None


def _pattern(text: str) -> re.Pattern:
    try:
        pattern = re.compile(text)
    except re.error as err:
        raise ValueError(f"not a regular expression: {err}") from None
    if "student_id" not in pattern.groupindex:
        raise ValueError("needs a (?P<student_id>...) group")
    unknown = set(pattern.groupindex) - {"student_id", "timestamp", "file_id"}
    if unknown:
        raise ValueError(f"unknown group(s) {', '.join(sorted(unknown))} (known: student_id, "
                         "timestamp, file_id)")
    return pattern


def load(course: Path, path: Path | None = None) -> Term:
    """The term of the course at ``course``: ``path`` (default ``course/course.toml``), or the
    defaults when that file does not exist and was not asked for by name."""
    course = Path(course)
    explicit = path is not None
    path = Path(path) if explicit else course / COURSE_FILE
    if not path.is_file():
        if explicit:
            raise CourseFileError(f"{path}: no such course file")
        return Term()
    data = _load_toml(path)
    r = _Reader(path, data)
    for name in data:
        if name not in ("course", "lms", "late", "due", "extensions"):
            r.fail(name, "unknown table (known: course, lms, late, due, extensions)")

    info = r.table("course", ("roster", "timezone"))
    tz = r.convert("course.timezone", info["timezone"], _timezone) if "timezone" in info \
        else UTC
    roster = r.text(info, "course", "roster")
    roster_path = (path.parent / roster) if roster else None

    lms = r.table("lms", ("pattern", "timestamp_format"))
    pattern = r.convert("lms.pattern", lms.get("pattern", DEFAULT_PATTERN), _pattern)
    fmt = r.text(lms, "lms", "timestamp_format") or ""
    if fmt and "%" not in fmt:
        r.fail("lms.timestamp_format", f"{fmt!r} is not a strptime format such as "
                                       "%Y%m%d-%H%M%S")

    late = r.table("late", ("policy", "per_day", "cutoff", "grace"))
    policy = late.get("policy", "none")
    if policy not in POLICIES:
        r.fail("late.policy", f"must be one of {', '.join(POLICIES)}, not {policy!r}")
    per_day = late.get("per_day", 0.0)
    if policy == "per-day":
        if "per_day" not in late:
            r.fail("late.per_day", "the per-day policy needs the fraction of the score lost "
                                   "per day, e.g. per_day = 0.1")
        if isinstance(per_day, bool) or not isinstance(per_day, (int, float)) \
                or not 0 < per_day <= 1:
            r.fail("late.per_day", f"must be a number above 0 and at most 1, not {per_day!r}")
    elif "per_day" in late:
        r.fail("late.per_day", f"only the per-day policy uses it (policy is {policy!r})")
    cutoff = (r.convert("late.cutoff", late["cutoff"], parse_duration)
              if "cutoff" in late else None)
    if policy == "cutoff" and cutoff is None:
        cutoff = dt.timedelta(0)
    grace = (r.convert("late.grace", late["grace"], parse_duration)
             if "grace" in late else dt.timedelta(0))

    due = {name: r.when(f"due.{name}", value) for name, value in r.table("due", None).items()}
    extensions = {}
    for student, given in r.table("extensions", None).items():
        if not isinstance(given, dict):
            r.fail(f"extensions.{student}", "must be a table of assignment = duration or "
                                            "new due date")
        for assignment, value in given.items():
            key = f"extensions.{student}.{assignment}"
            if assignment not in due:
                r.fail(key, f"assignment {assignment!r} has no due date in [due]")
            if isinstance(value, str) and value.strip().upper().startswith("P"):
                extension = r.convert(key, value, parse_duration)
            else:
                extension = r.when(key, value) - due[assignment]
            if extension.total_seconds() <= 0:
                r.fail(key, "must extend the due date (a positive duration or a later date)")
            extensions[(student_id(student), assignment)] = extension
    return Term(path, roster_path, tz, LmsNames(pattern, fmt, tz),
                LatePolicy(policy, float(per_day), cutoff, grace), due, extensions)
