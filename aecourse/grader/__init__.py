"""The trusted grader: nbgrader's autograde of one submission in a private course
(:mod:`.autograde`, with the course's settings in :mod:`.nbconfig` and :mod:`.preprocessors`),
feedback that keeps hidden tests hidden (:mod:`.feedback`), and a whole class: submissions
read (:mod:`.intake`), graded one job at a time (:mod:`.job`) on workers (:mod:`.dispatch`),
each record stored as it comes (:mod:`.records`, :mod:`.gradebook`) by :mod:`.batch`. The
student's code runs only in the kernels of :mod:`aecourse.sandbox`; :mod:`.selfcheck` is a
student's own run of the visible tests."""
