"""What an instructor reads after grading: grades for the LMS (:mod:`.export`), the class
at a glance (:mod:`.report`) and pairs of suspiciously alike submissions (:mod:`.similarity`).
They read what the grader stored and never run a student's code."""
