"""``aecourse similarity``: pairs of submissions whose own code is suspiciously alike.

Each student's code is what they wrote: the solution cells of the released notebooks and any
code cells they added, never the test cells. Fingerprints are winnowed k-grams of the code with
names, strings and comments normalised away (MOSS's method, by the `copydetect` package), so
renamed variables and reordered lines still match; every k-gram of the released notebooks'
code is discarded first, so that the template students were given matches nobody.

Under ``graded/similarity/``: ``<assignment>.csv`` (every pair with any overlap, the most
similar first) and ``<assignment>.html`` (the flagged pairs with their overlapping lines
marked). A flag is a reason to look, not a verdict.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..config import term as terms
from ..config.layout import GRADED, Course
from ..grader import records
from ..grader.autograde import RELEASE
from ..grader.intake import find_submissions
from ..grader.job import prepare
from .pages import page

NOISE = 25  # k: matches shorter than this many normalised characters are ignored
GUARANTEE = 30  # matches at least this long are always found (winnowing window k..this)
THRESHOLD = 0.5  # flag a pair when this share of either's own code matches the other's
FOLDER = "similarity"
FIELDS = ("rank", "student_a", "student_b", "similarity", "similarity_a", "similarity_b",
          "overlap_tokens", "lines_a", "lines_b", "flagged")


@dataclass
class Code:
    """One student's own code for an assignment, and where each line came from."""

    student: str
    text: str = ""
    origin: list[tuple[str, int]] = field(default_factory=list)  # per line: (cell, line no.)


@dataclass
class Pair:
    a: str
    b: str
    similarity_a: float  # share of a's code found in b's
    similarity_b: float
    overlap: int  # normalised characters in common
    lines_a: list[int]  # 0-based lines of a's text that overlap
    lines_b: list[int]
    marked_a: str = ""  # a's code as HTML, the overlap marked
    marked_b: str = ""

    @property
    def score(self) -> float:
        return max(self.similarity_a, self.similarity_b)


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _grade_id(cell: dict) -> str:
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "") or "")


def template_code(release: dict[str, bytes]) -> str:
    """All the code of the released notebooks (``{name: bytes}``)."""
    parts = []
    for _, data in sorted(release.items()):
        parts += [_source(c) for c in _code_cells(json.loads(data))]
    return "\n".join(parts)


def own_code(student: str, files: dict[str, bytes], release: dict[str, bytes]) -> Code:
    """The code ``student`` wrote in ``files``: per released notebook, its solution cells
    and the code cells the student added (a lone notebook under another name counts)."""
    code = Code(student)
    lines: list[str] = []
    notebooks = {n: d for n, d in files.items() if n.endswith(".ipynb")}
    for name, data in sorted(release.items()):
        given = notebooks.get(name)
        if given is None and len(release) == 1 and len(notebooks) == 1:
            given = next(iter(notebooks.values()))
        try:
            nb = json.loads(given) if given is not None else {}
            cells = _code_cells(nb) if isinstance(nb, dict) else []
        except (ValueError, TypeError, AttributeError):
            cells = []
        released = {_grade_id(c): c for c in _code_cells(json.loads(data)) if _grade_id(c)}
        for number, cell in enumerate(cells, start=1):
            grade_id = _grade_id(cell)
            meta = released.get(grade_id, {}).get("metadata", {}).get("nbgrader", {})
            if grade_id in released and not meta.get("solution"):
                continue  # a test cell or a given (locked) cell
            label = f"{Path(name).stem}/{grade_id or f'cell {number}'}"
            lines.append(f"# {label}")  # a comment: not fingerprinted
            code.origin.append((label, 0))
            for i, line in enumerate(_source(cell).splitlines(), start=1):
                lines.append(line)
                code.origin.append((label, i))
    code.text = "\n".join(lines)
    return code


def _fingerprint(name: str, text: str, window: int, boilerplate: frozenset = frozenset()):
    """copydetect's fingerprint of ``text``, less every hash in ``boilerplate``; None when
    the text is too short to hold one k-gram."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    try:
        fp = CodeFingerprint(f"{name}.py", NOISE, window, fp=io.StringIO(text))
    except (ValueError, IndexError):
        return None
    if boilerplate:  # every occurrence (copydetect's own filter keeps repeated ones)
        fp.hashes = fp.hashes - boilerplate
        fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in boilerplate}
        fp.token_coverage = get_token_coverage(fp.hash_idx, NOISE, len(fp.filtered_code))
    return fp


def _lines(text: str, slices) -> list[int]:
    """0-based numbers of the lines of ``text`` that the character ``slices`` touch."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    import bisect

    found = set()
    for start, end in zip(*slices, strict=True):
        first = bisect.bisect_right(starts, int(start)) - 1
        last = bisect.bisect_right(starts, max(int(start), int(end) - 1)) - 1
        found.update(range(first, last + 1))
    return sorted(found)


def compare(codes: list[Code], template: str) -> list[Pair]:
    """Every pair of ``codes`` with some overlap beyond ``template``, the most similar first."""
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    window = GUARANTEE - NOISE + 1
    given = _fingerprint("template", template, 1)  # every k-gram of the template
    boilerplate = frozenset(given.hashes) if given is not None else frozenset()
    prints = {c.student: _fingerprint(c.student, c.text, window, boilerplate) for c in codes}
    by_name = {c.student: c for c in codes}
    names = sorted(s for s, p in prints.items() if p is not None and p.hashes)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
            if overlap <= 0:
                continue
            text_a, text_b = by_name[a].text, by_name[b].text
            marked_a, _ = highlight_overlap(text_a, slices_a, "<mark>", "</mark>",
                                            escape_html=True)
            marked_b, _ = highlight_overlap(text_b, slices_b, "<mark>", "</mark>",
                                            escape_html=True)
            pairs.append(Pair(a, b, float(sim_a), float(sim_b), int(overlap),
                              _lines(text_a, slices_a), _lines(text_b, slices_b),
                              marked_a, marked_b))
    pairs.sort(key=lambda p: (-round(p.score, 6), -p.overlap, p.a, p.b))
    return pairs


def _where(code: Code, lines: list[int]) -> str:
    """``notebook/cell:3-7`` for the given lines of ``code``'s text."""
    spans: list[tuple[str, int, int]] = []
    for line in lines:
        label, number = code.origin[line]
        if number == 0:
            continue
        if spans and spans[-1][0] == label and spans[-1][2] == number - 1:
            spans[-1] = (label, spans[-1][1], number)
        else:
            spans.append((label, number, number))
    return "; ".join(f"{label}:{a}" + (f"-{b}" if b != a else "") for label, a, b in spans)


@dataclass
class Check:
    assignment: str
    pairs: list[Pair]
    flagged: list[Pair]
    csv: Path
    html: Path
    students: int


def check(submissions: Path, course: Path = Path("."), out: Path = Path(GRADED),
          assignment: str | None = None, threshold: float = THRESHOLD, term=None,
          roster: Path | None = None, notes: list[str] | None = None) -> list[Check]:
    """Compare every pair of submissions of each assignment in ``submissions`` (as
    ``aecourse grade`` reads them); write the table and page under ``out/similarity``."""
    if not 0 < threshold <= 1:
        raise ValueError(f"the threshold is a share of the code, above 0 and at most 1, not "
                         f"{threshold:g}")
    course, out = Path(course).resolve(), Path(out).resolve()
    term = term if term is not None else terms.load(course)
    found = find_submissions(Path(submissions), assignment, lms=term.lms,
                             roster=term.roster(roster), notes=notes)
    checks = []
    for name in sorted({s.assignment for s in found}):
        folder = Course(course).source(name)
        prefix = f"{RELEASE}/{name}/"
        release = {k.removeprefix(prefix): v
                   for k, v in prepare(folder, name).items()
                   if k.startswith(prefix) and k.endswith(".ipynb")}
        codes = [own_code(s.student, s.files, release) for s in found if s.assignment == name]
        by_name = {c.student: c for c in codes}
        pairs = compare(codes, template_code(release))
        flagged = [p for p in pairs if p.score >= threshold]
        target = out / FOLDER
        table = records.write_csv(target / f"{name}.csv", FIELDS, [
            {"rank": rank, "student_a": p.a, "student_b": p.b, "similarity": f"{p.score:.3f}",
             "similarity_a": f"{p.similarity_a:.3f}", "similarity_b": f"{p.similarity_b:.3f}",
             "overlap_tokens": p.overlap, "lines_a": _where(by_name[p.a], p.lines_a),
             "lines_b": _where(by_name[p.b], p.lines_b),
             "flagged": "yes" if p.score >= threshold else "no"}
            for rank, p in enumerate(pairs, start=1)])
        page = target / f"{name}.html"
        page.write_text(_page(name, flagged, len(codes), threshold))
        checks.append(Check(name, pairs, flagged, table, page, len(codes)))
    return checks


def _page(assignment: str, flagged: list[Pair], students: int, threshold: float) -> str:
    esc = html.escape
    parts = [f"<p>{students} submission(s) compared; a pair is flagged when at least "
             f"{threshold:.0%} of either student's own code matches the other's (code given "
             "in the release ignored). A flag is a reason to look, not a verdict.</p>"]
    if not flagged:
        parts.append("<p><strong>No pair flagged.</strong></p>")
    for rank, p in enumerate(flagged, start=1):
        parts.append(f"<h2>{rank}. {esc(p.a)} and {esc(p.b)}: {p.score:.0%}</h2>")
        parts.append(f"<p>{p.similarity_a:.0%} of {esc(p.a)}'s code and "
                     f"{p.similarity_b:.0%} of {esc(p.b)}'s match.</p>")
        parts.append(f"<div class='pair'><pre><b>{esc(p.a)}</b>\n{p.marked_a}</pre>"
                     f"<pre><b>{esc(p.b)}</b>\n{p.marked_b}</pre></div>")
    return page(f"Similarity: {assignment}", parts,
                style=".pair{display:flex;gap:1em}.pair pre{flex:1;background:#f6f6f6;"
                      "padding:.6em;overflow:auto;font-size:85%}mark{background:#ffd54f}")
