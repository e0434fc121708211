"""What the rest of the package agrees on, each defined once: the course's folders and
gradebook (:mod:`.layout`), the limits of grading (:mod:`.limits`), the term file
(:mod:`.term`), environment variables (:mod:`.env`) and how an error reads in one line
(:mod:`.text`). Leaves: nothing here imports the rest of ``aecourse``."""
