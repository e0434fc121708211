"""End to end in JupyterLab, as a student meets the course: the README's ``run.py lab`` command
serves a copy of the course, a headless Chromium (Debian's, driven by Playwright) opens a lesson
with its exercises solved, runs all cells in the grading budget, and nbgrader's Validate button
passes the solved lesson and fails the released one.

Needs a Chromium (Debian's ``chromium``, which ``.ci/run`` installs; the test skips and says so
without one) and the ``playwright`` package; a screenshot of the executed lesson and the server
log go to ``artifacts/``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser

LESSON = "02_pca_autoencoder"  # the smallest lesson: the whole test stays well under 3 minutes
SOLVED = f"{LESSON}-solved.ipynb"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path(os.environ.get("AECOURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Generous bounds for a loaded 2-core machine; a normal run takes a fraction of each.
SERVER_START_S = 120
PAGE_LOAD_MS = 120_000
RUN_ALL_S = 240
VALIDATE_MS = 240_000
SHUTDOWN_S = 45

# JupyterLab user settings for the test: no news pop-up, and every cell kept in the page (the
# default windowing leaves off-screen cells unrendered, so their prompts and outputs can't be read).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                   "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
IMAGE_OUTPUT = '.jp-OutputArea-output[data-mime-type="image/png"] img'


# ---------------------------------------------------------------------------------------------
# The browser: Debian's Chromium (Playwright's own browser download cannot work here)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium_path():
    """A Chromium to drive: Debian's, or AECOURSE_CHROMIUM (``.ci/run`` installs Debian's)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if "AECOURSE_CHROMIUM" in os.environ:
        pytest.fail(f"AECOURSE_CHROMIUM={CHROMIUM}: no such file")
    pytest.skip(f"no browser: {CHROMIUM} is missing (Debian: apt-get install chromium; or set "
                "AECOURSE_CHROMIUM to a Chromium or Chrome executable)")


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return [proc, *proc.children(recursive=True)]
    return [proc]


def _started_in(folder: Path) -> list[psutil.Process]:
    """Processes whose command line names ``folder`` (the server, its kernels' connection files)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error, TypeError):
            if p.pid != os.getpid() and any(str(folder) in a for a in p.info["cmdline"]):
                found.append(p)
    return found


def _end(processes, grace: float) -> list[psutil.Process]:
    """Terminate what is still running of ``processes``; return what survived a kill."""
    alive = [p for p in processes if p.is_running()]
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(alive, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    _, alive = psutil.wait_procs(alive, timeout=10)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def browser(chromium_path):
    """A headless Chromium driven by Playwright; checks that none of its processes outlive it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: install the course's test extra "
                    "(pip install -e '.[test]'; `python3 run.py test` does it)")
    me = psutil.Process()
    before = {p.pid for p in me.children()}
    with sync_playwright() as pw:
        # Playwright's driver (a child of this process) and the browser processes under it.
        drivers = [p for p in me.children() if p.pid not in before]
        launched = pw.chromium.launch(executable_path=str(chromium_path), headless=True,
                                      args=CHROMIUM_ARGS, timeout=120_000)
        try:
            yield launched
        finally:
            ours = [p for driver in drivers for p in _tree(driver)]
            launched.close()
    survivors = _end(ours, grace=10)
    assert not survivors, f"browser processes left running: {survivors}"


# ---------------------------------------------------------------------------------------------
# The course copy and the JupyterLab server of the README's `python3 run.py lab`
# ---------------------------------------------------------------------------------------------

def solved_copy(lesson: Path, solution: Path, target: Path) -> None:
    """Write the released ``lesson`` with every solution cell filled from ``solution``."""
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source
               for c in nbformat.read(solution, as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(lesson, as_version=4)
    filled = 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            source = answers[meta["grade_id"]]
            cell.source = "\n".join(line for line in source.splitlines()
                                    if line.strip() not in ("### BEGIN SOLUTION",
                                                            "### END SOLUTION"))
            filled += 1
    assert filled, f"{lesson} has no solution cell to fill"
    nbformat.write(nb, target)


@pytest.fixture
def course(tmp_path):
    """A private copy of the course with one lesson: the server never writes into the repo."""
    root = tmp_path / "course"
    released = ROOT / "lessons" / LESSON / f"{LESSON}.ipynb"
    assert released.is_file(), f"no released lesson {released}"
    (root / "lessons").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "lessons" / LESSON, root / "lessons" / LESSON)
    shutil.copytree(ROOT / "solutions" / LESSON, root / "solutions" / LESSON)
    solved_copy(released, ROOT / "solutions" / LESSON / f"{LESSON}.ipynb",
                root / "lessons" / LESSON / SOLVED)
    return root


def readme_lab_command(course: Path, extra: list[str]):
    """The command, folder and environment that ``python3 run.py lab`` uses, moved to ``course``."""
    spec = importlib.util.spec_from_file_location("aecourse_run_py", ROOT / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    seen = {}

    def capture(args, cwd=None, env=None, **kwargs):
        seen.update(args=list(args), cwd=cwd, env=env)
        return subprocess.CompletedProcess(args, 0)

    # The test already runs in the course environment: use it, install nothing.
    run.ensure_environment = lambda extras: None
    run.VENV, run.BIN, run.PYTHON = Path(sys.prefix), Path(sys.executable).parent, sys.executable
    run.subprocess = types.SimpleNamespace(run=capture)
    assert run.main(["lab", *extra]) == 0
    assert Path(seen["cwd"]) == run.ROOT, "run.py lab should start JupyterLab in the course folder"
    assert str(run.ROOT / "lessons") in seen["args"], "run.py lab should open lessons/"
    args = [a.replace(str(run.ROOT), str(course)) if a.startswith(str(run.ROOT / "lessons")) else a
            for a in seen["args"]]
    return args, dict(seen["env"])


class Lab:
    def __init__(self, url, token, course, log):
        self.url, self.token, self.course, self.log = url, token, course, log
        self.started_in = None

    def get(self, path, timeout=30):
        request = urllib.request.Request(f"{self.url}/{path}",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")

    def log_tail(self, lines=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(course, tmp_path):
    """JupyterLab as ``python3 run.py lab`` starts it, on the course copy, stopped at the end."""
    port, token = _free_port(), secrets.token_urlsafe(24)
    extra = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")  # CI runs as root; JupyterLab refuses root without it
    args, env = readme_lab_command(course, extra)
    state = tmp_path / "jupyter"
    for name in ("config", "runtime", "workspaces", "settings"):
        (state / name).mkdir(parents=True)
    for name, settings in LAB_SETTINGS.items():
        path = state / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env.pop("MPLBACKEND", None)  # the kernel picks matplotlib's inline backend, as for a student
    env.pop("JUPYTER_TOKEN", None)
    env.update(
        AECOURSE_BUDGET="grading",
        JUPYTER_CONFIG_DIR=str(state / "config"),  # no user config of this machine
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=course, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, course, log)
    server_process = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(OSError, ValueError):
                server.get("api/status", timeout=5)
                server.started_in = round(time.monotonic() - deadline + SERVER_START_S, 1)
                break
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab not up after {SERVER_START_S} s:\n{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        # Kernels run in sessions of their own, so they are not in the server's process group:
        # note the server's process tree, and anything started with this test's folders.
        tree = {p.pid: p for p in [*_tree(server_process), *_started_in(tmp_path)]}
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # JupyterLab shuts its kernels down, then exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(SHUTDOWN_S)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        survivors = _end([*tree.values(), *_started_in(tmp_path)], grace=5)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "jupyterlab-server.log")
    assert not survivors, f"JupyterLab processes left running: {survivors}"


# ---------------------------------------------------------------------------------------------
# Driving JupyterLab
# ---------------------------------------------------------------------------------------------

def open_notebook(page, lab, path):
    """Open ``path`` (relative to lessons/) alone in JupyterLab and wait for its kernel."""
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}", timeout=PAGE_LOAD_MS)
    panel = page.locator(".jp-NotebookPanel").filter(has=page.locator(".jp-Notebook"))
    panel.locator(".jp-Cell").first.wait_for(timeout=PAGE_LOAD_MS)
    panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        timeout=PAGE_LOAD_MS)
    return panel


def menu(page, top, item):
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text(top, exact=True).click()
    entry = page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text(item, exact=True)
    entry.wait_for()
    return entry


def run_all_and_wait(page, panel) -> list[str]:
    """Run > Run All Cells; wait until the kernel is idle with no cell queued; return the prompts.

    JupyterLab stops at a cell that raises and leaves the cells below unrun, so the wait also
    ends there (with the error in the page for the caller to report).
    """
    menu(page, "Run", "Run All Cells").click()
    prompts = panel.locator(".jp-CodeCell .jp-InputArea-prompt")
    status = panel.locator(".jp-Notebook-ExecutionIndicator")
    errors = panel.locator(STDERR_OUTPUT)
    deadline = time.monotonic() + RUN_ALL_S
    while time.monotonic() < deadline:
        texts = [t.strip() for t in prompts.all_text_contents()]
        if (status.get_attribute("data-status") == "idle" and "[*]:" not in texts
                and (all(re.fullmatch(r"\[\d+\]:", t) for t in texts) or errors.count())):
            return texts
        page.wait_for_timeout(500)
    pytest.fail(f"Run All not finished after {RUN_ALL_S} s: kernel "
                f"{status.get_attribute('data-status')!r}, prompts {prompts.all_text_contents()}")


def validate(page, panel):
    """Click nbgrader's Validate button; return (class of the result, its text)."""
    panel.locator(".jp-Toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog").filter(has_text="Validation Results")
    dialog.wait_for(timeout=VALIDATE_MS)
    # nbgrader marks the result with a class: validation-success, -failed, -changed, ...
    kind = dialog.evaluate("""d => {
        const e = d.querySelector('[class*="validation-"]');
        const c = e ? [...e.classList].find(c => c.startsWith('validation-')) : null;
        return c ? c.slice('validation-'.length) : 'error';
    }""")
    text = dialog.locator(".jp-Dialog-body").inner_text()
    dialog.locator(".jp-mod-accept").click()
    dialog.wait_for(state="detached")
    return kind, text


def test_lesson_runs_and_validates_in_jupyterlab(lab, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ("lesson-executed.png", "lesson-failure.png"):
        (ARTIFACTS / old).unlink(missing_ok=True)
    timings = {"server start": lab.started_in}
    clock = [time.monotonic()]

    def lap(name):
        now = time.monotonic()
        timings[name] = round(now - clock[0], 1)
        clock[0] = now

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        # The solved lesson, as a student who has done the exercises would have it.
        panel = open_notebook(page, lab, f"{LESSON}/{SOLVED}")
        lap("open lesson, kernel idle")

        # nbgrader's extension is there: student tools and the instructor's formgrader.
        for item in ("Assignment List", "Formgrader"):
            menu(page, "Nbgrader", item)
            page.keyboard.press("Escape")
        assert LESSON in {a["name"] for a in lab.get("formgrader/api/assignments")}

        prompts = run_all_and_wait(page, panel)
        lap("run all cells")
        problems = panel.locator(STDERR_OUTPUT).all_inner_texts()
        assert not problems, "error or stderr output after Run All:\n" + "\n---\n".join(problems)
        n_cells = sum(c.cell_type == "code" for c in
                      nbformat.read(lab.course / "lessons" / LESSON / SOLVED, 4).cells)
        assert len(prompts) == n_cells, f"{len(prompts)} code cells in the page, {n_cells} in file"
        unrun = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
        assert not unrun, f"code cells {unrun} did not run: prompts {prompts}"
        assert "Grading budget" in panel.locator(".jp-OutputArea").first.inner_text(), (
            "the setup cell should report the grading budget (AECOURSE_BUDGET=grading)")
        images = panel.locator(IMAGE_OUTPUT)
        assert images.count() >= 1, "no matplotlib figure was rendered as an image"
        images.first.scroll_into_view_if_needed()
        assert images.first.evaluate("img => img.complete && img.naturalWidth > 100"), (
            "the figure's image did not load")
        page.screenshot(path=ARTIFACTS / "lesson-executed.png")

        kind, text = validate(page, panel)
        lap("validate solved")
        assert kind == "success", f"Validate on the solved lesson gave {kind}:\n{text}"

        # The released lesson as students get it: Validate must report failing tests.
        panel = open_notebook(page, lab, f"{LESSON}/{LESSON}.ipynb")
        kind, text = validate(page, panel)
        lap("open and validate released")
        assert kind == "failed", f"Validate on the released lesson gave {kind}:\n{text}"
        assert "NotImplementedError" in text, f"unexpected failure of the released lesson:\n{text}"
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=ARTIFACTS / "lesson-failure.png")
        print(f"server log (end):\n{lab.log_tail()}", file=sys.stderr)
        raise
    finally:
        page.close()
        print(f"{LESSON} in JupyterLab, timings (s): {timings}")
