"""``aecourse report``: the instructor's view of a graded class, from the records under the
output folder (every run's, the latest record of each submission).

Under ``graded/report/``:

- ``cells.csv``: per test cell, how many graded notebooks earned its full points (the pass
  rate) and the mean points: which exercise needs a better explanation;
- ``statuses.csv``: how many notebooks of each assignment ended in each status (graded,
  timeouts, kernel deaths, invalid notebooks, ...);
- ``slowest.csv``: the submissions that took longest to grade;
- ``<assignment>-scores.png``: the distribution of the students' scores;
- ``index.html``: all of it on one page.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..config.layout import GRADED, RECORDS
from ..grader import records
from ..grader.results import Status, SubmissionRecord
from .pages import page, table

FOLDER = "report"
CELL_FIELDS = ("assignment", "notebook", "test", "points", "graded", "passed", "pass_rate",
               "mean_points")
STATUS_FIELDS = ("assignment", "status", "notebooks")
SLOW_FIELDS = ("student", "assignment", "seconds", "score", "max", "statuses")


@dataclass
class CellStats:
    assignment: str
    notebook: str
    test: str
    points: float
    graded: int  # notebooks graded (with a real score) that have this test
    passed: int  # of those, how many earned its full points
    total: float  # points earned, summed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0

    @property
    def mean(self) -> float:
        return self.total / self.graded if self.graded else 0.0


@dataclass
class Report:
    folder: Path
    cells: list[CellStats]
    statuses: dict[str, Counter]  # assignment -> status -> notebooks
    slowest: list[SubmissionRecord]
    histograms: dict[str, Path]  # assignment -> PNG


def cell_stats(kept) -> list[CellStats]:
    """Per test cell of every assignment, from records."""
    stats: dict[tuple[str, str, str], CellStats] = {}
    for record in kept:
        for nb in record.notebooks:
            if not nb.status.graded:
                continue
            for cell in nb.cells:
                if cell.manual:  # graded by hand: no pass or fail here
                    continue
                key = (record.assignment, nb.notebook, cell.grade_id)
                entry = stats.setdefault(key, CellStats(*key, cell.max_score, 0, 0, 0.0))
                entry.points = max(entry.points, cell.max_score)
                entry.graded += 1
                entry.passed += cell.score >= cell.max_score
                entry.total += cell.score
    return [stats[k] for k in sorted(stats)]


def histogram(assignment: str, scores: list[float], most: float, path: Path) -> Path:
    """A PNG of the distribution of ``scores`` (out of ``most``)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(6, 3.5), dpi=100)
    ax = fig.add_subplot()
    top = most if most > 0 else max(scores, default=1.0) or 1.0
    if float(top).is_integer() and top <= 30:  # a bar per whole point
        edges = [i - 0.5 for i in range(int(top) + 2)]
    else:
        edges = [top * i / 20 for i in range(21)]
    ax.hist(scores, bins=edges, color="#4c72b0", edgecolor="white")
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"score out of {top:g}, before late penalties")
    ax.set_ylabel("students")
    mean = sum(scores) / len(scores) if scores else 0.0
    ax.set_title(f"{assignment}: {len(scores)} students, mean {mean:.2f}")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    return path


def build(out: Path = Path(GRADED), assignments=None, slowest: int = 10) -> Report:
    """Write the report of the records under ``out`` (of ``assignments`` only, when given)."""
    out = Path(out).resolve()
    if not (out / RECORDS).is_dir():
        raise FileNotFoundError(f"no records in {out}: grade first (aecourse grade --output "
                                f"{out})")
    kept = sorted(records.RecordStore(out).load().values(),
                  key=lambda r: (r.assignment, r.student))
    if assignments:
        unknown = sorted(set(assignments) - {r.assignment for r in kept})
        if unknown:
            raise ValueError(f"no graded submission of {', '.join(unknown)} in {out}")
        kept = [r for r in kept if r.assignment in set(assignments)]
    if not kept:
        raise FileNotFoundError(f"no graded submission in {out}: grade first")
    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)

    cells = cell_stats(kept)
    records.write_csv(folder / "cells.csv", CELL_FIELDS, [
        {"assignment": c.assignment, "notebook": c.notebook, "test": c.test,
         "points": f"{c.points:g}", "graded": c.graded, "passed": c.passed,
         "pass_rate": f"{c.pass_rate:.3f}", "mean_points": f"{c.mean:.2f}"} for c in cells])

    statuses: dict[str, Counter] = defaultdict(Counter)
    for record in kept:
        for nb in record.notebooks:
            statuses[record.assignment][nb.status.value] += 1
    records.write_csv(folder / "statuses.csv", STATUS_FIELDS, [
        {"assignment": a, "status": s, "notebooks": n}
        for a in sorted(statuses) for s, n in sorted(statuses[a].items())])

    slow = sorted(kept, key=lambda r: (-r.seconds, r.student, r.assignment))[:slowest]
    records.write_csv(folder / "slowest.csv", SLOW_FIELDS, [
        {"student": r.student, "assignment": r.assignment, "seconds": f"{r.seconds:.1f}",
         "score": f"{r.score:g}", "max": f"{r.max_score:g}",
         "statuses": " ".join(sorted({n.status.value for n in r.notebooks}))} for r in slow])

    histograms = {}
    by_assignment: dict[str, list[SubmissionRecord]] = defaultdict(list)
    for record in kept:
        by_assignment[record.assignment].append(record)
    for assignment, group in sorted(by_assignment.items()):
        most = max(r.max_score for r in group)
        histograms[assignment] = histogram(assignment, [r.score for r in group], most,
                                           folder / f"{assignment}-scores.png")
    report = Report(folder, cells, dict(statuses), slow, histograms)
    (folder / "index.html").write_text(_page(report, by_assignment))
    return report


def _page(report: Report, by_assignment) -> str:
    parts = []
    for assignment, group in sorted(by_assignment.items()):
        parts.append(f"<h2>{html.escape(assignment)}</h2>")
        parts.append(f"<p>{len(group)} submission(s).</p>")
        png = report.histograms[assignment].name
        parts.append(f"<img src='{html.escape(png)}' alt='score distribution'>")
        parts.append("<h3>Test cells</h3>")
        rows = [c for c in report.cells if c.assignment == assignment]
        parts.append(table(("notebook", "test", "points", "passed", "pass rate",
                             "mean points"),
                            [(c.notebook, c.test, f"{c.points:g}", f"{c.passed}/{c.graded}",
                              f"{c.pass_rate:.0%}", f"{c.mean:.2f}") for c in rows]))
        parts.append("<h3>Statuses</h3>")
        counts = report.statuses.get(assignment, Counter())
        parts.append(table(("status", "notebooks"), sorted(counts.items())))
    parts.append("<h2>Slowest submissions</h2>")
    parts.append(table(("student", "assignment", "seconds", "score", "statuses"),
                        [(r.student, r.assignment, f"{r.seconds:.1f}",
                          f"{r.score:g}/{r.max_score:g}",
                          " ".join(sorted({n.status.value for n in r.notebooks})))
                         for r in report.slowest]))
    return page("Class report", parts, style="tr.low td{background:#fde2e1}")


def not_graded(report: Report) -> int:
    """Notebooks whose status carries no real score."""
    return sum(n for counts in report.statuses.values()
               for status, n in counts.items() if not Status(status).graded)
