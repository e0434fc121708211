"""nbgrader configuration of the course; the settings live in aecourse/grader/nbconfig.py."""

from aecourse.grader.nbconfig import configure

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)
configure(c)
