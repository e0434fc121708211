"""``aecourse doctor``: a table of what the grader needs on this machine, each line ok or a
problem with its fix, exit 1 on any problem; its kernel check fails as the canary would."""

from __future__ import annotations

import pytest

from aecourse.cli import main
from aecourse.sandbox import policy

NAMES = ("sandbox", "versions", "data", "gradebook", "fork server", "grading kernel")


def doctor(tmp_path, capsys, *extra):
    code = main(["doctor", "--course", str(tmp_path), "--db",
                 f"sqlite:///{tmp_path / 'gb.db'}", *extra])
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        for name in NAMES:
            if line[9:].startswith(name):
                rows[name] = (line[:8].strip(), line[9 + 15:].strip())
    return code, rows


def test_doctor_checks_everything_and_exits_by_what_it_found(tmp_path, capsys):
    code, rows = doctor(tmp_path, capsys)
    assert set(rows) == set(NAMES), rows
    assert code == (1 if any(v == "PROBLEM" for v, _ in rows.values()) else 0)
    assert rows["gradebook"][0] == "ok" and rows["versions"][0] == "ok"  # no lock here
    if not policy.problem():
        assert rows["sandbox"][0] == rows["fork server"][0] == "ok"
        verdict, said = rows["grading kernel"]
        assert verdict == "ok" and "sandboxed" in said and "ready in" in said, said


@pytest.mark.skipif(bool(policy.problem()), reason="needs the grading sandbox")
def test_doctor_finds_a_kernel_that_cannot_start(tmp_path, capsys):
    code, rows = doctor(tmp_path, capsys, "--memory", "40M")
    assert code == 1
    verdict, said = rows["grading kernel"]
    assert verdict == "PROBLEM" and "grader-error" in said and "did not start" in said, said
