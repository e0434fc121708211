"""The fork server inside the sandbox: ``python -m aecourse.sandbox.inside FOLDER``.

It runs as root in bubblewrap with only :data:`aecourse.sandbox.forkserver.CAPS`, imports what
every lesson loads (:data:`PRELOAD`: no TensorFlow operation runs, so forking stays safe),
proves in a self-test that a forked kernel can be isolated here, then forks a kernel for each
request on its socket. Before any student code runs, each kernel enters namespaces of its own
(mount, pid, network, IPC, UTS), mounts fresh ``/tmp``, ``/home``, ``/dev/shm`` and ``/proc``,
keeps only its own work and socket folders of the server's folder, applies its limits and
becomes ``nobody`` with no capability left. This module imports only the sandbox's policy and
the notebooks' runtime: nothing of the grader is reachable from here.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

from ..runtime import LESSON_IMPORTS, quiet_stderr
from .policy import COVERED, HOME, NOBODY, WORK, die_with_parent

SOCKET = "server.sock"  # in the server's folder, once it is ready
STAGE = "/run/aecourse-stage"  # where a kernel's folders wait while the server's are covered
SELF_TEST_FAILED = "a forked kernel cannot be isolated here"
PROBE = "probe"  # the self-test's work and socket folders, made by the grader
# What the server imports before forking: every lesson's set-up, and the kernel itself.
PRELOAD = (*LESSON_IMPORTS, "IPython.core.interactiveshell", "ipykernel.kernelapp",
           "ipykernel.ipkernel")

# Linux constants (sched.h, mount.h)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS  # a kernel's
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2
COVERED_PATHS = {Path(top) for top in COVERED}

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


def _stage(like: str, target: str) -> None:
    """A mount point at ``target`` for what is at ``like``: a folder, or a file."""
    if os.path.isdir(like):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()


def _enter(request: dict, server_folder: str) -> None:
    """In a kernel's process (pid 1 of its own pid namespace): its own view of the files,
    its limits, and no privilege left."""
    parent = os.getppid()
    tmpfs = MS_NOSUID | MS_NODEV
    size = f"size={int(request['scratch'])}"
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", STAGE, "tmpfs", tmpfs, "size=64k,mode=0700")
    keep = {f"keep{i}": path for i, path in enumerate(request.get("keep", []))}
    for name, source in [("work", request["work"]), ("ipc", request["ipc"]), *keep.items()]:
        _stage(source, f"{STAGE}/{name}")
        _mount(source, f"{STAGE}/{name}", None, MS_BIND | MS_REC)
    _mount("tmpfs", server_folder, "tmpfs", tmpfs, "size=64k,mode=0755")  # the others' folders
    for top in COVERED:
        _mount("tmpfs", top, "tmpfs", tmpfs, f"{size},mode=1777")
    for name, target in keep.items():  # the interpreter, where it lives under a covered top
        _stage(f"{STAGE}/{name}", target)
        _mount(f"{STAGE}/{name}", target, None, MS_MOVE)
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        for path in Path(target).parents:
            if path not in COVERED_PATHS and path != Path("/"):
                os.chmod(path, 0o755)
    os.makedirs(WORK)
    os.chmod(HOME, 0o1777)
    ipc = request["ipc"]
    os.makedirs(ipc)
    for path in Path(ipc).parents:  # the kernel's user walks down to its sockets
        if path != Path("/") and path not in COVERED_PATHS:
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
    probe = Path(server_folder, PROBE)  # made by the grader: see ForkServer
    request = {"work": str(probe / "work"), "ipc": str(probe / "ipc"), "scratch": 1 << 20,
               "rlimits": {"RLIMIT_CORE": 0}, "uid": NOBODY, "env": {},
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
                    assert os.getuid() == NOBODY and "2" not in visible
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
