"""Forked runs of the course's own notebooks (aecourse.forkrun): scores, early stops, a run
that dies or hangs, and runs that cannot see each other's files."""

from __future__ import annotations

from aecourse.authoring.forkrun import Cell, Run, run_all


def test_forked_runs_score_stop_and_survive_crashes(tmp_path):
    (tmp_path / "data.txt").write_text("7")
    setup = Cell("", "import os\nvalue = int(open('data.txt').read())")
    check = Cell("t1", "assert value == 7, 'the data file is beside the notebook'", 1)
    runs = [
        Run("ok", [setup, check, Cell("t2", "assert value + 1 == 8", 2)]),
        Run("wrong", [setup, Cell("", "value = 0"), check, Cell("t2", "assert True", 2)]),
        Run("stops", [setup, Cell("", "value = 0"), check, Cell("t2", "assert True", 2)], ()),
        Run("waits", [setup, Cell("", "value = 0"), check, Cell("t2", "assert True", 2)],
            ("t2",)),
        Run("writes", [setup, Cell("", "open('mine.txt', 'w').write('x')"), check]),
        Run("alone", [setup, Cell("t3", "assert not os.path.exists('mine.txt')", 1)]),
        Run("dies", [setup, Cell("", "os._exit(3)"), check]),
        Run("hangs", [setup, Cell("", "import time\ntime.sleep(600)"), check]),
    ]
    got = run_all(runs, tmp_path, workers=2, timeout=20)
    for outcome in got.values():
        outcome.scores = {c.grade_id: (c.score, c.max_score) for c in outcome.cells}
    assert got["ok"].scores == {"t1": (1, 1), "t2": (2, 2)} and not got["ok"].problem
    assert got["wrong"].scores == {"t1": (0, 1), "t2": (2, 2)}
    assert "the data file is beside the notebook" in got["wrong"].errors["t1"]
    assert got["stops"].scores == {"t1": (0, 1)}  # stopped at its first failure
    assert got["waits"].scores == {"t1": (0, 1), "t2": (2, 2)}  # ran on to the cell it names
    assert got["writes"].scores == {"t1": (1, 1)}
    assert got["alone"].scores == {"t3": (1, 1)}, "a run saw another run's file"
    assert not (tmp_path / "mine.txt").exists(), "a run wrote into the original folder"
    assert got["dies"].problem == "the process died (exited with code 3)"
    assert got["dies"].scores == {}
    assert got["hangs"].problem == "timed out after 20 s"
    assert [name for name, _ in got["ok"].cell_seconds] == ["#0", "t1", "t2"]
