"""Grade many jobs at once: on worker processes of this machine, or on a dask.distributed
cluster, handing each record to the caller the moment it arrives (so that it is stored before
the next one).

The local workers are processes this module owns outright: each takes one job at a time over
a pipe of its own, so nothing is queued where a dead worker could block it, and an interrupted
run (Ctrl-C, SIGTERM, an error in the caller) kills them and their kernels at once.
"""

from __future__ import annotations

import contextlib
import signal
from multiprocessing.connection import wait

from ..sandbox import forkserver, policy
from .job import Job, crashed, grade_job
from .results import SubmissionRecord

STOP_SECONDS = 10  # how long a worker that is told to stop may take before it is killed


def grade_all(jobs: list[Job], workers: int = 1, scheduler: str | None = None,
              on_record=None, progress: bool = True, prepare=None, first=(),
              on_first=None) -> list[SubmissionRecord]:
    """Grade ``jobs`` on ``workers`` worker processes, or on the dask.distributed cluster at
    ``scheduler``; call ``on_record(record)`` for each as soon as it is graded. Returns the
    records in job order (None for those never graded). ``prepare(job)`` (e.g.
    :meth:`aecourse.grader.job.PreparedCourses.fill`) is called on each job just before it
    is handed to a worker, so that the workers start grading while later assignments are
    prepared. The jobs ``first`` are graded on the same workers before any of ``jobs`` is
    handed out, each record given to ``on_first`` (the canary). An exception from a callback
    or ``prepare``, or Ctrl-C, stops the workers and is raised: what ``on_record`` has
    stored is kept."""
    from tqdm.auto import tqdm

    records: list[SubmissionRecord | None] = [None] * len(jobs)
    bar = tqdm(total=len(jobs), unit="submission", disable=not progress)
    prepare = prepare or (lambda job: job)

    def done(index, record):
        records[index] = record
        if on_record is not None:
            on_record(record)
        bar.update()

    def done_first(index, record):
        if on_first is not None:
            on_first(record)

    phases = [(list(first), done_first), (list(jobs), done)]
    phases = [(some, callback) for some, callback in phases if some]
    try:
        if scheduler:
            for some, callback in phases:
                _grade_on_cluster([prepare(job) for job in some], scheduler, callback)
        elif phases:
            _grade_locally(phases, workers, prepare)
    finally:
        bar.close()
    return records


def _warm_worker(mode: str) -> None:
    """Start-up of a worker process: load nbgrader once and, for sandboxed kernels, start
    the fork server (it imports TensorFlow meanwhile); leave Ctrl-C to the parent, and end
    with it (its kernels end with the worker)."""
    from multiprocessing.util import Finalize

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    policy.die_with_parent()
    import nbgrader.apps  # noqa: F401
    import nbgrader.converters  # noqa: F401

    from ..sandbox.kernels import POOL
    from .autograde import quiet_nbgrader

    quiet_nbgrader()
    Finalize(None, POOL.close, exitpriority=10)  # a worker ends by os._exit: no atexit
    if mode == "bwrap":
        forkserver.current()
        Finalize(None, forkserver.stop, exitpriority=5)


def _serve(conn, mode: str) -> None:
    """A worker: grade each job it is sent, send its record back; None ends it."""
    _warm_worker(mode)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            record = grade_job(job)
        except Exception as err:  # a grader bug: say so in the record, go on
            record = crashed(job, err)
        conn.send(record)


class _Worker:
    """A worker process and its end of the pipe; :attr:`index` of the job it grades."""

    def __init__(self, context, mode: str):
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, mode),
                                       name="aecourse-grader")
        self.process.start()
        theirs.close()
        self.index: int | None = None

    def give(self, index: int, job: Job) -> bool:
        try:
            self.conn.send(job)
        except (BrokenPipeError, EOFError, OSError):
            return False
        self.index = index
        return True

    def take(self) -> SubmissionRecord | None:
        """The record it sent, or None when it died without one."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None
        finally:
            self.index = None

    def stop(self, now: bool) -> None:
        if not now:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _grade_locally(phases, workers, prepare) -> None:
    """Grade each phase's jobs (a list of (jobs, done)) in turn on the same workers."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    mode = phases[0][0][0].sandbox
    wanted = max(len(jobs) for jobs, _ in phases)
    pool = [_Worker(context, mode) for _ in range(max(1, min(workers, wanted)))]
    unprepared, finished = None, False
    try:
        for jobs, done in phases:
            unprepared = _phase(pool, context, mode, jobs, done, prepare) or unprepared
        finished = True
    finally:
        for worker in pool:
            worker.stop(now=not finished)
    if unprepared is not None:
        raise unprepared


def _phase(pool, context, mode, jobs, done, prepare):
    """Grade ``jobs`` on the workers of ``pool`` (replacing any that dies); return the first
    error of ``prepare``, to be raised once every other record is kept."""
    todo, unprepared = list(range(len(jobs))), None
    while True:
        for i, worker in enumerate(pool):
            while worker.index is None and todo:
                index = todo.pop(0)
                try:
                    job = prepare(jobs[index])
                except Exception as err:  # the instructor's notebooks: said at the end
                    unprepared = unprepared or err
                    continue
                if not worker.give(index, job):  # it died idle: a new one takes the job
                    worker.stop(now=True)
                    pool[i] = worker = _Worker(context, mode)
                    todo.insert(0, index)
        busy = [w for w in pool if w.index is not None]
        if not busy:
            break
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
        for i, worker in enumerate(pool):
            if worker.index is None or not (worker.conn in ready
                                            or worker.process.sentinel in ready):
                continue
            index = worker.index
            record = worker.take()
            if record is None:  # the worker died with the job (killed, out of memory)
                code = worker.process.exitcode
                record = crashed(jobs[index], RuntimeError(
                    f"the grading worker died (exit code {code})"))
                worker.stop(now=True)
                pool[i] = _Worker(context, mode)
            done(index, record)
    return unprepared


def _grade_on_cluster(jobs, scheduler, done) -> None:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        futures = client.map(grade_job, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in dask_completed(futures):
            i = index[future.key]
            try:
                record = future.result()
            except Exception as err:
                record = crashed(jobs[i], err)
            done(i, record)
