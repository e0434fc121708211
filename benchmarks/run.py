#!/usr/bin/env python3
"""Benchmarks of the course: grading speed and teaching quality, side by side.

    .venv/bin/python benchmarks/run.py            # the full run (an hour or more)
    .venv/bin/python benchmarks/run.py --quick    # small budgets, a few minutes
    .venv/bin/python benchmarks/run.py --only batch overheads
    .venv/bin/python benchmarks/run.py --only lessons --lessons 03_stacked_autoencoder

A teaching-budget run of a lesson also writes its reference pictures (the figures its "What
you should see" cells link: aecourse/authoring/pictures.py) beside the solution and the lesson.

Prints a Markdown table and writes it to benchmarks/results/latest.md, with every number in
benchmarks/results/latest.json. Benchmarks report; they never fail on speed or quality (the
exit code is non-zero only when a section could not run at all). Each section runs in a
fresh Python process, so one failing or leaking section does not disturb the others.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    LESSONS_ENV,
    PYTHON,
    RESULTS,
    ROOT,
    machine_info,
    setup_environment,
)

# section -> (module, function, title)
SECTIONS = {
    "overheads": ("grading_speed", "overheads", "Overheads"),
    "course": ("grading_speed", "course", "Whole course, one student"),
    "batch": ("grading_speed", "batch", "A batch of submissions"),
    "lessons": ("grading_speed", "lessons", "The lessons as students run them"),
}
GROUPS = {"speed": ["overheads", "course", "batch"], "quality": ["lessons"]}


def run_section(name: str, quick: bool, output: Path) -> None:
    """In the child process: run one section and write its result as JSON."""
    import importlib
    import warnings

    # nbgrader 0.9 trips over its own SQLAlchemy session use; harmless, but noisy.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    setup_environment()
    module, function, _ = SECTIONS[name]
    start = time.perf_counter()
    try:
        result = getattr(importlib.import_module(module), function)(quick)
        result["status"] = "ok"
    except Exception as err:  # reported in the table; the other sections go on
        result = {"status": "error", "error": f"{type(err).__name__}: {err}",
                  "traceback": traceback.format_exc(), "rows": []}
    result["wall_s"] = time.perf_counter() - start
    output.write_text(json.dumps(result, indent=1, default=float))


def spawn_section(name: str, quick: bool, logs: Path) -> dict:
    """Run one section in a fresh interpreter; its output goes to ``logs/<name>.log``."""
    out = logs / f"{name}.json"
    out.unlink(missing_ok=True)
    cmd = [PYTHON, __file__, "--section", name, "--section-output", str(out)]
    if quick:
        cmd.append("--quick")
    start = time.perf_counter()
    with open(logs / f"{name}.log", "w") as log:
        code = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT).returncode
    if out.is_file():
        return json.loads(out.read_text())
    tail = (logs / f"{name}.log").read_text(errors="replace").strip().splitlines()[-5:]
    return {"status": "error", "rows": [], "wall_s": time.perf_counter() - start,
            "error": f"the section's process exited with {code}: " + " | ".join(tail)}


def markdown(report: dict) -> str:
    """The report as Markdown: a header on the machine, then one table."""
    m = report["machine"]
    load = m["load_average_at_start"]
    lines = [
        f"Benchmarks of aecourse ({'--quick' if report['quick'] else 'full run'}), "
        f"{report['started'][:16].replace('T', ' ')} UTC, {report['total_s'] / 60:.1f} min",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}"
        + (f"; load average at start {load[0]}" if load else ""),
        f"- Python {m['python']}, TensorFlow {m['tensorflow']}, Keras {m['keras']}, "
        f"nbgrader {m['nbgrader']}; sandbox: "
        + ("bubblewrap" if m["bubblewrap"] else "resource limits only (no bubblewrap)"),
        f"- Data: {m['data']}",
        "",
        "| section | measure | value | target / reference | |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += per_lesson(report)
    for name, result in report["sections"].items():
        title = SECTIONS[name][2]
        if result["status"] != "ok":
            error = result["error"].replace("|", "/").replace("\n", " ")[:300]
            lines.append(f"| {title} | section failed | {error} | | ERROR |")
            continue
        for i, (metric, value, target, verdict) in enumerate(result["rows"]):
            cells = [title if i == 0 else "", metric, value, target, verdict]
            lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    lines += ["", "Targets are reported, not asserted. \"met\"/\"MISSED\" compare with the "
              "target; quality verdicts are given for the full run only."]
    return "\n".join(lines) + "\n"


def per_lesson(report: dict) -> list[str]:
    """Table rows: each lesson's grading seconds, teaching seconds and peak memory, when the
    course and lessons sections both ran."""
    course = report["sections"].get("course", {}).get("data", {})
    lessons = report["sections"].get("lessons", {}).get("data", {})
    grading = course.get("per_lesson_s", {})
    if not grading or lessons.get("budget") != "teaching":
        return []
    rows = []
    for name, seconds in grading.items():
        run = lessons.get("notebooks", {}).get(name)
        if run is None:
            continue
        rows.append(f"| Per lesson | {name}: grading (one correct student, in the grader) / "
                    f"teaching (whole notebook) / peak memory | {seconds:.1f} s / "
                    f"{run['wall_s']:.0f} s / {run['peak_rss_bytes'] / (1 << 30):.2f} GiB | "
                    "teaching <= 300 s, <= 2 GiB | |")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small budgets (a few minutes); numbers are not the lessons'")
    parser.add_argument("--only", nargs="+", metavar="SECTION",
                        choices=[*SECTIONS, *GROUPS],
                        help=f"sections to run: {', '.join(SECTIONS)}, or speed / quality")
    parser.add_argument("--lessons", nargs="+", metavar="ASSIGNMENT",
                        help="the lessons section runs only these lessons (default: all)")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json",
                        help="JSON report (default: benchmarks/results/latest.json); the "
                             "Markdown table goes beside it with the suffix .md")
    parser.add_argument("--section", choices=SECTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--section-output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.section:  # inside a child process
        run_section(args.section, args.quick, args.section_output)
        return 0

    setup_environment()
    if args.lessons:  # read by the lessons section, in its own process
        os.environ[LESSONS_ENV] = " ".join(args.lessons)
    selected = []
    for name in args.only or list(SECTIONS):
        for section in GROUPS.get(name, [name]):
            if section not in selected:
                selected.append(section)
    RESULTS.mkdir(parents=True, exist_ok=True)
    logs = args.output.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    report = {"quick": args.quick, "machine": machine_info(),
              "started": datetime.now(UTC).isoformat(timespec="seconds"),
              "sections": {}}
    print(f"Benchmarks ({'quick' if args.quick else 'full'}): {', '.join(selected)}; "
          f"data: {report['machine']['data']}; logs in {logs}", flush=True)
    start = time.perf_counter()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(selected, 1):
        print(f"[{i}/{len(selected)}] {name} ...", end=" ", flush=True)
        result = spawn_section(name, args.quick, logs)
        report["sections"][name] = result
        print(f"{result['wall_s']:.0f} s, {result['status']}", flush=True)
        # Written after every section, so an interrupted run still leaves its figures.
        report["total_s"] = time.perf_counter() - start
        args.output.write_text(json.dumps(report, indent=1, default=float))
        table = markdown(report)
        args.output.with_suffix(".md").write_text(table)
    print()
    print(table)
    print(f"Wrote {args.output} and {args.output.with_suffix('.md')}")
    failed = [n for n, r in report["sections"].items() if r["status"] != "ok"]
    if failed:
        print(f"{len(failed)} section(s) failed: {', '.join(failed)}; see {logs}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
