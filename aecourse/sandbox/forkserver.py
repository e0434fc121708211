"""Sandboxed grading kernels forked from a server that imported TensorFlow once.

A fresh kernel spends seconds importing TensorFlow and Keras before it runs a cell. A grading
worker that runs as root starts one :class:`ForkServer`: a process inside bubblewrap (the
kernels' view of the machine, no network) that imports what every lesson loads, runs no
TensorFlow operation (TensorFlow is safe to fork until its runtime starts), and forks a kernel
on request. Each kernel is a fresh child that has run nobody else's code. Before it runs any,
it enters namespaces of its own (mount, pid, network, IPC, UTS), mounts fresh ``/tmp``,
``/home``, ``/dev/shm`` and ``/proc``, keeps only its own working and socket folders of the
server's folder (the rest, the server's socket included, is covered), applies its limits and
becomes ``nobody`` with no capability left. The server runs as root inside the sandbox with
only the capabilities it needs for that (:data:`CAPS`); a kernel cannot see it (pid
namespace) nor touch it (another user). Where the server cannot run (not root, or its
self-test fails), kernels start one by one in bubblewrap as before.

A kernel's process, for jupyter_client, is a small client (:data:`CLIENT`) that asks the
server for the kernel over a socket and lives as long as the kernel: when the client dies
(killed by the grader or its watchdog) the server kills the kernel and everything it started;
when the kernel ends, the client exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..config import env as names
from ..config.limits import Limits
from ..config.text import first_line
from . import policy
from .inside import PROBE, SOCKET, STAGE

PREFIX = "aecourse-forks-"  # of a server's folder, in the temporary folder
OWNER = "owner.pid"  # in it: the grader process that started the server
FAILED = "server.failed"  # in its place when it failed, saying why
LOG = "server.log"  # what the server itself printed
# What the server keeps of root's powers, for its kernels' set-up (they drop them all):
# mount and namespaces, becoming nobody, reaching folders handed over to nobody, and the
# kill that a kernel's process group gets when the process that stands for it dies.
CAPS = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_DAC_OVERRIDE", "CAP_KILL")
START_TIMEOUT = 180  # seconds for the server's imports and its self-test

CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
socket.send_fds(s, [sys.argv[2].encode()], [0, 1, 2])
while s.recv(16):
    pass
"""

class ForkServer:
    """A fork server, as its folder shows it: the server's socket once it is ready (or a
    file saying why it failed), and the folders of the kernels it forks, which must live
    there to be seen. The process that started it (:meth:`start`) watches it and removes
    the folder at the end; worker processes find it through the environment (:meth:`attach`).
    """

    def __init__(self, folder: Path, process: subprocess.Popen | None = None):
        self.folder, self.process = Path(folder), process
        self.problem = ""
        self._closing, self._close_lock = False, threading.Lock()

    @classmethod
    def start(cls, limits, env: dict[str, str]) -> ForkServer:
        _sweep()
        folder = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
        (folder / OWNER).write_text(str(os.getpid()))
        for name in ("work", "ipc"):  # for the server's self-test
            (folder / PROBE / name).mkdir(parents=True)
            policy.hand_over(folder / PROBE / name)
        argv = policy.bwrap_args(None, folder, limits, env, caps=CAPS)
        argv += ["--dir", STAGE, sys.executable, "-m", "aecourse.sandbox.inside", str(folder)]
        with open(folder / LOG, "wb") as out:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                       env=policy.outer_env(), start_new_session=True,
                                       preexec_fn=policy.die_with_parent)
        server = cls(folder, process)
        threading.Thread(target=server._watch, daemon=True).start()
        return server

    @classmethod
    def attach(cls, folder: Path) -> ForkServer:
        return cls(folder)

    def _watch(self):
        """Say in the folder when the server fails to start, or stops while in use."""
        deadline = time.monotonic() + START_TIMEOUT
        while self.process.poll() is None and not (self.folder / SOCKET).exists():
            if time.monotonic() > deadline:
                policy.kill(self.process)
                break
            time.sleep(0.05)
        self.process.wait()
        with self._close_lock, contextlib.suppress(OSError):
            if not self._closing:
                log = (self.folder / LOG).read_text(errors="replace")
                (self.folder / FAILED).write_text(
                    first_line(log, last=True) or f"exited ({self.process.returncode})")

    def ready(self) -> bool:
        """Whether kernels can be forked (waits for the server's start-up)."""
        deadline = time.monotonic() + START_TIMEOUT + 5
        while not self.problem:
            if (self.folder / FAILED).exists() or not self.folder.is_dir():
                with contextlib.suppress(OSError):
                    self.problem = (self.folder / FAILED).read_text() or "it failed"
                self.problem = self.problem or "its folder is gone"
            elif (self.folder / SOCKET).exists():
                return True
            elif time.monotonic() > deadline:
                self.problem = "it did not start in time"
            else:
                time.sleep(0.05)
        return False

    def owns(self, path) -> bool:
        return Path(path).resolve().is_relative_to(self.folder)

    def command(self, kernel_cmd: list[str], work: Path, ipc: Path, limits,
                env: dict[str, str]) -> list[str] | None:
        """The command that stands for a kernel forked by this server (``kernel_cmd``, an
        ipykernel command line, with ``work`` and ``ipc`` in this server's folder), or
        None when it cannot be forked here (kernels then start one by one)."""
        if "ipykernel_launcher" not in kernel_cmd or not self.ready():
            return None
        if not (self.owns(work) and self.owns(ipc)):
            return None
        argv = kernel_cmd[kernel_cmd.index("ipykernel_launcher") + 1:]
        request = {"argv": argv, "work": str(Path(work).resolve()),
                   "ipc": str(Path(ipc).resolve()), "env": env, "rlimits": policy.rlimits(limits),
                   "scratch": limits.scratch, "uid": policy.NOBODY,
                   "keep": [str(p) for p in policy.readable()
                            if any(p.is_relative_to(top) for top in policy.COVERED)]}
        return [sys.executable, "-I", "-S", "-c", CLIENT, str(self.folder / SOCKET),
                json.dumps(request)]

    def close(self):
        """Stop the server and remove its folder (a server this process started)."""
        if self.process is None:
            return
        with self._close_lock:
            self._closing = True
        policy.kill(self.process)
        with contextlib.suppress(Exception):
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _sweep() -> None:
    """Remove the folders of fork servers whose grader was killed (SIGKILL leaves them)."""
    for old in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            os.kill(int((old / OWNER).read_text()), 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (OSError, ValueError):
            pass


_server: ForkServer | None = None
_lock = threading.Lock()


def usable() -> bool:
    """Whether this process can run a fork server: as root (the server needs to mount and
    change user in its kernels), with bubblewrap working."""
    return (sys.platform == "linux" and os.geteuid() == 0 and not policy.problem()
            and os.environ.get(names.FORKSERVER, "1") != "0")


def current() -> ForkServer | None:
    """This process's fork server: the one its parent shares (:func:`shared`), or one
    started on first use. None where none can run or when it failed: kernels are then
    started one by one in bubblewrap."""
    global _server
    if not usable():
        return None
    with _lock:
        if _server is None:
            if os.environ.get(names.FORKSERVER_FOLDER):
                _server = ForkServer.attach(Path(os.environ[names.FORKSERVER_FOLDER]))
            else:
                env = policy.kernel_env(policy.WORK, sandboxed=True,
                                        passed=policy.passed_env())
                _server = ForkServer.start(Limits(), env)
                import atexit

                atexit.register(stop)
        server = _server
    return server if not server.problem else None


def stop() -> None:
    """Forget this process's fork server; stop it if this process started it."""
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.close()


@contextlib.contextmanager
def shared():
    """A fork server started now for this process and the worker processes it spawns
    (they find it through the environment), stopped at the end; nothing where none can run or
    one is shared already. Started early, it imports TensorFlow while the grader starts."""
    if os.environ.get(names.FORKSERVER_FOLDER) or not usable():
        yield
        return
    server = current()
    if server is None:
        yield
        return
    os.environ[names.FORKSERVER_FOLDER] = str(server.folder)
    try:
        yield
    finally:
        os.environ.pop(names.FORKSERVER_FOLDER, None)
        stop()


def folder() -> Path | None:
    """Where the folders of a sandboxed kernel go: the fork server's folder, or None (the
    temporary folder) when kernels are not forked."""
    server = current()
    return server.folder if server is not None else None
