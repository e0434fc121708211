"""``aecourse grade`` end to end on a toy course: bad submissions, a hostile one, feedback
without secrets, interrupted runs, regrades, and a command that works as installed."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from aecourse.cli import main
from aecourse.grader import batch, intake, job
from aecourse.grader.results import Status
from aecourse.sandbox import policy as sandbox

from .test_cli import cell, notebook, released_course

LIMITS = ["--timeout", "90", "--cell-timeout", "15", "--memory", "3G"]
SOLUTION_MARKER = "solution-marker-5b1f"
HIDDEN_MARKER = "hidden-marker-9c2e"
SANDBOX = sandbox.problem()
needs_sandbox = pytest.mark.skipif(bool(SANDBOX), reason=f"needs the grading sandbox: {SANDBOX}"
                                   "; install bubblewrap (apt-get install bubblewrap)")
SANDBOX_ARGS = [] if not SANDBOX else ["--no-sandbox"]  # what runs either way


def toy_source():
    """The instructor's toy notebook: markers in its solution and in its hidden test."""
    return notebook(
        cell("markdown", "Write `square`.", grade_id="intro", locked=True),
        cell("code", "def square(x):\n    ### BEGIN SOLUTION\n"
             f"    return x * x  # {SOLUTION_MARKER}\n    ### END SOLUTION",
             grade_id="ex_square", solution=True),
        cell("code", "assert square(3) == 9, f'square(3) should be 9, got {square(3)}'",
             grade_id="test_square", grade=True, locked=True, points=2),
        cell("code", "assert square(-2) == 4, 'square(-2) should be 4'\n"
             "### BEGIN HIDDEN TESTS\n"
             f"assert square(0) == 0, 'square(0) should be 0 ({HIDDEN_MARKER})'\n"
             "### END HIDDEN TESTS", grade_id="test_square_more", grade=True, locked=True,
             points=1),
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A toy course with its lesson released."""
    return released_course(tmp_path_factory.mktemp("course"), toy_source())


def released(course):
    return json.loads((course / "lessons" / "toy" / "toy.ipynb").read_text())


def solved(course, body="    return x * x", before=""):
    """The released lesson with ``square`` written (``before`` runs first, in the same cell)."""
    nb = released(course)
    nb["cells"][1]["source"] = before + "def square(x):\n" + body
    return nb


def nb_bytes(nb):
    return json.dumps(nb).encode()


def cell_index(nb, grade_id):
    return next(i for i, c in enumerate(nb["cells"])
                if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def bad_submissions(course):
    """student -> {file name: bytes} for every case the grader must survive."""
    edited = solved(course, "    return 0")
    edited["cells"][cell_index(edited, "test_square")]["source"] = "assert True"
    deleted = solved(course)
    del deleted["cells"][cell_index(deleted, "test_square")]
    no_solution = solved(course)
    del no_solution["cells"][cell_index(no_solution, "ex_square")]
    warns = solved(course, "    warnings.warn('deprecated ' + 'call')\n    return x * x",
                   before="import warnings\nwarnings.warn('old ' + 'style')\n")
    return {
        "correct": {"toy.ipynb": nb_bytes(solved(course))},
        "blank": {"toy.ipynb": nb_bytes(released(course))},
        "partial": {"toy.ipynb": nb_bytes(solved(course, "    return 9 if x == 3 else 0"))},
        "warns": {"toy.ipynb": nb_bytes(warns)},
        "stderr_only": {"toy.ipynb": nb_bytes(solved(
            course, "    import sys\n    print('note', file=sys.stderr)\n    return x * x"))},
        "edited_test": {"toy.ipynb": nb_bytes(edited)},
        "deleted_test": {"toy.ipynb": nb_bytes(deleted)},
        "deleted_solution": {"toy.ipynb": nb_bytes(no_solution)},
        "infinite_loop": {"toy.ipynb": nb_bytes(solved(course, "    while True:\n        pass"))},
        "kernel_crash": {"toy.ipynb": nb_bytes(solved(course, "    import os\n    os._exit(3)"))},
        "memory_hog": {"toy.ipynb": nb_bytes(solved(
            course, "    hog = bytearray(8 * 2**30)\n    return x * x"))},
        "huge_output": {"toy.ipynb": nb_bytes(solved(course, before="print('x' * 30_000_000)\n"))},
        "output_flood": {"toy.ipynb": nb_bytes(solved(
            course, before="for _ in range(300):\n    print('y' * 100_000)\n"))},
        "invalid_json": {"toy.ipynb": b'{"cells": [ this is not json'},
        "not_a_notebook": {"toy.ipynb": b'{"hello": "world"}'},
        "wrong_name": {"My Homework (1).ipynb": nb_bytes(solved(course))},
        "missing": {"notes.txt": b"I forgot the notebook"},
        "extra_file": {"toy.ipynb": nb_bytes(solved(course)), "helper.py": b"X = 1\n"},
    }


EXPECTED = {  # student -> (score, status)
    "correct": (3, "graded"),
    "blank": (0, "graded"),
    "partial": (2, "graded"),
    "warns": (3, "graded"),  # a warning is not a wrong answer
    "stderr_only": (3, "graded"),  # neither is other output on stderr: only errors fail
    "edited_test": (0, "graded-restored-cells"),
    "deleted_test": (3, "graded-restored-cells"),
    "deleted_solution": (0, "graded"),
    "infinite_loop": (0, "graded"),
    "kernel_crash": (0, "kernel-died"),
    "memory_hog": (0, "graded"),
    "huge_output": (3, "graded"),
    "output_flood": (3, "graded"),
    "invalid_json": (0, "invalid-notebook"),
    "not_a_notebook": (0, "invalid-notebook"),
    "wrong_name": (3, "graded-renamed"),
    "missing": (0, "missing-notebook"),
    "extra_file": (3, "graded"),
}


def read_scores(path):
    with open(path, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def write_tree(root, submissions, assignment="toy"):
    for student, files in submissions.items():
        folder = root / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)


def records_of(out):
    """(student, assignment) -> the latest record, as stored under ``out``."""
    found = {}
    for path in sorted((out / "records").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line being written
                continue
            found[(record["student"], record["assignment"])] = record
    return found


@pytest.fixture(scope="module")
def graded_class(course, tmp_path_factory):
    """The whole class graded once with two workers (in the sandbox when there is one)."""
    work = tmp_path_factory.mktemp("class")
    submitted, out = work / "submitted", work / "out"
    write_tree(submitted, bad_submissions(course))
    before = scratch_left()
    code = main(["grade", str(submitted), "--course", str(course), "--output", str(out),
                 "--workers", "2", *LIMITS, *SANDBOX_ARGS])
    assert scratch_left() <= before, f"grading left {sorted(scratch_left() - before)}"
    return code, out, submitted


def scratch_left() -> set[str]:
    """The grader's working folders in the temporary folder."""
    return {p.name for p in Path(tempfile.gettempdir()).glob("aecourse-*")
            if p.name.split("-")[1] in ("job", "pool", "ipc", "prepare", "register", "forks")}


def test_every_bad_submission_gets_a_defined_outcome(graded_class):
    code, out, _ = graded_class
    assert code == 0
    scores = read_scores(out / "scores.csv")
    got = {s: (float(r["score"]), r["status"]) for s, r in scores.items()}
    assert got == {s: (float(v[0]), v[1]) for s, v in EXPECTED.items()}
    assert all(r["max"] == "3" and r["notebook"] == "toy" for r in scores.values())
    assert "test_square" in scores["edited_test"]["detail"]
    assert "My Homework (1).ipynb" in scores["wrong_name"]["detail"]
    cells = {c["grade_id"]: c for c in records_of(out)[("memory_hog", "toy")]["notebooks"][0][
        "cells"]}
    assert cells["test_square"]["message"].startswith("MemoryError"), cells


def test_gradebook_and_feedback(course, graded_class):
    _, out, _ = graded_class
    with sqlite3.connect(course / "gradebook.db") as db:
        totals = dict(db.execute(
            "SELECT student.id, SUM(grade.auto_score) FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = "
            "submitted_assignment.id "
            "JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"
        ).fetchall())
    assert totals == {s: float(v[0]) for s, v in EXPECTED.items()}
    page = feedback_text(out / "feedback" / "correct" / "toy" / "toy.html")
    assert "toy (Score: 3.0 / 3.0)" in page and "square" in page
    for student in ("huge_output", "output_flood"):
        size = (out / "feedback" / student / "toy" / "toy.html").stat().st_size
        assert size < 2_000_000, f"a flood of output must be truncated ({student}: {size})"
    warns = feedback_text(out / "feedback" / "warns" / "toy" / "toy.html")
    assert "UserWarning: old style" in warns, "a warning shows in the feedback"


def feedback_text(path: Path) -> str:
    """What a reader of a feedback page sees: its text, without markup."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", path.read_text(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_feedback_shows_results_but_never_hidden_tests(course, graded_class):
    _, out, _ = graded_class
    for student in ("correct", "partial", "blank"):
        page = out / "feedback" / student / "toy" / "toy.html"
        for text in (page.read_text(), feedback_text(page)):
            for secret in (HIDDEN_MARKER, "square(0) == 0", SOLUTION_MARKER, "BEGIN HIDDEN"):
                assert secret not in text, f"{student}'s feedback shows {secret!r}"
        assert "test_square_more" in text and "test_square" in text
    partial = feedback_text(out / "feedback" / "partial" / "toy" / "toy.html")
    assert "square(-2) should be 4" in partial, "the failure's one-line message is shown"
    assert "9 if x == 3 else 0" in partial, "the student's own code is shown"


def test_a_record_reaches_disk_per_submission(graded_class):
    _, out, _ = graded_class
    records = records_of(out)
    assert {s for s, _ in records} == set(EXPECTED)
    for record in records.values():
        assert record["submission_hash"] and record["course_version"]
        laps = sum(v for k, v in record["timings"].items()
                   if k.endswith("_s") and k != "kernel_wait_s")
        assert record["seconds"] >= laps - 0.01 and laps > 0  # seconds: to 0.01 s
    # two workers, each with a kernel started ahead while it grades the one before
    pooled = sum(r["timings"].get("kernels_from_pool", 0) for r in records.values())
    assert pooled >= len(records) // 2, f"only {pooled} kernels came started ahead"


@pytest.fixture(scope="module")
def attack(course, tmp_path_factory):
    """A hostile submission graded after an honest one, the gradebook outside the course."""
    if SANDBOX:
        pytest.skip(f"needs the grading sandbox: {SANDBOX}")
    work = tmp_path_factory.mktemp("attack")
    submitted, out, db = work / "submitted", work / "out", work / "db" / "gradebook.db"
    db.parent.mkdir()
    victim = solved(course, "    return x * x  # student-marker-77aa")
    write_tree(submitted, {"victim-5d9a": {"toy.ipynb": nb_bytes(victim)}})
    args = ["--course", str(course), "--output", str(out), "--db", f"sqlite:///{db}"]
    assert main(["grade", str(submitted), *args, *LIMITS]) == 0
    targets = [db, course / "solutions" / "toy" / "toy.ipynb", out / "scores.csv",
               submitted / "victim-5d9a" / "toy" / "toy.ipynb",
               *sorted((out / "records").glob("*.jsonl"))]
    attacker = solved(course, "    if found:\n        raise RuntimeError(found)\n    return x * x",
                      before=ATTACK.replace("TARGETS", repr([str(t) for t in targets])))
    write_tree(submitted, {"attacker-3e1c": {"toy.ipynb": nb_bytes(attacker)}})
    before = {"course": tree_hashes(course), "victim": victim_rows(db),
              "records": {p: p.read_bytes() for p in (out / "records").glob("*.jsonl")},
              "feedback": tree_hashes(out / "feedback")}
    assert main(["grade", str(submitted), *args, "--cell-timeout", "600", "--timeout", "900",
                 "--memory", "3G"]) == 0
    time.sleep(3)  # what the attacker left behind would try again meanwhile
    return before, course, out, db


ATTACK = '''import os, socket, subprocess, sys
# each marker is spelled in two pieces here, so that this notebook itself holds none of them
markers = {"solution-marker" + "-5b1f": "the solution", "hidden-marker" + "-9c2e": "a hidden test",
           "student-marker" + "-77aa": "another student's file",
           "victim" + "-5d9a": "another student's id", "attacker" + "-3e1c": "its own grading"}
mine = ("/tmp", "/dev/shm", os.path.expanduser("~"))  # its own scratch space
targets = TARGETS
found = []

def scan(path):
    if path.startswith(os.path.expanduser("~")):  # its own files: they name the targets
        return
    try:
        if os.path.islink(path) or os.path.getsize(path) > 2_000_000:
            return
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return
    for marker, what in markers.items():
        if marker.encode() in data:
            found.append(f"{what} in {path}")
    if path.startswith(mine) or path.startswith("/proc"):
        return
    try:
        with open(path, "ab"):  # opening to append changes nothing, but proves a write
            found.append(f"writable {path}")
    except OSError:
        pass

for top, dirs, files in os.walk("/"):
    if top.startswith(("/proc", "/sys", "/dev")):
        dirs[:] = []
        continue
    for name in files:
        scan(os.path.join(top, name))
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        for what in ("cmdline", "environ"):
            scan(f"/proc/{pid}/{what}")
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        for top, dirs, files in os.walk(cwd):
            for name in files:
                scan(os.path.join(top, name))
for value in os.environ.values():
    for marker, what in markers.items():
        if marker in value or any(t in value for t in targets):
            found.append(f"{what} in the environment")
for port in (22, 80, 443, 5432, 8786, 8787, 8888):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        found.append(f"port {port} answers")
    except OSError:
        pass
    finally:
        s.close()
for target in targets:
    try:
        with open(target, "w") as f:
            f.write("hacked")
        found.append(f"wrote {target}")
    except OSError:
        pass
loop = ("import time\\nfor _ in range(60):\\n"
        "    for t in %r:\\n"
        "        try:\\n            open(t, 'w').write('hacked')\\n"
        "        except OSError:\\n            pass\\n"
        "    time.sleep(0.5)\\n# attacker-bg-4f2a" % (targets,))
subprocess.Popen([sys.executable, "-c", loop], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
found = "; ".join(found)[:3000]
'''


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def victim_rows(db: Path):
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT grade.auto_score, grade.manual_score, submitted_assignment.timestamp "
            "FROM grade JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = "
            "submitted_assignment.id WHERE submitted_assignment.student_id = 'victim-5d9a' "
            "ORDER BY grade.id").fetchall()


@needs_sandbox
def test_attacker_finds_nothing_changes_nothing_and_earns_what_it_deserves(attack):
    before, course, out, db = attack
    record = records_of(out)[("attacker-3e1c", "toy")]
    messages = [c["message"] for n in record["notebooks"] for c in n["cells"] if c["message"]]
    assert record["notebooks"][0]["score"] == 3, messages
    assert tree_hashes(course) == before["course"], "the course folder changed"
    assert victim_rows(db) == before["victim"], "another student's grades changed"
    for path, data in before["records"].items():
        assert path.read_bytes() == data, f"{path} changed"
    assert tree_hashes(out / "feedback") == {**before["feedback"], **{
        k: v for k, v in tree_hashes(out / "feedback").items() if k.startswith("attacker")}}
    left = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
            if "attacker-bg-4f2a" in " ".join(p.info["cmdline"] or [])]
    assert not left, f"the attacker's background process survived: {left}"
    page = (out / "feedback" / "attacker-3e1c" / "toy" / "toy.html").read_text()
    assert HIDDEN_MARKER not in page and SOLUTION_MARKER not in page


def test_grading_twice_skips_then_force_regrades(course, graded_class, tmp_path):
    _, _, submitted = graded_class
    again = tmp_path / "submitted"
    for student in ("correct", "partial"):
        shutil.copytree(submitted / student, again / student)
    out = tmp_path / "out"
    args = [str(again), "--course", str(course), "--output", str(out), *LIMITS, *SANDBOX_ARGS,
            "--db", f"sqlite:///{tmp_path / 'gradebook.db'}"]
    assert main(["grade", *args]) == 0
    first = read_scores(out / "scores.csv")
    summary = batch.grade_class(again, course=course, out=out,
                                db_url=f"sqlite:///{tmp_path / 'gradebook.db'}",
                                sandboxed=not SANDBOX_ARGS, progress=False, say=lambda _: None)
    assert (len(summary.graded), len(summary.skipped)) == (0, 2), "nothing changed: skip"
    summary = batch.grade_class(again, course=course, out=out,
                                db_url=f"sqlite:///{tmp_path / 'gradebook.db'}",
                                sandboxed=not SANDBOX_ARGS, progress=False, say=lambda _: None,
                                force=True, students=["partial"])
    assert [r.student for r in summary.graded] == ["partial"]
    assert read_scores(out / "scores.csv") == first


def test_regrade_keeps_manual_grades_and_stores_timestamps(course, tmp_path):
    submitted, out, db = tmp_path / "submitted", tmp_path / "out", tmp_path / "gb.db"
    write_tree(submitted, {"dana": {"toy.ipynb": nb_bytes(solved(course, "    return 0")),
                                    "timestamp.txt": b"2026-03-01 09:30:00.000000 UTC"}})
    args = ["grade", str(submitted), "--course", str(course), "--output", str(out), "--db",
            f"sqlite:///{db}", *LIMITS, *SANDBOX_ARGS]
    assert main(args) == 0
    with sqlite3.connect(db) as con:
        (stamp,) = con.execute("SELECT timestamp FROM submitted_assignment").fetchone()
        assert stamp.startswith("2026-03-01 09:30:00")
        con.execute("UPDATE grade SET manual_score = 1.5, extra_credit = 0.5 "
                    "WHERE cell_id IN (SELECT id FROM base_cell WHERE name = 'test_square')")
        con.execute("UPDATE comment SET manual_comment = 'see me'")
    # the student resubmits: the new bytes are graded, the instructor's additions stay
    write_tree(submitted, {"dana": {"toy.ipynb": nb_bytes(solved(course)),
                                    "timestamp.txt": b"2026-03-02 10:00:00.000000 UTC"}})
    assert main(args) == 0
    with sqlite3.connect(db) as con:
        rows = {name: scores for name, *scores in con.execute(
            "SELECT base_cell.name, grade.auto_score, grade.manual_score, grade.extra_credit "
            "FROM grade JOIN base_cell ON grade.cell_id = base_cell.id")}
        comments = con.execute("SELECT manual_comment FROM comment").fetchall()
        (stamp,) = con.execute("SELECT timestamp FROM submitted_assignment").fetchone()
    assert rows == {"test_square": [2.0, 1.5, 0.5], "test_square_more": [1.0, None, None]}
    assert comments == [("see me",)] and stamp.startswith("2026-03-02 10:00:00")
    assert read_scores(out / "scores.csv")["dana"]["timestamp"] == "2026-03-02T10:00:00+00:00"


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _grade_in_background(course, submitted, out, db, isolation):
    cmd = [sys.executable, "-m", "aecourse.cli", "grade", str(submitted), "--course",
           str(course), "--output", str(out), "--db", f"sqlite:///{db}", "--workers", "1",
           *LIMITS, *isolation]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("how,isolation", [
    (signal.SIGINT, SANDBOX_ARGS), (signal.SIGTERM, ["--no-sandbox"]),
    (signal.SIGKILL, SANDBOX_ARGS)],
    ids=["sigint", "sigterm-no-sandbox", "sigkill"])  # SIGTERM ends a run as Ctrl-C does
def test_an_interrupted_batch_resumes(course, tmp_path, how, isolation):
    submitted, out, db = tmp_path / "submitted", tmp_path / "out", tmp_path / "gb.db"
    students = {f"s{i}": solved(course, "    return x * x" if i % 2 else "    return -1")
                for i in range(6)}
    write_tree(submitted, {s: {"toy.ipynb": nb_bytes(nb)} for s, nb in students.items()})
    proc = _grade_in_background(course, submitted, out, db, isolation)
    deadline = time.monotonic() + 300
    while len(records_of(out) if (out / "records").is_dir() else {}) < 2:
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "no record after 300 s"
        time.sleep(0.2)
    family = psutil.Process(proc.pid).children(recursive=True)  # workers, sandboxes, kernels
    proc.send_signal(how)
    proc.wait(timeout=20)  # within seconds, whatever the workers were doing
    if how != signal.SIGKILL:
        assert proc.returncode == 130, proc.stdout.read()
    kept = records_of(out)
    assert 2 <= len(kept) < 6, "interrupted in the middle"
    time.sleep(3)
    left = [p.cmdline() for p in family if alive(p)]
    assert not left, f"processes of the interrupted run survived: {left}"
    assert main(["grade", str(submitted), "--course", str(course), "--output", str(out),
                 "--db", f"sqlite:///{db}", *LIMITS, *isolation]) == 0
    scores = read_scores(out / "scores.csv")
    assert {s: r["score"] for s, r in scores.items()} == {
        s: "3" if int(s[1:]) % 2 else "0" for s in students}
    runs = sorted((out / "records").glob("*.jsonl"))
    assert len(runs) == 2 and len(runs[1].read_text().splitlines()) == 6 - len(kept), (
        "the second run grades only what the first did not keep")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (6,)


def test_folder_of_lms_zips(course, tmp_path):
    zips = tmp_path / "zips"
    zips.mkdir()
    with zipfile.ZipFile(zips / "alice_1234_attempt.zip", "w") as z:
        info = zipfile.ZipInfo("alice/toy.ipynb", date_time=(2026, 5, 4, 3, 2, 0))
        z.writestr(info, json.dumps(solved(course)))
        z.writestr("__MACOSX/alice/._toy.ipynb", b"junk")
    with zipfile.ZipFile(zips / "bob.zip", "w") as z:
        z.writestr("toy.ipynb", json.dumps(released(course)))
    (zips / "carol.zip").write_bytes(b"this is not a zip")
    out = tmp_path / "out"
    assert main(["grade", str(zips), "--assignment", "toy", "--course", str(course),
                 "--output", str(out), "--db", f"sqlite:///{tmp_path / 'gb.db'}", *LIMITS,
                 *SANDBOX_ARGS]) == 0
    scores = read_scores(out / "scores.csv")
    assert (scores["alice_1234_attempt"]["score"], scores["bob"]["score"]) == ("3", "0")
    assert scores["alice_1234_attempt"]["timestamp"] == "2026-05-04T03:02:00+00:00"
    assert scores["carol"]["status"] == "invalid-submission"


def test_expected_failures_are_one_line(course, tmp_path, capsys):
    (tmp_path / "a.zip").write_bytes(b"")
    cases = [
        (["grade", str(tmp_path), "--course", str(course), *SANDBOX_ARGS], "--assignment"),
        (["grade", str(tmp_path / "nowhere"), "--course", str(course), *SANDBOX_ARGS],
         "no submissions folder"),
        (["grade", str(tmp_path), "--course", str(course), "--assignment", "nope",
          *SANDBOX_ARGS], "no assignment 'nope'"),
        (["grade", str(tmp_path), "--course", str(course), "--memory", "lots"], "memory size"),
    ]
    bad_db = tmp_path / "garbage.db"
    bad_db.write_bytes(b"this is not a database" * 100)
    submitted = tmp_path / "submitted"
    write_tree(submitted, {"eve": {"toy.ipynb": nb_bytes(solved(course))}})
    cases.append((["grade", str(submitted), "--course", str(course), "--output",
                   str(tmp_path / "out"), "--db", f"sqlite:///{bad_db}", *SANDBOX_ARGS],
                  "cannot open the gradebook"))
    for argv, expected in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert expected in err and len(err.splitlines()) == 1, (argv, err)


def test_without_bubblewrap_grading_refuses_unless_told(course, tmp_path, monkeypatch, capsys):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    write_tree(submitted, {"frank": {"toy.ipynb": nb_bytes(solved(course))}})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no bwrap on it
    sandbox.problem.cache_clear()
    try:
        argv = ["grade", str(submitted), "--course", str(course), "--output", str(out),
                "--db", f"sqlite:///{tmp_path / 'gb.db'}", *LIMITS]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "bubblewrap" in err and "--no-sandbox" in err
        assert not out.exists() and not (tmp_path / "gb.db").exists(), "nothing was graded"
        assert main([*argv, "--no-sandbox"]) == 0
        captured = capsys.readouterr()
        assert "without isolation" in captured.out
        assert read_scores(out / "scores.csv")["frank"]["score"] == "3"
    finally:
        sandbox.problem.cache_clear()


def test_installed_command_works_from_a_plain_shell(course, tmp_path):
    """The console script, run with a minimal PATH and no activated environment."""
    exe = Path(sys.executable).parent / "aecourse"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    copy = tmp_path / "course"
    shutil.copytree(course / "solutions", copy / "solutions")
    done = subprocess.run([exe, "release", "toy", "--root", str(copy)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Kernel is running over TCP" not in done.stderr
    submitted = tmp_path / "submitted"
    write_tree(submitted, {"gil": {"toy.ipynb": nb_bytes(solved(course))}})
    done = subprocess.run([exe, "grade", str(submitted), "--course", str(copy), "--output",
                           str(tmp_path / "out"), *LIMITS, *SANDBOX_ARGS], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Kernel is running over TCP" not in done.stderr
    for argv in (["grade", str(tmp_path / "nowhere")], ["release", "nope", "--root", str(copy)],
                 ["check", str(tmp_path / "nope.ipynb")]):
        done = subprocess.run([exe, *argv], env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    done = subprocess.run([exe, "grade", str(submitted), "--course", str(copy)],
                          env={**env, "PATH": str(tmp_path / "empty")}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 2 and "bubblewrap" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_grading_on_a_dask_cluster(course, tmp_path):
    distributed = pytest.importorskip("distributed")
    submitted = tmp_path / "submitted"
    write_tree(submitted, {"correct": {"toy.ipynb": nb_bytes(solved(course))},
                           "blank": {"toy.ipynb": nb_bytes(released(course))}})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        out = tmp_path / "out"
        assert main(["grade", str(submitted), "--course", str(course), "--output", str(out),
                     "--db", f"sqlite:///{tmp_path / 'gb.db'}", "--scheduler",
                     cluster.scheduler_address, *LIMITS, *SANDBOX_ARGS]) == 0
    scores = read_scores(out / "scores.csv")
    assert (scores["correct"]["score"], scores["blank"]["score"]) == ("3", "0")


def test_grade_job_is_a_function_of_the_job(course):
    """The same job graded twice gives the same record (feedback and times aside)."""
    found = intake.Submission("someone", "toy", {"toy.ipynb": nb_bytes(solved(course))})
    one = job.Job(found, sandbox="limits" if SANDBOX else "bwrap",
                  course=job.prepare(course / "solutions" / "toy", "toy"))
    first, second = (job.grade_job(one).to_dict(feedback=False) for _ in range(2))
    for record in (first, second):
        record.pop("seconds")
        assert record.pop("timings")["autograde_s"] > 0
    assert first == second and first["notebooks"][0]["score"] == 3
    assert first["notebooks"][0]["status"] == Status.GRADED.value


@needs_sandbox
def test_real_lesson_graded_in_the_sandbox(tmp_path):
    """A TensorFlow lesson of this course, graded in the sandbox."""
    from aecourse.grader.autograde import prepare_course, solve

    from .conftest import ROOT

    assignment = "02_pca_autoencoder"
    prepare_course(tmp_path / "prep", ROOT / "solutions" / assignment, assignment)
    submitted = tmp_path / "submitted"
    solve(ROOT / "solutions" / assignment, tmp_path / "prep" / "release" / assignment,
          submitted / "alice" / assignment)
    shutil.copytree(ROOT / "lessons" / assignment, submitted / "bob" / assignment)
    out = tmp_path / "out"
    assert main(["grade", str(submitted), "--course", str(ROOT), "--output", str(out),
                 "--db", f"sqlite:///{tmp_path / 'gradebook.db'}", "--workers", "2",
                 "--no-canary"]) == 0  # alice submits the solution: the canary's proof
    scores = read_scores(out / "scores.csv")
    assert scores["alice"]["score"] == scores["alice"]["max"] != "0", scores["alice"]
    assert (scores["bob"]["score"], scores["bob"]["status"]) == ("0", "graded")
    assert not os.path.exists(ROOT / "graded"), "the course folder is not written"


def test_schema_version_read_in_process_is_the_one_alembic_reports():
    """The gradebook's schema version, read without the ``alembic`` command, is the one that
    command reports (what nbgrader would write into a new gradebook)."""
    import nbgrader.api

    from aecourse.grader import autograde as grading

    grading.quiet_nbgrader()
    assert nbgrader.api.get_alembic_version is grading._alembic_head
    with nbgrader.api._temp_alembic_ini("sqlite:////tmp/unused.db") as ini:
        heads = subprocess.run([str(Path(sys.executable).parent / "alembic"), "-c", ini,
                                "heads"], capture_output=True, text=True, check=True).stdout
    assert grading._alembic_head() == heads.split()[0]


@needs_sandbox
def test_kernels_start_one_by_one_in_bubblewrap_without_the_fork_server(course, tmp_path,
                                                                         monkeypatch):
    """Where kernels cannot be forked (not root, or switched off), each starts in bubblewrap
    on its own, with the same outcomes."""
    monkeypatch.setenv("AECOURSE_FORKSERVER", "0")
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    write_tree(submitted, {"right": {"toy.ipynb": nb_bytes(solved(course))},
                           "blank": {"toy.ipynb": nb_bytes(released(course))}})
    servers = set(Path(tempfile.gettempdir()).glob("aecourse-forks-*"))
    assert main(["grade", str(submitted), "--course", str(course), "--output", str(out),
                 "--db", f"sqlite:///{tmp_path / 'gb.db'}", *LIMITS]) == 0
    scores = read_scores(out / "scores.csv")
    assert (scores["right"]["score"], scores["blank"]["score"]) == ("3", "0")
    assert set(Path(tempfile.gettempdir()).glob("aecourse-forks-*")) == servers, \
        "a fork server was started"


def test_a_broken_grader_stops_at_the_canary_before_any_student(course, tmp_path, capsys):
    """A kernel that cannot start (here: too little memory to start at all) would zero every
    student; the canary grades the solution first and stops the run, exit 4, one line."""
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    write_tree(submitted, {f"s{i}": {"toy.ipynb": nb_bytes(solved(course))} for i in range(3)})
    code = main(["grade", str(submitted), "--course", str(course), "--output", str(out),
                 "--db", f"sqlite:///{tmp_path / 'gb.db'}", "--timeout", "60",
                 "--memory", "40M", *SANDBOX_ARGS])
    err = [line for line in capsys.readouterr().err.splitlines()
           if line.strip() and not re.search(r"\d+/\d+ \[", line)]  # the progress bar aside
    assert code == 4, err
    assert len(err) == 1 and "the canary failed: toy/toy" in err[0], err
    assert "grader-error" in err[0] and "did not start" in err[0], err
    assert records_of(out) == {}, "a student was graded after the canary failed"


def test_grader_errors_are_not_the_students_and_stop_a_batch(course, tmp_path, capsys):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    args = ["--course", str(course), "--output", str(out), "--db",
            f"sqlite:///{tmp_path / 'gb.db'}", "--timeout", "60", "--no-canary", *SANDBOX_ARGS]
    write_tree(submitted, {f"s{i}": {"toy.ipynb": nb_bytes(solved(course))} for i in range(2)})
    assert main(["grade", str(submitted), "--memory", "40M", *args]) == 3
    said = capsys.readouterr()
    assert "2 grader-error" in said.out and "ended grader-error" in said.err, said
    got = records_of(out)
    assert {r["notebooks"][0]["status"] for r in got.values()} == {"grader-error"}
    assert all("did not start" in r["notebooks"][0]["detail"] for r in got.values())
    # more students failing alike: the run stops after three instead of zeroing the class
    write_tree(submitted, {f"s{i}": {"toy.ipynb": nb_bytes(solved(course))}
                           for i in range(2, 6)})
    assert main(["grade", str(submitted), "--memory", "40M", "--workers", "1", *args]) == 4
    assert "failed the same way for 3 students" in capsys.readouterr().err
    assert len(records_of(out)) < 6
    # fixed, the same command regrades the grader's failures and grades the rest
    assert main(["grade", str(submitted), *args]) == 0
    assert {k[0]: r["notebooks"][0]["score"] for k, r in records_of(out).items()} == {
        f"s{i}": 3.0 for i in range(6)}


def test_an_import_that_fails_in_the_sandbox_stops_at_the_canary(tmp_path):
    """The grader imports a module its kernels cannot (here: from a folder that holds a
    course, which kernels never see): the canary stops the run, exit 4, one line."""
    hidden = tmp_path / "elsewhere"
    (hidden / "solutions").mkdir(parents=True)
    (hidden / "course_helpers.py").write_text("ANSWER = 42\n")
    course = tmp_path / "course"
    nb = toy_source()
    nb.cells.insert(0, cell("code", "import course_helpers", grade_id="setup", locked=True))
    nb.cells.append(cell("code", "assert course_helpers.ANSWER == 42", grade_id="test_helper",
                         grade=True, locked=True, points=1))
    (course / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(nb, course / "solutions" / "toy" / "toy.ipynb")
    write_tree(tmp_path / "submitted", {"s1": {"toy.ipynb": nbformat.writes(nb).encode()}})
    env = {**os.environ, "PYTHONPATH": str(hidden)}
    proc = subprocess.run(
        [sys.executable, "-c", "import course_helpers, sys; from aecourse.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "grade", str(tmp_path / "submitted"), "--course",
         str(course), "--output", str(tmp_path / "out"), *LIMITS, *SANDBOX_ARGS],
        env=env, capture_output=True, text=True, timeout=600)
    said = [line for line in proc.stderr.splitlines() if line.startswith("aecourse")]
    assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert len(said) == 1 and "the canary failed: toy/toy" in said[0], said
    assert "No module named 'course_helpers'" in said[0], said
    assert not (tmp_path / "out" / "records").is_dir() or records_of(tmp_path / "out") == {}
