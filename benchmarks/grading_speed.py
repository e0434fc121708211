"""Grading speed: the whole course for one student, a batch of submissions, overheads, memory.

Each public function is one section of ``run.py``: it takes ``quick`` and returns
``{"rows": [[metric, value, target, verdict], ...], "data": {...}}``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, ROOT, GiB, run, timer  # noqa: E402

SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"
BATCH_ASSIGNMENT = "02_pca_autoencoder"  # the smallest: grading time is mostly overhead


def verdict(ok) -> str:
    return "" if ok is None else ("met" if ok else "MISSED")


def _solved(assignment: str, work: Path) -> Path:
    """A perfect submission of ``assignment`` (the released lesson with solutions filled in)."""
    from aecourse.grading import solve

    return solve(SOLUTIONS / assignment, LESSONS / assignment, work / f"solved-{assignment}")


# ---------------------------------------------------------------------------------------------
# The whole course, one student


def _grade_course(assignments, budget: str, work: Path) -> dict:
    """Autograde the solution and the released lesson of each assignment in ``budget``."""
    from aecourse.grading import autograde, prepare_course

    saved = os.environ.get("AECOURSE_BUDGET")
    os.environ["AECOURSE_BUDGET"] = budget  # the kernels nbgrader starts inherit it
    cell_timeout = 3600 if budget == "teaching" else None  # teaching cells may take minutes
    per = {}
    try:
        for assignment in assignments:
            root = work / budget / assignment
            with timer() as t_prep:
                api = prepare_course(root, SOLUTIONS / assignment, assignment, cell_timeout)
            solved = _solved(assignment, root)
            entry = {"prepare_s": t_prep()}
            for student, submission in (("solution", solved), ("blank", LESSONS / assignment)):
                with timer() as t:
                    results = autograde(api, assignment, submission, student=student)
                entry[student] = {
                    "wall_s": t(),
                    "score": sum(r.score for r in results),
                    "max_score": sum(r.max_score for r in results),
                    "statuses": sorted({r.status for r in results}),
                }
            per[assignment] = entry
    finally:
        if saved is None:
            os.environ.pop("AECOURSE_BUDGET", None)
        else:
            os.environ["AECOURSE_BUDGET"] = saved
    return per


def course(quick: bool) -> dict:
    """Autograde every lesson for one correct student (and the blank lesson), per budget."""
    from aecourse.nbconfig import ASSIGNMENTS

    plan = {"grading": list(ASSIGNMENTS),
            "teaching": [BATCH_ASSIGNMENT] if quick else list(ASSIGNMENTS)}
    data, rows = {}, []
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-course-") as tmp:
        for budget, assignments in plan.items():
            per = _grade_course(assignments, budget, Path(tmp))
            total = sum(e["solution"]["wall_s"] for e in per.values())
            full = all(e["solution"]["score"] == e["solution"]["max_score"] > 0
                       and e["solution"]["statuses"] == ["graded"] for e in per.values())
            zero = all(e["blank"]["score"] == 0 and e["blank"]["statuses"] == ["graded"]
                       for e in per.values())
            data[budget] = {"notebooks": per, "total_s": total, "solutions_full_marks": full,
                            "lessons_zero": zero}
            for assignment, e in per.items():
                s = e["solution"]
                rows.append([f"{budget} budget: {assignment} (correct student)",
                             f"{s['wall_s']:.1f} s, {s['score']:g}/{s['max_score']:g}",
                             "", ""])
            label = "whole course" if len(per) == len(ASSIGNMENTS) else ", ".join(per)
            target = "<= 60 s" if budget == "grading" else ""
            ok = total <= 60 if budget == "grading" else None
            rows.append([f"{budget} budget: {label}, one correct student, total",
                         f"{total:.1f} s", target, verdict(ok)])
            blank = sum(e["blank"]["wall_s"] for e in per.values())
            rows.append([f"{budget} budget: same, released lessons (blank)", f"{blank:.1f} s",
                         "", ""])
            rows.append([f"{budget} budget: solutions full marks, lessons zero",
                         f"{'yes' if full else 'NO'} / {'yes' if zero else 'NO'}",
                         "yes / yes", verdict(full and zero)])
    return {"rows": rows, "data": data}


# ---------------------------------------------------------------------------------------------
# A batch of submissions: aecourse grade (1 and 2 workers) vs stock nbgrader autograde


def _revert_one_solution(solved_nb: dict, released_nb: dict, which: int) -> dict:
    """A copy of ``solved_nb`` with its ``which``-th solution cell put back to the released stub."""
    def solution_cells(nb):
        return [i for i, c in enumerate(nb["cells"])
                if c["metadata"].get("nbgrader", {}).get("solution")
                and c["cell_type"] == "code"]

    nb = json.loads(json.dumps(solved_nb))
    mine, theirs = solution_cells(nb), solution_cells(released_nb)
    k = which % len(mine)
    nb["cells"][mine[k]]["source"] = released_nb["cells"][theirs[k]]["source"]
    return nb


def make_batch(assignment: str, n: int, work: Path) -> tuple[Path, dict[str, str]]:
    """An nbgrader ``submitted/`` tree of ``n`` students (correct, partial, blank in turn).

    Returns the tree and student -> kind.
    """
    solved_dir = _solved(assignment, work)
    tree, kinds = work / "submitted", {}
    for i in range(n):
        kind = ("correct", "partial", "blank")[i % 3]
        student = f"student{i + 1:02d}_{kind}"
        folder = tree / student / assignment
        folder.mkdir(parents=True)
        for path in sorted((LESSONS / assignment).glob("*.ipynb")):
            released = json.loads(path.read_text())
            solved = json.loads((solved_dir / path.name).read_text())
            nb = {"correct": solved, "blank": released,
                  "partial": _revert_one_solution(solved, released, i // 3)}[kind]
            (folder / path.name).write_text(json.dumps(nb))
        kinds[student] = kind
    return tree, kinds


def _scores_csv(path: Path) -> dict[str, float]:
    totals: dict[str, float] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            totals[row["student"]] = totals.get(row["student"], 0.0) + float(row["score"])
    return totals


def _scores_gradebook(db_url: str, assignment: str, students) -> dict[str, float]:
    from nbgrader.api import Gradebook, MissingEntry

    totals = {}
    with Gradebook(db_url) as gb:
        for student in students:
            try:
                totals[student] = float(gb.find_submission(assignment, student).score)
            except MissingEntry:
                totals[student] = float("nan")
    return totals


def _consistent(kinds: dict[str, str], scores: dict[str, float], full: float) -> bool:
    """Correct students get ``full``, blank ones 0, partial ones something in between."""
    want = {"correct": lambda s: s == full, "blank": lambda s: s == 0,
            "partial": lambda s: 0 < s < full}
    return all(want[k](scores.get(s, float("nan"))) for s, k in kinds.items())


def batch(quick: bool, assignment: str = BATCH_ASSIGNMENT) -> dict:
    """Grade one batch three ways and compare throughputs."""
    from aecourse.classroom import max_points, read_tree

    n = 6 if quick else 20
    data: dict = {"assignment": assignment, "submissions": n, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-batch-") as tmp:
        tmp = Path(tmp)
        tree, kinds = make_batch(assignment, n, tmp)
        full = sum(max_points(read_tree(SOLUTIONS / assignment)).values())
        data["mix"] = {k: list(kinds.values()).count(k) for k in ("correct", "partial", "blank")}
        course_dir = tmp / "course"
        shutil.copytree(SOLUTIONS / assignment, course_dir / "solutions" / assignment)
        for workers in (1, 2):
            out, db = tmp / f"out-w{workers}", tmp / f"db-w{workers}" / "gradebook.db"
            db.parent.mkdir()
            wall, _ = run([PYTHON, "-m", "aecourse.cli", "grade", str(tree), "--course",
                           str(course_dir), "--output", str(out), "--db", f"sqlite:///{db}",
                           "--workers", str(workers)])
            scores = _scores_csv(out / "scores.csv")
            data["runs"][f"aecourse grade --workers {workers}"] = {
                "wall_s": wall, "scores": scores, "consistent": _consistent(kinds, scores, full)}
        # Stock nbgrader: a plain course folder, the same submitted/ tree, serial autograde.
        stock = tmp / "stock"
        shutil.copytree(SOLUTIONS / assignment, stock / "solutions" / assignment)
        shutil.copytree(tree, stock / "submitted")
        (stock / "nbgrader_config.py").write_text(
            "from aecourse.nbconfig import configure\n\nc = get_config()  # noqa: F821\n"
            "configure(c)\n")
        generate, _ = run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=stock)
        wall, _ = run(["nbgrader", "autograde", assignment], cwd=stock)
        scores = _scores_gradebook(f"sqlite:///{stock / 'gradebook.db'}", assignment, kinds)
        data["runs"]["stock nbgrader autograde (serial)"] = {
            "wall_s": wall, "generate_assignment_s": generate, "scores": scores,
            "consistent": _consistent(kinds, scores, full)}
    runs = data["runs"]
    w1, w2, stock_run = runs.values()
    for r in runs.values():
        r["submissions_per_min"] = 60 * n / r["wall_s"]
    ratio_w2_w1 = w1["wall_s"] / w2["wall_s"]
    ratio_w2_stock = stock_run["wall_s"] / w2["wall_s"]
    ratio_w1_stock = stock_run["wall_s"] / w1["wall_s"]
    data.update(speedup_2_vs_1=ratio_w2_w1, speedup_2_vs_stock=ratio_w2_stock,
                speedup_1_vs_stock=ratio_w1_stock)
    agree = w1["scores"] == w2["scores"] == {s: stock_run["scores"][s] for s in w1["scores"]}
    data["scores_agree"] = agree
    mix = ", ".join(f"{v} {k}" for k, v in data["mix"].items())
    rows = [[f"batch: {n} submissions of {assignment} ({mix})", "", "", ""]]
    for name, r in runs.items():
        rows.append([f"batch: {name}",
                     f"{r['wall_s']:.1f} s ({r['submissions_per_min']:.1f}/min)", "",
                     verdict(None) if r["consistent"] else "WRONG SCORES"])
    rows += [
        ["batch: throughput, 2 workers / 1 worker", f"{ratio_w2_w1:.2f}x",
         ">= 1.8x (2 cores: <= 2.0x)", verdict(ratio_w2_w1 >= 1.8)],
        ["batch: throughput, 2 workers / stock nbgrader", f"{ratio_w2_stock:.2f}x", "> 1x",
         verdict(ratio_w2_stock > 1)],
        ["batch: throughput, 1 worker / stock nbgrader", f"{ratio_w1_stock:.2f}x", "", ""],
        ["batch: same scores from all three graders", "yes" if agree else "NO", "yes",
         verdict(agree)],
    ]
    return {"rows": rows, "data": data}


# ---------------------------------------------------------------------------------------------
# Overheads


IMPORT_SNIPPET = ("import time; t = time.perf_counter(); import aecourse; "
                  "print(time.perf_counter() - t)")


def overheads(quick: bool) -> dict:
    """``import aecourse`` (fresh interpreters) and kernel start + quiet TensorFlow import."""
    from jupyter_client.manager import start_new_kernel

    repeats = 5 if quick else 9
    imports = []
    for _ in range(repeats):
        _, proc = run([PYTHON, "-c", IMPORT_SNIPPET])
        imports.append(float(proc.stdout.strip().splitlines()[-1]))
    kernels = []
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-kernel-") as tmp:
        for _ in range(2 if quick else 5):
            start = time.perf_counter()
            km, kc = start_new_kernel(kernel_name="python3", cwd=tmp)
            ready = time.perf_counter()
            try:
                reply = kc.execute_interactive(
                    "import aecourse\ntf = aecourse.quiet_tensorflow()", timeout=600,
                    output_hook=lambda msg: None)
                done = time.perf_counter()
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"quiet_tensorflow failed: {reply['content']}")
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
            kernels.append({"kernel_start_s": ready - start, "tf_import_s": done - ready,
                            "total_s": done - start})
    best_import = min(imports)

    def med(key):
        return statistics.median(k[key] for k in kernels)

    data = {"import_aecourse_s": imports, "import_aecourse_best_s": best_import,
            "import_aecourse_median_s": statistics.median(imports), "kernels": kernels,
            "kernel_start_median_s": med("kernel_start_s"),
            "tf_import_median_s": med("tf_import_s"), "kernel_total_median_s": med("total_s")}
    rows = [
        ["`import aecourse` (best / median of "
         f"{repeats} fresh interpreters)",
         f"{best_import * 1000:.0f} / {data['import_aecourse_median_s'] * 1000:.0f} ms",
         "<= 0.2 s", verdict(best_import <= 0.2)],
        [f"kernel start (median of {len(kernels)})", f"{med('kernel_start_s'):.2f} s", "", ""],
        ["`aecourse.quiet_tensorflow()` in a new kernel (median)",
         f"{med('tf_import_s'):.2f} s", "", ""],
        ["per-notebook overhead: kernel start + TensorFlow (median)",
         f"{med('total_s'):.2f} s", "", ""],
    ]
    return {"rows": rows, "data": data}


# ---------------------------------------------------------------------------------------------
# Peak memory of a lesson run


def _peak_child(path: Path, budget: str) -> None:
    """In a fresh process: run the notebook, then print its kernel's peak RSS as JSON.

    The kernel is this process's child; once nbclient has shut it down and reaped it,
    ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is its exact high-water mark (Linux: KiB).
    """
    import resource

    os.environ["AECOURSE_BUDGET"] = budget
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=7200, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall_s": wall, "peak_rss_bytes": usage.ru_maxrss * 1024}))


def memory(quick: bool) -> dict:
    """Peak resident memory of the kernel running each solved lesson notebook."""
    from aecourse.nbconfig import ASSIGNMENTS

    budget = "grading" if quick else "teaching"
    assignments = ["03_stacked_autoencoder"] if quick else list(ASSIGNMENTS)
    data, rows = {"budget": budget, "method": "getrusage(RUSAGE_CHILDREN) after the kernel "
                  "exits, in a fresh process per notebook", "notebooks": {}}, []
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-memory-") as tmp:
        for assignment in assignments:
            solved = _solved(assignment, Path(tmp))
            for path in sorted(solved.glob("*.ipynb")):
                _, proc = run([PYTHON, __file__, "peak", str(path), budget], cwd=solved)
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                data["notebooks"][path.stem] = result
                peak = result["peak_rss_bytes"] / GiB
                rows.append([f"peak memory: {path.stem} ({budget} budget, "
                             f"{result['wall_s']:.0f} s run)", f"{peak:.2f} GiB", "<= 2 GiB",
                             verdict(peak <= 2)])
    data["max_peak_bytes"] = max(r["peak_rss_bytes"] for r in data["notebooks"].values())
    return {"rows": rows, "data": data}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "peak":
    _peak_child(Path(sys.argv[2]), sys.argv[3])
