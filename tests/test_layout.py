"""The package's layout is its architecture: imports run one way across the trust boundary,
each default is defined once, and no block of code is written twice."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aecourse"
# Lowest first: a module may import its own part and the parts before it, nothing after.
PARTS = ["config", "", "sandbox", "grader", "instructor|authoring", "cli"]
TOP = {"aecourse", "aecourse.budget", "aecourse.runtime", "aecourse.plotting",
       "aecourse.measure"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def imports(name: str) -> set[str]:
    """The course's modules that ``name`` imports, at its top or inside a function."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def part(name: str) -> int:
    if name in TOP or name.startswith("aecourse.datasets"):
        return PARTS.index("")
    second = name.split(".")[1]
    for level, names in enumerate(PARTS):
        if second in names.split("|") and names:
            return level
    raise AssertionError(f"{name} belongs to no part of the layout")


def test_the_graph_is_read():
    assert "aecourse.sandbox.policy" in GRAPH["aecourse.sandbox.inside"]
    assert "aecourse.grader.job" in GRAPH["aecourse.grader.batch"]
    assert len(MODULES) > 30


def test_no_module_imports_a_higher_part():
    upward = [f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets
              if part(b) > part(a)]
    assert not upward, upward


def test_instructor_and_authoring_stay_apart():
    crossing = [f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets
                if {a.split(".")[1:2][0] if "." in a else "", b.split(".")[1:2][0] if "." in b
                    else ""} == {"instructor", "authoring"}]
    assert not crossing, crossing


def test_no_import_circle():
    state: dict[str, int] = {}
    circles = []

    def visit(name, path):
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert not circles, circles


def test_the_kernel_side_of_the_fork_server_reaches_nothing_of_the_grader():
    reached, todo = set(), ["aecourse.sandbox.inside"]
    while todo:
        for target in GRAPH[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    # the policy, and what notebooks may import themselves (config and the top level)
    allowed = {"aecourse.sandbox.policy", "aecourse.sandbox"}
    outside = {m for m in reached if m not in allowed and part(m) > PARTS.index("")}
    assert not outside, outside


def strings(path: Path) -> list[str]:
    """Every string constant of a module but its docstrings (f-strings' text included)."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs]


# Each piece of knowledge, and the one module allowed to spell it.
ONCE = {
    "solutions": "config/layout.py", "lessons": "config/layout.py",
    "variants": "config/layout.py", "graded": "config/layout.py",
    "gradebook.db": "config/layout.py", "feedback": "config/layout.py",
    "records": "config/layout.py", "course.toml": "config/term.py",
    "kit": "config/layout.py", "lock.txt": "config/layout.py",
}


@pytest.mark.parametrize("value", sorted(ONCE))
def test_each_default_is_spelled_once(value):
    where = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if value in strings(p)]
    # the same word naming another piece of knowledge: a status, a column, a record's field
    others = {"graded": ["grader/results.py", "instructor/report.py"],
              "feedback": ["grader/results.py"], "variants": ["cli.py"], "kit": ["cli.py"]}
    for other in others.get(value, []):
        where.remove(other)
    assert where == [ONCE[value]], where


def test_environment_variables_are_named_in_one_module():
    where = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if any(s.startswith("AECOURSE_") for s in strings(p))}
    assert where == {"config/env.py"}, where


def test_the_gradebook_url_and_the_first_line_of_an_error_are_made_in_one_place():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        where = str(path.relative_to(PACKAGE))
        if where != "config/layout.py":
            assert "sqlite:///" not in "".join(strings(path)), where
        if where != "config/text.py":
            assert "splitlines()[0]" not in text and "splitlines()[-1]" not in text, where


def _lines(path: Path) -> list[tuple[int, str]]:
    kept = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = " ".join(line.split())
        if (len(text) > 3 and not text.startswith(("#", "import ", "from ", '"""'))
                and text not in ('"""', ")", "]", "}", "),", "try:", "else:")):
            kept.append((number, text))
    return kept


def test_no_block_of_six_lines_is_written_twice():
    seen: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = _lines(path)
        for i in range(len(lines) - 5):
            block = tuple(text for _, text in lines[i:i + 6])
            seen[block].append(f"{path.relative_to(PACKAGE)}:{lines[i][0]}")
    repeated = [places for places in seen.values() if len(places) > 1]
    assert not repeated, repeated[:5]
