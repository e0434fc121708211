"""The instructor's term on a toy course: the course file, an LMS bulk download with a roster,
due dates and extensions, the export for the LMS, class analytics and the similarity check.

One small class is graded once (module fixture) and read by several tests; the similarity
check grades nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import nbformat
import pytest

from aecourse.cli import main
from aecourse.config import term
from aecourse.grader import intake, job
from aecourse.instructor import similarity

from .test_cli import cell
from .test_grade import LIMITS, SANDBOX_ARGS, nb_bytes, released, solved, toy_source

COURSE_TOML = """\
[course]
roster = "roster.csv"
timezone = "Europe/Berlin"

[lms]
pattern = '^(?P<student_id>[^_]+)_(?P<timestamp>\\d{8}-\\d{4})_(?P<file_id>.+)$'
timestamp_format = "%Y%m%d-%H%M"

[late]
policy = "per-day"
per_day = 0.1
cutoff = "P3D"

[due]
toy = "2026-03-01T23:59:00+01:00"

[extensions.erin]
toy = "P3D"
"""

ROSTER = """\
id,name,email
alice,Alice Liddell,alice@uni.example
bob,Bob Stone,bob.stone@uni.example
carol,Carol Jones,carol@uni.example
dave,Dave Brown,dave.brown@uni.example
erin,Erin Wu,erin@uni.example
frank,Frank Ode,frank@uni.example
"""


# ------------------------------------------------------------------ the course file


def write_toml(folder: Path, text: str) -> Path:
    (folder / "course.toml").write_text(text)
    return folder / "course.toml"


@pytest.mark.parametrize("text, key, words", [
    ('[late]\npolicy = "weekly"', "late.policy", "must be one of"),
    ('[late]\npolicy = "per-day"', "late.per_day", "needs the fraction"),
    ('[late]\npolicy = "per-day"\nper_day = 2', "late.per_day", "at most 1"),
    ('[late]\nper-day = 0.1', "late.per-day", "unknown key"),
    ('[late]\npolicy = "cutoff"\ncutoff = "3 days"', "late.cutoff", "not a duration"),
    ('[due]\ntoy = "2026-03-01T23:59"', "due.toy", "no UTC offset"),
    ('[due]\ntoy = "tomorrow"', "due.toy", "not an ISO 8601"),
    ('[due]\ntoy = 2026-03-01T23:59:00', "due.toy", "no UTC offset"),
    ('[due]\ntoy = 20260301', "due.toy", "must be a date and time"),
    ('[extensions.bob]\ntoy = "P2D"', "extensions.bob.toy", "no due date"),
    ('[due]\ntoy = "2026-03-01T23:59:00Z"\n[extensions.bob]\ntoy = "2026-02-01T00:00:00Z"',
     "extensions.bob.toy", "must extend"),
    ('[lms]\npattern = "(?P<who>.+)"', "lms.pattern", "student_id"),
    ('[lms]\npattern = "(unclosed"', "lms.pattern", "not a regular expression"),
    ('[lms]\ntimestamp_format = "YYYYMMDD"', "lms.timestamp_format", "strptime"),
    ('[course]\ntimezone = "Mars/Base"', "course.timezone", "unknown time zone"),
    ('[grades]\nx = 1', "grades", "unknown table"),
    ('due = [', "", "not valid TOML"),
])
def test_course_file_errors_name_the_file_and_the_key(tmp_path, capsys, text, key, words):
    path = write_toml(tmp_path, text)
    with pytest.raises(term.CourseFileError) as err:
        term.load(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}") and words in message, message
    assert len(message.splitlines()) == 1
    assert main(["export", "--course", str(tmp_path), "--db", "sqlite:///x.db"]) == 2
    stderr = capsys.readouterr().err.strip()
    assert len(stderr.splitlines()) == 1 and key in stderr and "Traceback" not in stderr


def test_no_course_file_means_no_due_dates_and_no_penalty(tmp_path):
    t = term.load(tmp_path)
    assert t.due == {} and t.late.fraction(10 * term.DAY) == 0
    assert t.seconds_late("x", "toy", "2030-01-01T00:00:00+00:00") == 0
    assert t.late_notice("x", "toy", "2030-01-01T00:00:00+00:00") == ""


def test_late_policies():
    day = term.DAY
    per_day = term.LatePolicy("per-day", 0.1, cutoff=dt.timedelta(days=3),
                              grace=dt.timedelta(minutes=15))
    assert [per_day.fraction(s) for s in (0, 600, 1200, day, day + 1, 3 * day, 3 * day + 1)] \
        == [0, 0, 0.1, 0.1, 0.2, pytest.approx(0.3), 1.0]
    assert per_day.penalty(3, 1.5 * day) == pytest.approx(0.6)
    assert term.LatePolicy("per-day", 0.4).fraction(5 * day) == 1.0  # never more than all
    cutoff = term.LatePolicy("cutoff", cutoff=dt.timedelta(days=2))
    assert [cutoff.fraction(s) for s in (0, day, 2 * day, 2 * day + 1)] == [0, 0, 0, 1]
    assert term.LatePolicy().fraction(100 * day) == 0
    assert term.parse_duration("P1DT12H") == dt.timedelta(days=1.5)
    assert term.parse_duration("pt90m") == dt.timedelta(minutes=90)


def test_roster_maps_ids_emails_and_names(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER + "gil,Gil Stone,\n")
    roster = term.Roster.read(tmp_path / "roster.csv")
    assert [roster.lookup(k) for k in (
        "alice", "bob.stone@uni.example", "BOB.STONE", "Bob Stone", "stonebob", "Carol_Jones",
        "nobody", "")] == ["alice", "bob", "bob", "bob", "bob", "carol", None, None]
    (tmp_path / "bad.csv").write_text("name,email\nA,a@x\n")
    with pytest.raises(term.CourseFileError, match="no 'id' column"):
        term.Roster.read(tmp_path / "bad.csv")
    (tmp_path / "twice.csv").write_text("id\nx\nx\n")
    with pytest.raises(term.CourseFileError, match="line 3: id 'x' again"):
        term.Roster.read(tmp_path / "twice.csv")


# ------------------------------------------------------------------ a fake LMS download


def lms_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def student_zip(files: dict[str, bytes], when=(2020, 1, 1, 0, 0, 0)) -> bytes:
    """A student's own zip; its entries' times are the student's machine's (not trusted)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return buffer.getvalue()


def download(course: Path) -> dict[str, bytes]:
    """The LMS bulk download of the toy assignment. Due 2026-03-01 23:59 Berlin time
    (22:59 UTC); file-name times are Berlin time. Ids in names: the roster id, a name, an
    email address's local part."""
    return {
        # on time, a plain notebook
        "alice_20260301-2200_toy.ipynb": nb_bytes(solved(course)),
        # 1 day 10 h late: 2 started days, 20% off; a zip, named by the student's name
        "Bob Stone_20260303-1000_submission.zip": student_zip(
            {"work/toy.ipynb": nb_bytes(solved(course))}),
        # an earlier upload of carol's, replaced by her later one
        "carol_20260228-0900_toy.ipynb": nb_bytes(released(course)),
        "carol_20260301-2300_toy.ipynb": nb_bytes(solved(course, "    return 9 if x == 3 "
                                                                 "else 0")),
        "dave.brown@uni.example_20260301-1200_toy.ipynb": nb_bytes(released(course)),
        # 2 days late but extended by 3 days: on time
        "erin_20260304-0100_toy.ipynb": nb_bytes(solved(course)),
        "index.html": b"<html>the LMS's own page</html>",
    }


def test_lms_download_ids_timestamps_and_notes(tmp_path):
    course = tmp_path / "course"
    (course / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(toy_source(), course / "solutions" / "toy" / "toy.ipynb")
    (course / "lessons" / "toy").mkdir(parents=True)
    nbformat.write(toy_source(), course / "lessons" / "toy" / "toy.ipynb")  # stands in
    write_toml(course, COURSE_TOML)
    (course / "roster.csv").write_text(ROSTER)
    t = term.load(course)
    entries = download(course)
    entries["zed_20260301-1000_toy.ipynb"] = b"{}"  # not on the roster
    archive = lms_zip(tmp_path / "submissions.zip", entries)
    notes = []
    found = intake.find_submissions(archive, "toy", lms=t.lms, roster=t.roster(),
                                       notes=notes)
    assert [(s.student, s.timestamp, sorted(s.files)) for s in found] == [
        ("alice", "2026-03-01T21:00:00+00:00", ["toy.ipynb"]),
        ("bob", "2026-03-03T09:00:00+00:00", ["toy.ipynb"]),
        ("carol", "2026-03-01T22:00:00+00:00", ["toy.ipynb"]),
        ("dave", "2026-03-01T11:00:00+00:00", ["toy.ipynb"]),
        ("erin", "2026-03-04T00:00:00+00:00", ["toy.ipynb"]),
        ("zed", "2026-03-01T09:00:00+00:00", ["toy.ipynb"]),
    ]
    carol = next(s for s in found if s.student == "carol")
    assert b"9 if x == 3" in carol.files["toy.ipynb"], "the later upload wins"
    assert any("index.html" in n and "do not match" in n for n in notes), notes
    assert any("'zed'" in n and "not on the roster" in n for n in notes), notes
    # the same download unpacked into a folder reads the same
    folder = tmp_path / "unpacked"
    folder.mkdir()
    for name, data in entries.items():
        (folder / name).write_bytes(data)
    again = intake.find_submissions(folder, "toy", lms=t.lms, roster=t.roster())
    assert [(s.student, s.timestamp, s.files) for s in again] == [
        (s.student, s.timestamp, s.files) for s in found]


@pytest.mark.parametrize("pattern, entries, expected", [
    (  # Canvas: lastfirst_[LATE_]userid_submissionid_filename
        r"^(?P<student_id>[a-z]+)_(?:LATE_)?\d+_\d+_(?P<file_id>.+)$",
        {"liddellalice_1234_5678_toy.ipynb": b"a", "stonebob_LATE_2345_6789_toy-1.ipynb": b"b"},
        {"alice": {"toy.ipynb": b"a"}, "bob": {"toy-1.ipynb": b"b"}},
    ),
    (  # Moodle: a folder per student, "Full Name_id_assignsubmission_file_/file"
        r"^(?P<student_id>[^_/]+)_\d+_assignsubmission_file_/(?P<file_id>[^/]+)$",
        {"Alice Liddell_11_assignsubmission_file_/toy.ipynb": b"a",
         "Bob Stone_12_assignsubmission_file_/toy.ipynb": b"b"},
        {"alice": {"toy.ipynb": b"a"}, "bob": {"toy.ipynb": b"b"}},
    ),
], ids=["canvas", "moodle"])
def test_lms_layouts(tmp_path, pattern, entries, expected):
    write_toml(tmp_path, f"[lms]\npattern = '{pattern}'\n")
    (tmp_path / "roster.csv").write_text(ROSTER)
    t = term.load(tmp_path)
    archive = lms_zip(tmp_path / "download.zip", entries)
    found = intake.find_submissions(archive, "toy", lms=t.lms,
                                       roster=t.roster(tmp_path / "roster.csv"))
    assert {s.student: s.files for s in found} == expected


# ------------------------------------------------------------------ a graded class


@pytest.fixture(scope="module")
def term_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("termcourse")
    (root / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(toy_source(), root / "solutions" / "toy" / "toy.ipynb")
    assert main(["release", "toy", "--root", str(root)]) == 0
    write_toml(root, COURSE_TOML)
    (root / "roster.csv").write_text(ROSTER)
    return root


@pytest.fixture(scope="module")
def graded_term(term_course, tmp_path_factory):
    work = tmp_path_factory.mktemp("term")
    archive = lms_zip(work / "submissions.zip", download(term_course))
    out = work / "graded"
    assert main(["grade", str(archive), "--assignment", "toy", "--course", str(term_course),
                 "--output", str(out), "--workers", "2", *LIMITS, *SANDBOX_ARGS]) == 0
    assert main(["export", "--course", str(term_course), "--output", str(out)]) == 0
    return term_course, out, archive


WIDE = (
    "id,name,email,toy,total\r\n"
    "alice,Alice Liddell,alice@uni.example,3.00,3.00\r\n"
    "bob,Bob Stone,bob.stone@uni.example,2.40,2.40\r\n"
    "carol,Carol Jones,carol@uni.example,2.00,2.00\r\n"
    "dave,Dave Brown,dave.brown@uni.example,0.00,0.00\r\n"
    "erin,Erin Wu,erin@uni.example,3.00,3.00\r\n"
    "frank,Frank Ode,frank@uni.example,0.00,0.00\r\n"
)

LONG = (
    "student,assignment,notebook,score,max,status,detail,timestamp,seconds_late,late_penalty\r\n"
    "alice,toy,toy,3.00,3.00,graded,,2026-03-01T21:00:00+00:00,0,0.00\r\n"
    "bob,toy,toy,3.00,3.00,graded,,2026-03-03T09:00:00+00:00,122460,0.60\r\n"
    "carol,toy,toy,2.00,3.00,graded,,2026-03-01T22:00:00+00:00,0,0.00\r\n"
    "dave,toy,toy,0.00,3.00,graded,,2026-03-01T11:00:00+00:00,0,0.00\r\n"
    "erin,toy,toy,3.00,3.00,graded,,2026-03-04T00:00:00+00:00,0,0.00\r\n"
    "frank,toy,toy,0.00,3.00,no-submission,,,0,0.00\r\n"
)


def test_export_for_the_lms_byte_for_byte(graded_term):
    _, out, _ = graded_term
    assert (out / "grades.csv").read_bytes() == WIDE.encode()
    assert (out / "grades-long.csv").read_bytes() == LONG.encode()


def test_gradebook_holds_due_dates_extensions_times_and_penalties(graded_term):
    course, _, _ = graded_term
    with sqlite3.connect(course / "gradebook.db") as db:
        (due,) = db.execute("SELECT duedate FROM assignment WHERE name = 'toy'").fetchone()
        rows = {r[0]: r[1:] for r in db.execute(
            "SELECT student.id, submitted_assignment.timestamp, submitted_assignment.extension,"
            " submitted_notebook.late_submission_penalty FROM submitted_assignment "
            "JOIN student ON submitted_assignment.student_id = student.id "
            "JOIN submitted_notebook ON submitted_notebook.assignment_id = "
            "submitted_assignment.id")}
    assert due.startswith("2026-03-01 22:59:00")
    assert set(rows) == {"alice", "bob", "carol", "dave", "erin"}
    assert rows["bob"][0].startswith("2026-03-03 09:00:00")
    assert rows["bob"][2] == pytest.approx(0.6)
    assert rows["erin"][1] is not None and rows["erin"][2] is None
    assert all(rows[s][1] is None and rows[s][2] is None for s in ("alice", "carol", "dave"))


def test_nbgrader_late_plugin_applies_the_same_policy(graded_term):
    from nbgrader.coursedir import CourseDirectory  # noqa: F401  (the plugin's config)
    from traitlets.config import Config

    from aecourse.grader.preprocessors import LatePolicyPlugin

    course, _, _ = graded_term
    config = Config()
    config.CourseDirectory.root = str(course)
    plugin = LatePolicyPlugin(config=config)
    assert plugin.late_submission_penalty("bob", 3.0, 122460) == pytest.approx(0.6)


def late_notice(out: Path, student: str) -> str:
    """The late-work notice of ``student``'s feedback page (there must be exactly one)."""
    page = (out / "feedback" / student / "toy" / "toy.html").read_text()
    found = re.findall(r'<p class="late-penalty" id="aecourse-late"[^>]*>(.*?)</p>', page, re.S)
    assert len(found) == 1, found
    return found[0]


def test_feedback_tells_a_late_student_why(graded_term):
    _, out, _ = graded_term
    assert late_notice(out, "bob") == (
        "Submitted 1 day 10 h 1 min late (due 2026-03-01 23:59 CET). Late policy: 10% of the "
        "score per day, or part of a day, late, all of it after 3 days. Late penalty: 20% of "
        "your score.")
    assert late_notice(out, "erin") == ("Submitted on time: due 2026-03-04 23:59 CET (with "
                                        "your extension of 3 days).")
    assert late_notice(out, "alice").startswith("Submitted on time: due 2026-03-01 23:59 CET")


def page_text(out: Path, student: str) -> str:
    page = (out / "feedback" / student / "toy" / "toy.html").read_text()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_feedback_starts_with_the_summary_once(graded_term):
    _, out, _ = graded_term
    bob = page_text(out, "bob")
    page = (out / "feedback" / "bob" / "toy" / "toy.html").read_text()
    assert page.count('id="aecourse-summary"') == 1 and page.count('id="aecourse-late"') == 1
    assert ("Score: 3 / 3 points Late penalty: 0.6 points (20%): 2.4 / 3 points after it "
            "Status: graded Exercise (test cell) Points test_square 2 / 2 test_square_more "
            "1 / 1 Submitted 1 day 10 h 1 min late") in bob
    assert "test_square 2 / 2 test_square_more 0 / 1" in page_text(out, "carol")


def test_report_pass_rates_statuses_and_histogram(graded_term, capsys):
    _, out, _ = graded_term
    assert main(["report", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "test_square_more" in printed and "index.html" in printed
    with open(out / "report" / "cells.csv", newline="") as f:
        cells = {r["test"]: r for r in csv.DictReader(f)}
    # alice, bob, erin: full marks; carol: the first test only; dave: blank
    assert (cells["test_square"]["passed"], cells["test_square"]["graded"],
            cells["test_square"]["pass_rate"]) == ("4", "5", "0.800")
    assert (cells["test_square_more"]["passed"], cells["test_square_more"]["pass_rate"],
            cells["test_square_more"]["mean_points"]) == ("3", "0.600", "0.60")
    statuses = (out / "report" / "statuses.csv").read_bytes()
    assert statuses == b"assignment,status,notebooks\r\ntoy,graded,5\r\n"
    png = (out / "report" / "toy-scores.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    slowest = list(csv.DictReader(io.StringIO((out / "report" / "slowest.csv").read_text())))
    assert len(slowest) == 5 and float(slowest[0]["seconds"]) >= float(slowest[-1]["seconds"])
    page = (out / "report" / "index.html").read_text()
    assert "toy-scores.png" in page and "80%" in page


def test_an_extension_granted_after_grading_applies_at_export(graded_term, tmp_path):
    course, out, archive = graded_term
    toml = course / "course.toml"
    before = toml.read_text()
    try:
        toml.write_text(before + "\n[extensions.bob]\ntoy = \"P2D\"\n")
        assert main(["export", "--course", str(course), "--output", str(out)]) == 0
        assert "bob,Bob Stone,bob.stone@uni.example,3.00,3.00" in (out / "grades.csv"
                                                                  ).read_text()
        assert late_notice(out, "bob").startswith("Submitted on time")
    finally:
        toml.write_text(before)
    assert main(["export", "--course", str(course), "--output", str(out)]) == 0
    assert (out / "grades.csv").read_bytes() == WIDE.encode()


MOODLE_ROSTER = """\
id,name,email,moodle:toy
alice,Alice Liddell,alice@uni.example,5001
bob,Bob Stone,bob.stone@uni.example,5002
carol,Carol_Ann Jones,carol@uni.example,5003
dave,Dave Brown,dave.brown@uni.example,5004
erin,Erin Wu,erin@uni.example,5005
frank,Frank Ode,frank@uni.example,5006
"""
MOODLE_ZIP = {  # entry -> whose page; Moodle reads the participant id after the first "_"
    "Alice Liddell_5001_assignfeedback_file_/toy.html": "alice",
    "Bob Stone_5002_assignfeedback_file_/toy.html": "bob",
    "Carol Ann Jones_5003_assignfeedback_file_/toy.html": "carol",
    "Dave Brown_5004_assignfeedback_file_/toy.html": "dave",
    "Erin Wu_5005_assignfeedback_file_/toy.html": "erin",
}


def test_moodle_feedback_zip_byte_for_byte(graded_term, tmp_path, capsys):
    course, out, _ = graded_term
    roster = tmp_path / "moodle.csv"
    roster.write_text(MOODLE_ROSTER)
    argv = ["export", "--course", str(course), "--output", str(out), "--roster", str(roster),
            "--feedback", "moodle"]
    assert main(argv) == 0
    path = out / "feedback-moodle" / "toy.zip"
    assert f"Feedback for moodle: {path}" in capsys.readouterr().out
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == list(MOODLE_ZIP)
        for entry, student in MOODLE_ZIP.items():
            page = (out / "feedback" / student / "toy" / "toy.html").read_bytes()
            assert archive.read(entry) == page, entry
            assert archive.getinfo(entry).date_time == (1980, 1, 1, 0, 0, 0)
            # as Moodle's importer splits the folder name: name, participant id, plugin
            name, participant, kind, plugin, rest = entry.split("/")[0].split("_", 4)
            assert (participant, kind, plugin, rest) == (
                str(5001 + sorted(MOODLE_ZIP.values()).index(student)), "assignfeedback",
                "file", "")
    first = path.read_bytes()
    assert main(argv) == 0
    assert path.read_bytes() == first, "the same pages give the same bytes"


def test_moodle_feedback_needs_participant_ids(graded_term, tmp_path, capsys):
    course, out, _ = graded_term
    argv = ["export", "--course", str(course), "--output", str(out), "--feedback", "moodle"]
    assert main(argv) == 2  # course.toml's roster has no Moodle column
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no 'moodle:toy' column" in err, err
    assert "Download all submissions" in err
    roster = tmp_path / "moodle.csv"
    roster.write_text(MOODLE_ROSTER.replace(",5002\n", ",\n"))
    assert main([*argv, "--roster", str(roster)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no participant id" in err and "bob" in err, err


def test_canvas_feedback_one_page_per_student_named_by_the_roster_id(graded_term):
    course, out, _ = graded_term
    assert main(["export", "--course", str(course), "--output", str(out),
                 "--feedback", "canvas"]) == 0
    folder = out / "feedback-canvas" / "toy"
    assert sorted(p.name for p in folder.iterdir()) == [
        "alice.html", "bob.html", "carol.html", "dave.html", "erin.html"]
    for page in folder.iterdir():
        assert page.read_bytes() == (out / "feedback" / page.stem / "toy" / "toy.html"
                                     ).read_bytes()


def test_grading_again_skips_and_keeps_everything(graded_term, capsys):
    course, out, archive = graded_term
    assert main(["grade", str(archive), "--assignment", "toy", "--course", str(course),
                 "--output", str(out), *LIMITS, *SANDBOX_ARGS]) == 0
    printed = capsys.readouterr().out
    assert "Grading 0 submission(s)" in printed and "index.html" in printed  # the notes
    assert "nothing from 1 student(s) on the roster: frank" in printed
    assert main(["export", "--course", str(course), "--output", str(out)]) == 0
    assert (out / "grades.csv").read_bytes() == WIDE.encode()


def test_export_errors_are_one_line(tmp_path, capsys, term_course):
    cases = [
        (["export", "--course", str(tmp_path)], "no gradebook"),
        (["export", "--course", str(term_course), "--db", "nonsense"], "not a database URL"),
        (["export", "--course", str(term_course), "--roster", str(tmp_path / "none.csv"),
          "--db", f"sqlite:///{tmp_path / 'gb.db'}"], "no such roster"),
        (["report", "--output", str(tmp_path / "nothing")], "no records"),
        (["similarity", str(tmp_path / "nowhere"), "--course", str(term_course)],
         "no submissions folder"),
    ]
    for argv, expected in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert expected in err and len(err.splitlines()) == 1, (argv, err)


# ------------------------------------------------------------------ similarity


STATS_SOURCE = '''def summarize(values):
    ### BEGIN SOLUTION
{body}
    ### END SOLUTION'''

INDEPENDENT = {
    "ana": '''    total = 0.0
    for value in values:
        total += value
    mean = total / len(values)
    spread = sum((value - mean) ** 2 for value in values) / (len(values) - 1)
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"mean": mean, "std": spread ** 0.5, "median": median}''',
    "ben": '''    import statistics
    return dict(mean=statistics.mean(values), std=statistics.stdev(values),
                median=statistics.median(values))''',
    "cai": '''    import numpy as np
    arr = np.asarray(values, dtype=float)
    result = {}
    result["mean"] = float(arr.mean())
    result["std"] = float(arr.std(ddof=1))
    result["median"] = float(np.median(arr))
    return result''',
    "dee": '''    n = len(values)
    m = sum(values) / n
    var = 0
    i = 0
    while i < n:
        var = var + (values[i] - m) * (values[i] - m)
        i = i + 1
    s = sorted(values)
    med = (s[(n - 1) // 2] + s[n // 2]) / 2
    return {"median": med, "mean": m, "std": (var / (n - 1)) ** 0.5}''',
}

# ana's solution with every name changed and independent lines moved around
COPY = '''    acc = 0.0
    for item in values:
        acc += item
    avg = acc / len(values)
    srt = sorted(values)
    half = len(srt) // 2
    var_ = sum((item - avg) ** 2 for item in values) / (len(values) - 1)
    med = srt[half] if len(srt) % 2 else (srt[half - 1] + srt[half]) / 2
    return {"mean": avg, "std": var_ ** 0.5, "median": med}'''


def stats_source():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        cell("markdown", "Write `summarize`.", grade_id="intro", locked=True),
        cell("code", "import math\n\ndef check_input(values):\n    assert len(values) > 1, "
             "'need at least two values'\n    return [float(v) for v in values]",
             grade_id="given", locked=True),
        cell("code", STATS_SOURCE.format(body=INDEPENDENT["ana"]), grade_id="ex_summarize",
             solution=True),
        cell("code", "r = summarize([1, 2, 3, 4])\nassert abs(r['mean'] - 2.5) < 1e-9\n"
             "assert abs(r['median'] - 2.5) < 1e-9", grade_id="test_summarize", grade=True,
             locked=True, points=2),
    ]
    return nb


def test_similarity_ranks_the_copied_pair_first_and_the_template_flags_nobody(tmp_path,
                                                                              capsys):
    course = tmp_path / "course"
    (course / "solutions" / "stats").mkdir(parents=True)
    nbformat.write(stats_source(), course / "solutions" / "stats" / "stats.ipynb")
    release = job.prepare(course / "solutions" / "stats", "stats")
    lesson = json.loads(release["release/stats/stats.ipynb"])
    submitted = tmp_path / "submitted"

    def submit(student, body=None, extra_cell=None):
        nb = json.loads(json.dumps(lesson))
        if body is not None:
            nb["cells"][2]["source"] = "def summarize(values):\n" + body
        if extra_cell:
            nb["cells"].append(nbformat.v4.new_code_cell(extra_cell))
        folder = submitted / student / "stats"
        folder.mkdir(parents=True)
        (folder / "stats.ipynb").write_text(json.dumps(nb))

    for student, body in INDEPENDENT.items():
        submit(student, body)
    submit("zoe", COPY, extra_cell="print(summarize([3, 1, 2]))")
    for student in ("blank1", "blank2", "blank3"):  # the released template, untouched
        submit(student)
    out = tmp_path / "out"
    assert main(["similarity", str(submitted), "--course", str(course), "--output",
                 str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 pair(s) flagged" in printed and "ana / zoe" in printed
    with open(out / "similarity" / "stats.csv", newline="") as f:
        pairs = list(csv.DictReader(f))
    first = pairs[0]
    assert (first["student_a"], first["student_b"], first["flagged"]) == ("ana", "zoe", "yes")
    assert float(first["similarity"]) >= 0.6, first
    assert all(p["flagged"] == "no" for p in pairs[1:]), pairs[:3]
    assert not [p for p in pairs if "blank" in p["student_a"] + p["student_b"]], \
        "the released template alone matches nobody"
    assert "stats/ex_summarize:" in first["lines_a"] and "stats/ex_summarize:" in \
        first["lines_b"]
    page = (out / "similarity" / "stats.html").read_text()
    assert "<mark>" in page and "ana and zoe" in page and "check_input" not in page


def test_similarity_of_template_only_flags_nobody(tmp_path):
    lesson = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {
        "grade_id": "ex", "solution": True}}, "source": "def f(values):\n    # YOUR CODE "
        "HERE\n    raise NotImplementedError()\n    return sorted(values)[len(values) // 2]"}]}
    release = {"a.ipynb": json.dumps(lesson).encode()}
    codes = [similarity.own_code(s, {"a.ipynb": json.dumps(lesson).encode()}, release)
             for s in ("x", "y", "z")]
    assert similarity.compare(codes, similarity.template_code(release)) == []


# ------------------------------------------------------------------ a shared PostgreSQL gradebook


@pytest.fixture(scope="module")
def postgres_server():
    from . import postgres

    missing = postgres.problem()
    if missing:
        pytest.skip(f"needs a PostgreSQL server: {missing}")
    with postgres.temporary_cluster() as url:
        yield url


def test_without_postgresql_the_tests_say_why(tmp_path, monkeypatch):
    from . import postgres

    monkeypatch.setenv("AECOURSE_PG_BIN", str(tmp_path))  # a machine without the server
    assert postgres.server_bin() is None
    assert "apt-get install postgresql" in postgres.problem()


def _grader(course, download, out, db_url, *students):
    import subprocess
    import sys

    argv = [sys.executable, "-m", "aecourse.cli", "grade", str(download), "--assignment",
            "toy", "--course", str(course), "--output", str(out), "--db", db_url,
            "--workers", "1", *LIMITS, *SANDBOX_ARGS]
    for student in students:
        argv += ["--student", student]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_postgresql_gradebook_two_graders_resume_and_export(postgres_server, term_course,
                                                           tmp_path, capsys):
    from . import postgres

    db_url = postgres.create_database(postgres_server, "term_cycle")
    archive = lms_zip(tmp_path / "submissions.zip", download(term_course))
    out = tmp_path / "graded"
    # two graders at once, on different students, writing the same gradebook
    graders = [_grader(term_course, archive, out, db_url, "alice", "bob"),
               _grader(term_course, archive, out, db_url, "dave", "erin")]
    for grader in graders:
        output, _ = grader.communicate(timeout=1800)
        assert grader.returncode == 0, output
        assert "Traceback" not in output, output
    # the same command for the whole class resumes: only carol is left
    assert main(["grade", str(archive), "--assignment", "toy", "--course", str(term_course),
                 "--output", str(out), "--db", db_url, *LIMITS, *SANDBOX_ARGS]) == 0
    printed = capsys.readouterr().out
    assert "Grading 1 submission(s)" in printed and "4 already graded" in printed, printed
    assert "postgresql" in printed and "@127.0.0.1" in printed
    assert main(["export", "--course", str(term_course), "--output", str(out),
                 "--db", db_url]) == 0
    assert (out / "grades.csv").read_bytes() == WIDE.encode()
    assert (out / "grades-long.csv").read_bytes() == LONG.encode()

    import psycopg

    with psycopg.connect(db_url) as con:
        rows = con.execute(
            "SELECT student.id, COUNT(grade.id), SUM(grade.auto_score) FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = "
            "submitted_assignment.id JOIN student ON submitted_assignment.student_id = "
            "student.id GROUP BY student.id ORDER BY student.id").fetchall()
        (assignments,) = con.execute("SELECT COUNT(*) FROM assignment").fetchone()
    assert rows == [("alice", 2, 3.0), ("bob", 2, 3.0), ("carol", 2, 2.0), ("dave", 2, 0.0),
                    ("erin", 2, 3.0)]
    assert assignments == 1
