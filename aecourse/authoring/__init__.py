"""The course author's tools (see docs/authoring.md): :mod:`.release` makes ``lessons/`` from
``solutions/`` and proves each release, :mod:`.variants` proves each exercise's tests against
the wrong and right answers students write, fast through :mod:`.forkrun`. They run the
course's own notebooks, which are trusted: nothing here is used to grade students."""
