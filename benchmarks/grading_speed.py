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

from common import LESSONS_ENV, PYTHON, RESULTS, ROOT, GiB, run  # noqa: E402

SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"
BATCH_ASSIGNMENT = "02_pca_autoencoder"  # the smallest: grading time is mostly overhead


def verdict(ok) -> str:
    return "" if ok is None else ("met" if ok else "MISSED")


def _solved(assignment: str, work: Path) -> Path:
    """A perfect submission of ``assignment`` (the released lesson with solutions filled in).
    Raises ``RuntimeError`` when the lesson is not released from the current solution."""
    import nbformat

    from aecourse.grader.autograde import solve

    def given(path: Path) -> list[str] | None:
        """The cells release copies unchanged (neither solutions nor tests), or None."""
        if not path.is_file():
            return None
        return [c.source for c in nbformat.read(path, as_version=4).cells
                if not c.metadata.get("nbgrader", {}).get("solution")
                and not c.metadata.get("nbgrader", {}).get("grade")]

    for path in sorted((SOLUTIONS / assignment).glob("*.ipynb")):
        lesson = LESSONS / assignment / path.name
        if given(path) != given(lesson):
            raise RuntimeError(f"{lesson} is not released from {path}: run "
                               f"`aecourse release {assignment}` first")
    return solve(SOLUTIONS / assignment, LESSONS / assignment, work / f"solved-{assignment}")


# ---------------------------------------------------------------------------------------------
# The whole course, one student, graded the way an instructor grades it


def _grade_tree(tree: Path, work: Path, name: str, workers: int = 1, extra=()) -> dict:
    """``aecourse grade TREE`` as a command; returns its wall time and records."""
    out, db = work / f"out-{name}", work / f"db-{name}.db"
    wall, _ = run([PYTHON, "-m", "aecourse.cli", "grade", str(tree), "--course", str(ROOT),
                   "--output", str(out), "--db", f"sqlite:///{db}", "--workers", str(workers),
                   *extra])
    records = [json.loads(line) for path in sorted((out / "records").glob("*.jsonl"))
               for line in path.read_text().splitlines()]
    return {"wall_s": wall, "records": records}


def course(quick: bool) -> dict:
    """One correct student's whole course (every lesson), graded by ``aecourse grade`` with one
    worker in the grading budget; then the released lessons (blank), for comparison."""
    from aecourse.config.layout import Course

    ASSIGNMENTS = Course(ROOT).assignments()

    data, rows = {}, []
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-course-") as tmp:
        tmp = Path(tmp)
        correct, blank = tmp / "correct", tmp / "blank"
        for assignment in ASSIGNMENTS:
            shutil.copytree(_solved(assignment, tmp), correct / "student" / assignment)
            shutil.copytree(LESSONS / assignment, blank / "student" / assignment)
        for kind, tree in (("correct", correct), ("blank", blank)):
            data[kind] = _grade_tree(tree, tmp, kind)
    per = {r["assignment"]: r for r in data["correct"]["records"]}
    full = all(n["score"] == n["max_score"] > 0 and n["status"] == "graded"
               for r in per.values() for n in r["notebooks"])
    zero = all(n["score"] == 0 and n["status"] == "graded"
               for r in data["blank"]["records"] for n in r["notebooks"])
    total = data["correct"]["wall_s"]
    inside = sum(r["seconds"] for r in per.values())
    data.update(total_s=total, graded_s=inside, solutions_full_marks=full, lessons_zero=zero,
                per_lesson_s={a: r["seconds"] for a, r in per.items()})
    for assignment in ASSIGNMENTS:
        r = per.get(assignment)
        if r is None:
            rows.append([f"grading budget: {assignment}", "no record", "", "ERROR"])
            continue
        score = sum(n["score"] for n in r["notebooks"])
        top = sum(n["max_score"] for n in r["notebooks"])
        rows.append([f"grading budget: {assignment} (correct student)",
                     f"{r['seconds']:.1f} s, {score:g}/{top:g}", "", ""])
    rows += [
        [f"whole course ({len(ASSIGNMENTS)} lessons), one correct student, `aecourse grade "
         "--workers 1` command", f"{total:.1f} s", "<= 60 s", verdict(total <= 60)],
        ["  of which inside the graders (sum of the submissions' times)", f"{inside:.1f} s",
         "", ""],
        ["same, released lessons (blank)", f"{data['blank']['wall_s']:.1f} s", "", ""],
        ["solutions full marks, lessons zero",
         f"{'yes' if full else 'NO'} / {'yes' if zero else 'NO'}", "yes / yes",
         verdict(full and zero)],
    ]
    # where one job's seconds go (the slowest lesson's record)
    slowest = max(per.values(), key=lambda r: r["seconds"])
    t = slowest["timings"]
    data["profile"] = {"assignment": slowest["assignment"], **t}
    rows.append([f"profile of one job ({slowest['assignment']}, {slowest['seconds']:.1f} s): "
                 "prepare / autograde (kernel wait) / feedback",
                 f"{t.get('prepare_s', 0):.2f} / {t.get('autograde_s', 0):.2f} "
                 f"({t.get('kernel_wait_s', 0):.2f}) / {t.get('feedback_s', 0):.2f} s", "", ""])
    waits = [r["timings"].get("kernel_wait_s", 0) for r in per.values()
             if r["timings"].get("kernels_from_pool")]
    if waits:
        fixed = statistics.median(waits)
        data["pooled_kernel_wait_median_s"] = fixed
        rows.append(["per-notebook fixed cost in the grader: kernel ready with TensorFlow "
                     f"imported (median of {len(waits)} started ahead)", f"{fixed:.2f} s",
                     "<= 1 s", verdict(fixed <= 1)])
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
    """Grade one batch with 1 and 2 workers, stock nbgrader and a dask cluster; compare."""
    from aecourse.grader.intake import read_tree
    from aecourse.grader.job import max_points

    n = 6 if quick else 20
    data: dict = {"assignment": assignment, "submissions": n, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-batch-") as tmp:
        tmp = Path(tmp)
        tree, kinds = make_batch(assignment, n, tmp)
        full = sum(max_points(read_tree(SOLUTIONS / assignment)).values())
        data["mix"] = {k: list(kinds.values()).count(k) for k in ("correct", "partial", "blank")}
        course_dir = tmp / "course"
        shutil.copytree(SOLUTIONS / assignment, course_dir / "solutions" / assignment)

        def grade(name, *extra):
            out, db = tmp / f"out-{len(data['runs'])}", tmp / f"db-{len(data['runs'])}.db"
            wall, _ = run([PYTHON, "-m", "aecourse.cli", "grade", str(tree), "--course",
                           str(course_dir), "--output", str(out), "--db", f"sqlite:///{db}",
                           *extra])
            scores = _scores_csv(out / "scores.csv")
            data["runs"][name] = {"wall_s": wall, "scores": scores,
                                  "consistent": _consistent(kinds, scores, full)}

        for workers in (1, 2):
            grade(f"aecourse grade --workers {workers}", "--workers", str(workers))
        # Stock nbgrader: a plain course folder, the same submitted/ tree, serial autograde.
        stock = tmp / "stock"
        shutil.copytree(SOLUTIONS / assignment, stock / "solutions" / assignment)
        shutil.copytree(tree, stock / "submitted")
        (stock / "nbgrader_config.py").write_text(
            "from aecourse.grader.nbconfig import configure\n\nc = get_config()  # noqa: F821\n"
            "configure(c)\n")
        generate, _ = run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=stock)
        wall, _ = run(["nbgrader", "autograde", assignment], cwd=stock)
        scores = _scores_gradebook(f"sqlite:///{stock / 'gradebook.db'}", assignment, kinds)
        data["runs"]["stock nbgrader autograde (serial)"] = {
            "wall_s": wall, "generate_assignment_s": generate, "scores": scores,
            "consistent": _consistent(kinds, scores, full)}
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster:
            grade("aecourse grade --scheduler (dask LocalCluster, 2 workers)", "--scheduler",
                  cluster.scheduler_address)
    runs = data["runs"]
    for r in runs.values():
        r["submissions_per_min"] = 60 * n / r["wall_s"]
    w1 = runs["aecourse grade --workers 1"]
    w2 = runs["aecourse grade --workers 2"]
    stock_run = runs["stock nbgrader autograde (serial)"]
    dask = runs["aecourse grade --scheduler (dask LocalCluster, 2 workers)"]
    ratio_w2_w1 = w1["wall_s"] / w2["wall_s"]
    ratio_w1_stock = stock_run["wall_s"] / w1["wall_s"]
    ratio_dask_w2 = w2["wall_s"] / dask["wall_s"]
    per_hour_core = 3600 * n / w1["wall_s"]
    data.update(speedup_2_vs_1=ratio_w2_w1, speedup_1_vs_stock=ratio_w1_stock,
                dask_vs_local=ratio_dask_w2, submissions_per_hour_per_core=per_hour_core)
    agree = all(r["scores"] == {s: stock_run["scores"][s] for s in r["scores"]}
                for r in runs.values())
    data["scores_agree"] = agree
    mix = ", ".join(f"{v} {k}" for k, v in data["mix"].items())
    rows = [[f"batch: {n} submissions of {assignment} ({mix})", "", "", ""]]
    for name, r in runs.items():
        rows.append([f"batch: {name}",
                     f"{r['wall_s']:.1f} s ({r['submissions_per_min']:.1f}/min)", "",
                     verdict(None) if r["consistent"] else "WRONG SCORES"])
    rows += [
        ["batch: throughput, 1 worker / stock serial nbgrader", f"{ratio_w1_stock:.2f}x",
         ">= 1.5x", verdict(ratio_w1_stock >= 1.5)],
        ["batch: throughput, 2 workers / 1 worker (2 cores)", f"{ratio_w2_w1:.2f}x", ">= 1.9x",
         verdict(ratio_w2_w1 >= 1.9)],
        ["batch: throughput, dask LocalCluster (2 workers) / 2 local workers",
         f"{ratio_dask_w2:.2f}x", "about 1x", ""],
        ["class size: submissions of this lesson per hour per core (1 worker)",
         f"{per_hour_core:.0f}", "", ""],
        ["batch: same scores from every grader", "yes" if agree else "NO", "yes",
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
# The lessons as students run them: time, peak memory and the figures they teach


def _lesson_child(path: Path, budget: str, assignment: str) -> None:
    """In a fresh process: run the notebook, read its figures from the kernel, then print
    the run's wall time, its kernel's peak RSS and the figures as JSON.

    The figures are expressions evaluated in the notebook's own namespace after it ran
    (benchmarks/figures.py), so that every model exists once: in the lesson.
    The kernel is this process's child; once nbclient has shut it down and reaped it,
    ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is its exact high-water mark (Linux: KiB).
    """
    import resource

    os.environ["AECOURSE_BUDGET"] = budget
    # Figures shown as in JupyterLab (the benchmarks' headless Agg would show none).
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    import nbformat
    from figures import FIGURES
    from nbclient import NotebookClient

    from aecourse.authoring import pictures

    wanted = FIGURES.get(assignment, {})
    nb = nbformat.read(path, as_version=4)
    probe = ("import json as _json\n_found = {}\n"
             f"for _k, _v in {wanted!r}.items():\n"
             "    try:\n        _found[_k] = float(eval(_v))\n"
             "    except Exception:\n        pass  # reported as not found\n"
             "print('FIGURES=' + _json.dumps(_found))")
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    client = NotebookClient(nb, timeout=7200, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    line = next((x for x in text.splitlines() if x.startswith("FIGURES=")), "FIGURES={}")
    runs = RESULTS / "notebooks"  # the executed notebook, to read what its cells printed
    runs.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, runs / f"{path.stem}.{budget}.ipynb")
    written = []
    if budget == "teaching":  # the reference pictures are the teaching run's figures
        written = pictures.write(ROOT, assignment, pictures.from_run(nb))
    print(json.dumps({"wall_s": wall, "peak_rss_bytes": usage.ru_maxrss * 1024,
                      "figures": json.loads(line.removeprefix("FIGURES=")),
                      "pictures": [str(p.relative_to(ROOT)) for p in written]}))


def lessons(quick: bool) -> dict:
    """Each solved lesson run as a student runs it (teaching budget): wall time, peak memory
    of its kernel, and the figures its "What you should see" cells state."""
    from figures import FIGURES, REFERENCES

    from aecourse.config.layout import Course

    chosen = os.environ.get(LESSONS_ENV, "").split()
    ASSIGNMENTS = [a for a in Course(ROOT).assignments() if not chosen or a in chosen]
    unknown = set(chosen) - set(ASSIGNMENTS)
    if unknown:
        raise ValueError(f"no such lesson: {', '.join(sorted(unknown))}")

    budget = "grading" if quick else "teaching"
    data, rows = {"budget": budget, "method": "nbclient in a fresh process per notebook; "
                  "getrusage(RUSAGE_CHILDREN) after the kernel exits", "notebooks": {}}, []
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-lessons-") as tmp:
        for assignment in ASSIGNMENTS:
            solved = _solved(assignment, Path(tmp))
            for path in sorted(solved.glob("*.ipynb")):
                _, proc = run([PYTHON, __file__, "lesson", str(path), budget, assignment],
                              cwd=solved)
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                data["notebooks"][path.stem] = result
                peak = result["peak_rss_bytes"] / GiB
                rows.append([f"{path.stem}: {budget} budget, whole notebook",
                             f"{result['wall_s']:.0f} s, peak {peak:.2f} GiB",
                             "<= 300 s, <= 2 GiB" if budget == "teaching" else "",
                             verdict(result["wall_s"] <= 300 and peak <= 2)
                             if budget == "teaching" else ""])
                for label, value in result["figures"].items():
                    reference = REFERENCES.get(assignment, {}).get(label, "")
                    rows.append([f"  {label}", f"{value:.4g}", reference, ""])
            missing = set(FIGURES.get(assignment, {})) - {
                k for r in data["notebooks"].values() for k in r["figures"]}
            if missing:
                rows.append([f"{assignment}: figures not found", ", ".join(sorted(missing)),
                             "", "ERROR"])
    data["max_peak_bytes"] = max(r["peak_rss_bytes"] for r in data["notebooks"].values())
    return {"rows": rows, "data": data}


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "lesson":
    _lesson_child(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
