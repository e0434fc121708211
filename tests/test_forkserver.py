"""Kernels forked from the sandboxed fork server: isolated as a kernel of their own would be,
ready at once, and gone with everything they started when the grader lets go of them."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from aecourse.config.limits import Limits
from aecourse.sandbox import forkserver, inside, kernels
from aecourse.sandbox import policy as sandbox

REASON = ("the fork server needs root and bubblewrap"
          + (f" ({sandbox.problem()})" if sandbox.problem() else "")
          + "; without them kernels start one by one in bubblewrap")
pytestmark = pytest.mark.skipif(not forkserver.usable(), reason=REASON)

PROBE = r'''
import json, os, resource, socket, sys

def unix_names():  # the addresses of the unix sockets this process holds
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                s = socket.socket(fileno=os.dup(int(fd)))
                if s.family == socket.AF_UNIX:
                    yield str(s.getsockname())
                s.detach()
        except OSError:
            pass

status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines()
              if ":\t" in line)
facts = {
    "tensorflow_loaded": "tensorflow" in sys.modules,
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
    "cap_eff": status["CapEff"].strip(), "cap_prm": status["CapPrm"].strip(),
    "no_new_privs": status.get("NoNewPrivs", "").strip(),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "server_folder": sorted(os.listdir(SERVER)) if os.path.isdir(SERVER) else None,
    "interfaces": [name for _, name in socket.if_nameindex()],
    "cwd": os.getcwd(), "work": sorted(os.listdir(".")),
    "files": sorted({os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                     if os.path.exists(f"/proc/self/fd/{fd}")}),
    "unix_sockets": sorted(set(unix_names())),
    "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
    "env": sorted(os.environ),
}
try:
    open("/usr/aecourse-probe", "w")
    facts["usr_writable"] = True
except OSError:
    facts["usr_writable"] = False
print("FACTS" + json.dumps(facts))
'''


def _run(km, code: str, timeout: float = 120) -> str:
    async def go():
        client = km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=timeout)
            out = []

            def hook(msg):
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    out.append("ERROR " + msg["content"]["evalue"])

            await client.execute_interactive(code, output_hook=hook, timeout=timeout)
            return "".join(out)
        finally:
            client.stop_channels()

    return asyncio.get_event_loop().run_until_complete(go())


def _kernel(server, name: str):
    """A sandboxed kernel manager whose folders lie in the server's folder, started."""
    work = server.folder / name / "work"
    work.mkdir(parents=True)
    sandbox.hand_over(work)
    (work / f"{name}.txt").write_text(name)
    km = kernels.GradingKernelManager(kernel_name="python3", mode="bwrap", work_dir=str(work),
                                      limits=Limits())
    asyncio.get_event_loop().run_until_complete(km.start_kernel())
    return km


def _stop(km):
    asyncio.get_event_loop().run_until_complete(km.shutdown_kernel(now=True))


@pytest.fixture(scope="module")
def server():
    asyncio.set_event_loop(asyncio.new_event_loop())
    server = _started()
    yield server
    forkserver.stop()


def _started():
    """This process's fork server, ready; a skip where this machine cannot isolate forked
    kernels (the grader then starts them one by one, as tested in test_grade.py)."""
    server = forkserver.current()
    assert server is not None
    if not server.ready() and inside.SELF_TEST_FAILED in server.problem:
        forkserver.stop()
        pytest.skip(f"forked kernels cannot be isolated on this machine: {server.problem}")
    assert server.ready(), server.problem
    return server


def test_a_forked_kernel_is_isolated_like_a_kernel_of_its_own(server):
    first, second = _kernel(server, "first"), _kernel(server, "second")
    logs = {"first": first.log_path, "second": second.log_path}
    try:
        assert str(server.folder / inside.SOCKET) in first.provisioner.process.args, \
            "not forked"
        facts = [json.loads(_run(km, PROBE.replace("SERVER", repr(str(server.folder))))
                            .split("FACTS", 1)[1]) for km in (first, second)]
    finally:
        _stop(first)
        _stop(second)
    for got, name in zip(facts, ("first", "second"), strict=True):
        assert got["tensorflow_loaded"], "TensorFlow should come imported from the server"
        assert (got["uid"], got["euid"], got["gid"]) == (sandbox.NOBODY,) * 3
        assert int(got["cap_eff"], 16) == 0 and int(got["cap_prm"], 16) == 0
        assert got["no_new_privs"] == "1"
        assert got["pids"] and max(got["pids"]) < 50, f"sees other processes: {got['pids']}"
        assert 1 in got["pids"], "the kernel's own pid namespace starts at its first process"
        # the server's folder shows only this kernel's socket folder: no socket, no other kernel
        assert got["server_folder"] is not None and "server.sock" not in got["server_folder"]
        assert name not in got["server_folder"] and len(got["server_folder"]) == 1
        assert got["interfaces"] == ["lo"]
        assert (got["cwd"], got["work"]) == (sandbox.WORK, [f"{name}.txt"])
        # open files: its own home's (IPython's history), its own log (its stdout and
        # stderr), nothing of the server's
        files = [f for f in got["files"] if f.startswith("/")]
        assert all(f.startswith(sandbox.HOME + "/") or f == str(logs[name]) for f in files), files
        assert not [a for a in got["unix_sockets"] if inside.SOCKET in a], got
        assert got["memory"] == Limits().memory
        assert not got["usr_writable"]
        assert not {"AECOURSE_FORKSERVER", "SUDO_USER", "SSH_AUTH_SOCK"} & set(got["env"])
        assert {"HOME", "PATH", "MPLBACKEND"} <= set(got["env"])


def test_the_first_op_leaves_no_noise_on_stderr(server):
    km = _kernel(server, "noise")
    try:
        out = _run(km, "import sys, aecourse\ntf = aecourse.quiet_tensorflow()\n"
                       "print(float((tf.constant(2.0) * 3.0).numpy()))\n"
                       "import keras\nprint(keras.layers.Dense(2)(tf.ones((1, 3))).shape)")
    finally:
        _stop(km)
    assert out.split() == ["6.0", "(1,", "2)"], out


def test_when_the_grader_lets_go_the_kernel_and_its_children_die(server):
    km = _kernel(server, "orphans")
    try:
        _run(km, "import subprocess, sys\n"
                 "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)  "
                 "# forked-orphan-5c1d'], start_new_session=True)\n")
        assert _orphans(), "the background process did not start"
        sandbox.kill(km.provisioner.process)  # what the watchdog does
        deadline = time.monotonic() + 10
        while _orphans() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _orphans(), "a process the kernel started survived it"
    finally:
        _stop(km)


def _orphans():
    return [p for p in psutil.process_iter(["cmdline"])
            if "forked-orphan-5c1d" in " ".join(p.info["cmdline"] or [])]


def test_the_server_and_its_folder_go_when_stopped():
    forkserver.stop()  # the module's server: this test starts its own
    dead = psutil.Popen(["true"])
    dead.wait()
    stale = Path(tempfile.mkdtemp(prefix=forkserver.PREFIX))  # a killed grader's
    (stale / forkserver.OWNER).write_text(str(dead.pid))
    (stale / "work").mkdir()
    live = Path(tempfile.mkdtemp(prefix=forkserver.PREFIX))  # a running grader's
    (live / forkserver.OWNER).write_text(str(os.getpid()))
    server = _started()
    assert not stale.exists(), "a killed grader's folder stays"
    assert live.exists()
    shutil.rmtree(live)
    folder, process = server.folder, server.process
    forkserver.stop()
    assert not Path(folder).exists()
    assert process.poll() is not None
    assert os.environ.get("AECOURSE_FORKSERVER") != "0"
