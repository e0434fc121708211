"""The trust boundary: where a student's code runs and what it can reach.

:mod:`.policy` says what a grading kernel sees and may do (bubblewrap's arguments, rlimits,
the user it becomes); :mod:`.kernels` starts kernels under that policy for nbgrader (the
kernel manager, kernels started ahead, the watchdog); :mod:`.forkserver` is the grader's side
of the server that forks kernels, and :mod:`.inside` its side inside the sandbox, which
imports nothing of the grader.
"""
