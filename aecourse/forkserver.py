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
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .forkrun import PRELOAD as LESSON_PRELOAD
from .forkrun import die_with_parent

PREFIX = "aecourse-forks-"  # of a server's folder, in the temporary folder
OWNER = "owner.pid"  # in it: the grader process that started the server
SOCKET = "server.sock"  # in the server's folder, once it is ready
FAILED = "server.failed"  # in its place when it failed, saying why
LOG = "server.log"  # what the server itself printed
ENV = "AECOURSE_FORKSERVER_FOLDER"  # the folder of the server a worker's parent shares
SWITCH = "AECOURSE_FORKSERVER"  # "0": no fork server
STAGE = "/run/aecourse-stage"  # where a kernel's folders wait while the server's are covered
# What the server keeps of root's powers, for its kernels' set-up (they drop them all):
# mount and namespaces, becoming nobody, reaching folders handed over to nobody, and the
# kill that a kernel's process group gets when the process that stands for it dies.
CAPS = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_DAC_OVERRIDE", "CAP_KILL")
SELF_TEST_FAILED = "a forked kernel cannot be isolated here"
START_TIMEOUT = 180  # seconds for the server's imports and its self-test
# What the server imports before forking: what the course's proofs preload (every lesson's
# set-up cell, no TensorFlow operation), and the kernel itself.
PRELOAD = (*LESSON_PRELOAD, "aecourse.runtime", "ipykernel.kernelapp", "ipykernel.ipkernel")

CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
socket.send_fds(s, [sys.argv[2].encode()], [0, 1, 2])
while s.recv(16):
    pass
"""

# Linux constants (sched.h, mount.h)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS  # a kernel's
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2


class ForkServer:
    """A fork server, as its folder shows it: the server's socket once it is ready (or a
    file saying why it failed), and the folders of the kernels it forks, which must live
    there to be seen. The process that started it (:meth:`start`) watches it and removes
    the folder at the end; worker processes find it through :data:`ENV` (:meth:`attach`).
    """

    def __init__(self, folder: Path, process: subprocess.Popen | None = None):
        self.folder, self.process = Path(folder), process
        self.problem = ""
        self._closing, self._close_lock = False, threading.Lock()

    @classmethod
    def start(cls, limits, env: dict[str, str]) -> ForkServer:
        from . import sandbox

        _sweep()
        folder = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
        (folder / OWNER).write_text(str(os.getpid()))
        for name in ("work", "ipc"):  # for the server's self-test
            (folder / "probe" / name).mkdir(parents=True)
            sandbox.hand_over(folder / "probe" / name)
        argv = sandbox.bwrap_args(None, folder, limits, env, caps=CAPS)
        argv += ["--dir", STAGE, sys.executable, "-m", __name__, str(folder)]
        with open(folder / LOG, "wb") as out:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                       env=sandbox._outer_env(), start_new_session=True,
                                       preexec_fn=die_with_parent)
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
                from .sandbox import kill

                kill(self.process)
                break
            time.sleep(0.05)
        self.process.wait()
        with self._close_lock, contextlib.suppress(OSError):
            if not self._closing:
                lines = (self.folder / LOG).read_text(errors="replace").strip().splitlines()
                (self.folder / FAILED).write_text(
                    (lines[-1][:300] if lines else "") or f"exited ({self.process.returncode})")

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
        from .sandbox import rlimits

        argv = kernel_cmd[kernel_cmd.index("ipykernel_launcher") + 1:]
        request = {"argv": argv, "work": str(Path(work).resolve()),
                   "ipc": str(Path(ipc).resolve()), "env": env, "rlimits": rlimits(limits),
                   "scratch": limits.scratch, "uid": _nobody()}
        return [sys.executable, "-I", "-S", "-c", CLIENT, str(self.folder / SOCKET),
                json.dumps(request)]

    def close(self):
        """Stop the server and remove its folder (a server this process started)."""
        from .sandbox import kill

        if self.process is None:
            return
        with self._close_lock:
            self._closing = True
        kill(self.process)
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
    from . import sandbox

    return (sys.platform == "linux" and os.geteuid() == 0 and not sandbox.problem()
            and os.environ.get(SWITCH, "1") != "0")


def current() -> ForkServer | None:
    """This process's fork server: the one its parent shares (:func:`shared`), or one
    started on first use. None where none can run or when it failed: kernels are then
    started one by one in bubblewrap."""
    global _server
    from . import sandbox
    from .limits import Limits

    if not usable():
        return None
    with _lock:
        if _server is None:
            if os.environ.get(ENV):
                _server = ForkServer.attach(Path(os.environ[ENV]))
            else:
                env = sandbox.kernel_env(sandbox.WORK, sandboxed=True,
                                         passed=sandbox.passed_env())
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
    (they find it through :data:`ENV`), stopped at the end; nothing where none can run or
    one is shared already. Started early, it imports TensorFlow while the grader starts."""
    if os.environ.get(ENV) or not usable():
        yield
        return
    server = current()
    if server is None:
        yield
        return
    os.environ[ENV] = str(server.folder)
    try:
        yield
    finally:
        os.environ.pop(ENV, None)
        stop()


def folder() -> Path | None:
    """Where the folders of a sandboxed kernel go: the fork server's folder, or None (the
    temporary folder) when kernels are not forked."""
    server = current()
    return server.folder if server is not None else None


# ----- inside the sandbox: python -m aecourse.forkserver FOLDER -----

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype=None, flags=0, data=None) -> None:
    def c(text):
        return text.encode() if isinstance(text, str) else text

    _check(_libc.mount(c(source), c(target), c(fstype), ctypes.c_ulong(flags), c(data)),
           f"mount {target}")


def _nobody() -> int:
    from .sandbox import NOBODY

    return NOBODY


def _enter(request: dict, server_folder: str) -> None:
    """In a kernel's process (pid 1 of its own pid namespace): its own view of the files,
    its limits, and no privilege left."""
    from .sandbox import HOME, WORK

    parent = os.getppid()
    tmpfs = MS_NOSUID | MS_NODEV
    size = f"size={int(request['scratch'])}"
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", STAGE, "tmpfs", tmpfs, "size=64k,mode=0700")
    for name in ("work", "ipc"):
        os.mkdir(f"{STAGE}/{name}")
        _mount(request[name], f"{STAGE}/{name}", None, MS_BIND | MS_REC)
    _mount("tmpfs", server_folder, "tmpfs", tmpfs, "size=64k,mode=0755")  # the others' folders
    for top in ("/tmp", "/home", "/dev/shm"):
        _mount("tmpfs", top, "tmpfs", tmpfs, f"{size},mode=1777")
    os.makedirs(WORK)
    os.chmod(HOME, 0o1777)
    ipc = request["ipc"]
    os.makedirs(ipc)
    for path in Path(ipc).parents:  # the kernel's user walks down to its sockets
        if path != Path("/") and path not in (Path("/tmp"), Path("/home")):
            os.chmod(path, 0o755)
    _mount(f"{STAGE}/work", WORK, None, MS_MOVE)
    _mount(f"{STAGE}/ipc", ipc, None, MS_MOVE)
    _check(_libc.umount2(STAGE.encode(), MNT_DETACH), f"umount {STAGE}")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    import resource

    for name, value in request["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    uid = request["uid"]
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to nobody: every capability goes
    die_with_parent()  # again: a change of user clears it
    if os.getppid() != parent:
        os._exit(0)  # the kernel was let go of already
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(WORK)


def _kernel(request: dict, fds: list[int], server_folder: str) -> None:
    """The kernel's process: set up, then run ipykernel as ``python -m ipykernel_launcher``
    would with the request's arguments. Never returns."""
    code = 0
    try:
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        die_with_parent()
        _enter(request, server_folder)
        from ipykernel import kernelapp

        sys.argv = ["ipykernel_launcher", *request["argv"]]
        kernelapp.launch_new_instance()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException as err:  # the grader's log says why the kernel never came
        with contextlib.suppress(Exception):
            os.write(2, f"aecourse fork server: kernel set-up failed: {err!r}\n".encode())
        code = 71
    finally:
        os._exit(code)


def _fork_kernel(request: dict, fds: list[int], server_folder: str, close) -> None:
    """In the server's child: new namespaces, then the kernel as their first process (whose
    death ends every process in them); exits with it. Never returns."""
    code = 70
    try:
        for sock in close:
            sock.close()
        die_with_parent()
        os.setsid()
        _check(_libc.unshare(NAMESPACES), "unshare")
        pid = os.fork()
        if pid == 0:
            _kernel(request, fds, server_folder)
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status) & 0xFF
    except BaseException as err:
        with contextlib.suppress(Exception):
            os.write(fds[2] if len(fds) > 2 else 2,
                     f"aecourse fork server: cannot fork a kernel: {err!r}\n".encode())
    finally:
        os._exit(code)


def _self_test(server_folder: str) -> None:
    """Fork one kernel's set-up (without the kernel) and check that it works here."""
    probe = Path(server_folder, "probe")  # made by the grader: see ForkServer
    request = {"work": str(probe / "work"), "ipc": str(probe / "ipc"), "scratch": 1 << 20,
               "rlimits": {"RLIMIT_CORE": 0}, "uid": _nobody(), "env": {},
               "argv": []}
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _check(_libc.unshare(NAMESPACES), "unshare")
            inner = os.fork()
            if inner == 0:
                try:
                    _enter(request, server_folder)
                    visible = set(os.listdir("/proc"))
                    assert os.getuid() == _nobody() and "2" not in visible
                    assert not Path(server_folder, SOCKET + ".test").exists()
                    Path("probe-ok").write_text("ok")  # in its work folder, as nobody
                    os._exit(0)
                except BaseException as err:
                    os.write(2, f"self-test failed: {err!r}\n".encode())
                    os._exit(1)
            code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    ok = (probe / "work" / "probe-ok").is_file()
    shutil.rmtree(probe, ignore_errors=True)
    if code or not ok:
        raise RuntimeError(f"{SELF_TEST_FAILED} (self-test exit {code})")


def _serve(server_folder: str) -> None:
    import importlib
    import selectors

    from .runtime import quiet_stderr

    die_with_parent()
    Path(server_folder, SOCKET + ".test").touch()  # the self-test checks it is covered
    _self_test(server_folder)
    os.unlink(Path(server_folder, SOCKET + ".test"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with quiet_stderr():
        for module in PRELOAD:
            importlib.import_module(module)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(str(Path(server_folder, SOCKET + ".new")))
    os.chmod(Path(server_folder, SOCKET + ".new"), 0o600)
    listener.listen(16)
    os.rename(Path(server_folder, SOCKET + ".new"), Path(server_folder, SOCKET))  # ready
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    kernels: dict[socket.socket, int] = {}  # a client's connection -> its kernel's process
    while True:
        for key, _ in selector.select(timeout=0.5):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                try:
                    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                    request = json.loads(data)
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    _fork_kernel(request, fds, server_folder,
                                 [selector, listener, conn, *kernels])
                for fd in fds:
                    os.close(fd)
                kernels[conn] = pid
                selector.register(conn, selectors.EVENT_READ)
            else:  # the client is gone (killed by the grader): so goes its kernel
                conn = key.fileobj
                with contextlib.suppress(OSError):
                    if conn.recv(16):
                        continue
                with contextlib.suppress(ProcessLookupError):
                    os.kill(kernels[conn], signal.SIGKILL)
                selector.unregister(conn)
        while True:  # kernels that ended: their clients exit
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            for conn, owner in list(kernels.items()):
                if owner == pid:
                    del kernels[conn]
                    with contextlib.suppress(KeyError, ValueError):
                        selector.unregister(conn)
                    conn.close()


if __name__ == "__main__":
    try:
        _serve(sys.argv[1])
    except BaseException as err:
        print(f"aecourse fork server: {err!r}", file=sys.stderr, flush=True)
        sys.exit(3)
