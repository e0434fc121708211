"""``aecourse grade`` end to end: a class of good and bad submissions, graded safely."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import zipfile

import nbformat
import pytest

from aecourse import classroom
from aecourse.cli import main

from .test_cli import toy_notebook

LIMITS = ["--timeout", "90", "--cell-timeout", "15", "--memory", "3G"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A toy course with its lesson released."""
    root = tmp_path_factory.mktemp("course")
    (root / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(toy_notebook(), root / "solutions" / "toy" / "toy.ipynb")
    assert main(["release", "toy", "--root", str(root)]) == 0
    return root


def released(course):
    return json.loads((course / "lessons" / "toy" / "toy.ipynb").read_text())


def solved(course, body="    return x * x"):
    nb = released(course)
    nb["cells"][1]["source"] = "def square(x):\n" + body
    return nb


def cell_index(nb, grade_id):
    return next(i for i, c in enumerate(nb["cells"])
                if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def bad_submissions(course, spy_path):
    """student -> {file name: bytes} for every case the grader must survive."""
    def nb_bytes(nb):
        return json.dumps(nb).encode()

    edited = solved(course, "    return 0")
    edited["cells"][cell_index(edited, "test_square")]["source"] = "assert True"
    deleted = solved(course)
    del deleted["cells"][cell_index(deleted, "test_square")]
    no_solution = solved(course)
    del no_solution["cells"][cell_index(no_solution, "ex_square")]
    spy_code = (
        "    import os, pathlib\n"
        "    found = []\n"
        f"    for p in {[str(p) for p in spy_path]!r}:\n"
        "        try:\n"
        "            pathlib.Path(p).write_text('hacked')\n"
        "            found.append('wrote ' + p)\n"
        "        except OSError:\n"
        "            pass\n"
        "        try:\n"
        "            pathlib.Path(p).read_bytes()\n"
        "            found.append('read ' + p)\n"
        "        except OSError:\n"
        "            pass\n"
        "    if found:\n"
        "        raise RuntimeError('; '.join(found))\n"
        "    return x * x"
    )
    return {
        "correct": {"toy.ipynb": nb_bytes(solved(course))},
        "blank": {"toy.ipynb": nb_bytes(released(course))},
        "partial": {"toy.ipynb": nb_bytes(solved(course, "    return 9 if x == 3 else 0"))},
        "edited_test": {"toy.ipynb": nb_bytes(edited)},
        "deleted_test": {"toy.ipynb": nb_bytes(deleted)},
        "deleted_solution": {"toy.ipynb": nb_bytes(no_solution)},
        "infinite_loop": {"toy.ipynb": nb_bytes(solved(course, "    while True:\n        pass"))},
        "kernel_crash": {"toy.ipynb": nb_bytes(solved(course, "    import os\n    os._exit(3)"))},
        "memory_hog": {"toy.ipynb": nb_bytes(solved(
            course, "    hog = bytearray(8 * 2**30)\n    return x * x"))},
        "huge_output": {"toy.ipynb": nb_bytes(solved(
            course, "    print('x' * 30_000_000)\n    return x * x"))},
        "invalid_json": {"toy.ipynb": b'{"cells": [ this is not json'},
        "not_a_notebook": {"toy.ipynb": b'{"hello": "world"}'},
        "wrong_name": {"My Homework (1).ipynb": nb_bytes(solved(course))},
        "missing": {"notes.txt": b"I forgot the notebook"},
        "extra_file": {"toy.ipynb": nb_bytes(solved(course)), "helper.py": b"X = 1\n"},
        "spy": {"toy.ipynb": nb_bytes(solved(course, spy_code))},
    }


EXPECTED = {  # student -> (score, status)
    "correct": (3, "graded"),
    "blank": (0, "graded"),
    "partial": (2, "graded"),
    "edited_test": (0, "graded-restored-cells"),
    "deleted_test": (3, "graded-restored-cells"),
    "deleted_solution": (0, "graded"),
    "infinite_loop": (0, "graded"),
    "kernel_crash": (0, "kernel-died"),
    "memory_hog": (0, "graded"),
    "huge_output": (3, "graded"),
    "invalid_json": (0, "invalid-notebook"),
    "not_a_notebook": (0, "invalid-notebook"),
    "wrong_name": (3, "graded-renamed"),
    "missing": (0, "missing-notebook"),
    "extra_file": (3, "graded"),
    "spy": (3, "graded"),
}


def read_scores(path):
    with open(path, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def write_tree(root, submissions):
    for student, files in submissions.items():
        folder = root / student / "toy"
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)


@pytest.fixture(scope="module")
def graded_class(course, tmp_path_factory):
    """The whole class graded once with two workers."""
    work = tmp_path_factory.mktemp("class")
    submitted = work / "submitted"
    out = work / "out"
    gradebook = course / "gradebook.db"
    spy_targets = [gradebook, submitted / "correct" / "toy" / "toy.ipynb",
                   course / "solutions" / "toy" / "toy.ipynb", out / "scores.csv"]
    write_tree(submitted, bad_submissions(course, spy_targets))
    code = main(["grade", str(submitted), "--course", str(course), "--output", str(out),
                 "--workers", "2", *LIMITS])
    return code, out, submitted


def test_every_bad_submission_gets_a_defined_outcome(graded_class):
    code, out, _ = graded_class
    assert code == 0
    scores = read_scores(out / "scores.csv")
    assert sorted(scores) == sorted(EXPECTED)
    got = {s: (float(r["score"]), r["status"]) for s, r in scores.items()}
    expected = {s: (float(v[0]), v[1]) for s, v in EXPECTED.items()}
    if shutil.which("bwrap") is None:  # without a sandbox the spy finds what it looks for
        del got["spy"], expected["spy"]
    assert got == expected
    assert all(r["max"] == "3" and r["notebook"] == "toy" for r in scores.values())
    assert "test_square" in scores["edited_test"]["detail"]
    assert "My Homework (1).ipynb" in scores["wrong_name"]["detail"]


@pytest.mark.skipif(shutil.which("bwrap") is None,
                    reason="file isolation needs bubblewrap (apt-get install bubblewrap)")
def test_student_code_cannot_touch_gradebook_solutions_or_others(course, graded_class):
    _, out, submitted = graded_class
    assert b"hacked" not in (course / "gradebook.db").read_bytes()
    assert "hacked" not in (submitted / "correct" / "toy" / "toy.ipynb").read_text()
    assert "hacked" not in (course / "solutions" / "toy" / "toy.ipynb").read_text()
    # the spy would have raised (and lost points) had it read or written any of those files
    assert read_scores(out / "scores.csv")["spy"]["score"] == "3"


def test_gradebook_and_feedback(course, graded_class):
    _, out, _ = graded_class
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute(
            "SELECT student.id, SUM(grade.auto_score) FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = "
            "submitted_assignment.id "
            "JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"
        ).fetchall()
    totals = dict(rows)
    assert totals["correct"] == 3 and totals["partial"] == 2 and totals["blank"] == 0
    assert set(totals) == set(EXPECTED)
    html = (out / "feedback" / "correct" / "toy" / "toy.html").read_text()
    assert "3.0" in html and "square" in html
    huge = (out / "feedback" / "huge_output" / "toy" / "toy.html").stat().st_size
    assert huge < 2_000_000, "a flood of output must be truncated in the feedback"


def test_grading_twice_gives_the_same_score(course, graded_class, tmp_path):
    _, out, submitted = graded_class
    again = tmp_path / "submitted"
    for student in ("correct", "partial", "edited_test"):
        shutil.copytree(submitted / student, again / student)
    assert main(["grade", str(again), "--course", str(course), "--output",
                 str(tmp_path / "out"), *LIMITS]) == 0
    first, second = read_scores(out / "scores.csv"), read_scores(tmp_path / "out" / "scores.csv")
    for student in ("correct", "partial", "edited_test"):
        assert second[student]["score"] == first[student]["score"]


def test_folder_of_lms_zips(course, tmp_path):
    zips = tmp_path / "zips"
    zips.mkdir()
    with zipfile.ZipFile(zips / "alice_1234_attempt.zip", "w") as z:
        z.writestr("alice/toy.ipynb", json.dumps(solved(course)))
        z.writestr("__MACOSX/alice/._toy.ipynb", b"junk")
    with zipfile.ZipFile(zips / "bob.zip", "w") as z:
        z.writestr("toy.ipynb", json.dumps(released(course)))
    (zips / "carol.zip").write_bytes(b"this is not a zip")
    out = tmp_path / "out"
    assert main(["grade", str(zips), "--assignment", "toy", "--course", str(course),
                 "--output", str(out), *LIMITS]) == 0
    scores = read_scores(out / "scores.csv")
    assert (scores["alice_1234_attempt"]["score"], scores["bob"]["score"]) == ("3", "0")
    assert scores["carol"]["status"] == "invalid-submission"


def test_zips_need_an_assignment(course, tmp_path, capsys):
    (tmp_path / "a.zip").write_bytes(b"")
    assert main(["grade", str(tmp_path), "--course", str(course)]) == 2
    assert "--assignment" in capsys.readouterr().err


def test_grading_on_a_dask_cluster(course, tmp_path):
    distributed = pytest.importorskip("distributed")
    submitted = tmp_path / "submitted"
    write_tree(submitted, {"correct": {"toy.ipynb": json.dumps(solved(course)).encode()},
                           "blank": {"toy.ipynb": json.dumps(released(course)).encode()}})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        out = tmp_path / "out"
        assert main(["grade", str(submitted), "--course", str(course), "--output", str(out),
                     "--scheduler", cluster.scheduler_address, *LIMITS]) == 0
    scores = read_scores(out / "scores.csv")
    assert (scores["correct"]["score"], scores["blank"]["score"]) == ("3", "0")


def test_grade_job_is_pure(course):
    """The same job graded twice gives the same record (feedback aside, which has dates)."""
    job = classroom.Job("someone", "toy", classroom.prepare(course / "solutions" / "toy", "toy"),
                        {"toy.ipynb": json.dumps(solved(course)).encode()})
    first, second = (classroom.grade_job(job) for _ in range(2))
    for record in (first, second):
        record.pop("feedback")
    assert first == second and first["notebooks"][0]["score"] == 3


def test_real_lesson_graded_in_the_sandbox(tmp_path):
    """A TensorFlow lesson of this course, graded with the course folder itself masked."""
    from aecourse.grading import prepare_course, solve

    from .conftest import ROOT

    assignment = "02_pca_autoencoder"
    prepare_course(tmp_path / "prep", ROOT / "solutions" / assignment, assignment)
    submitted = tmp_path / "submitted"
    solve(ROOT / "solutions" / assignment, tmp_path / "prep" / "release" / assignment,
          submitted / "alice" / assignment)
    shutil.copytree(ROOT / "lessons" / assignment, submitted / "bob" / assignment)
    out = tmp_path / "out"
    assert main(["grade", str(submitted), "--course", str(ROOT), "--output", str(out),
                 "--db", f"sqlite:///{tmp_path / 'gradebook.db'}", "--workers", "2"]) == 0
    scores = read_scores(out / "scores.csv")
    assert scores["alice"]["score"] == scores["alice"]["max"] != "0", scores["alice"]
    assert (scores["bob"]["score"], scores["bob"]["status"]) == ("0", "graded")
