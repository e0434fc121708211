"""The summary heading each feedback page: what it says, and that finishing a page again (a
regrade, a moved due date, an export) replaces it instead of adding a second one."""

from __future__ import annotations

import datetime as dt
import html
import re

from aecourse.config import term
from aecourse.grader import records, summary
from aecourse.grader.results import CellResult, NotebookResult, Status, SubmissionRecord

PAGE = ("<html><head><title>toy</title></head><body>\n<h4>toy (Score: 2.0 / 5.0)</h4>\n"
        "<div class=\"cell\">the student's cells</div>\n</body></html>\n")
DUE = dt.datetime(2026, 3, 1, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def a_record(timestamp="2026-03-03T09:00:00+00:00") -> SubmissionRecord:
    cells = [CellResult("test_square", 2.0, 2.0), CellResult("test_square_more", 0.0, 1.0,
                                                             "AssertionError: no"),
             CellResult("explain", 0.0, 2.0, manual=True)]
    return SubmissionRecord("bob", "toy", [NotebookResult("toy", 2.0, 5.0, Status.GRADED,
                                                          cells)], timestamp=timestamp)


def a_term(days: float = 0) -> term.Term:
    """Due dates and a per-day policy; ``days`` of extension for bob."""
    return term.Term(late=term.LatePolicy("per-day", 0.1), due={"toy": DUE},
                     extensions={("bob", "toy"): dt.timedelta(days=days)} if days else {})


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def summaries(page: str) -> list[str]:
    return re.findall(r'id="aecourse-summary">(.*?)<!-- /aecourse-summary -->', page, re.S)


def test_the_summary_says_score_penalty_status_and_points_per_cell():
    page = summary.finish(PAGE, a_record(), "toy", a_term())
    (block,) = summaries(page)
    assert page.index("</h4>") < page.index("aecourse-summary") < page.index('class="cell"')
    said = text(block)
    assert "Score: 2 / 5 points (up to 2 more to be graded by hand)" in said
    # 1 day 10 h late: two started days at 10% each
    assert "Late penalty: 0.4 points (20%): 1.6 / 5 points after it" in said
    assert "Status: graded" in said
    assert "test_square 2 / 2 test_square_more 0 / 1 explain to be graded by hand (up to 2)" \
        in said
    assert "Submitted 1 day 10 h 1 min late" in said


def test_finishing_again_replaces_the_summary():
    page = summary.finish(PAGE, a_record(), "toy", a_term())
    # an extension granted later: the same page finished again
    again = summary.finish(page, a_record(), "toy", a_term(3))
    (block,) = summaries(again)
    assert "Late penalty: none" in text(block) and "Submitted on time" in text(block)
    assert len(re.findall('id="aecourse-late"', again)) == 1
    # a regrade with a better score
    better = a_record()
    better.notebooks[0].score, better.notebooks[0].cells[1].score = 3.0, 1.0
    (block,) = summaries(summary.finish(again, better, "toy", a_term(3)))
    assert "Score: 3 / 5 points" in text(block)
    assert summary.finish(again, a_record(), "toy", a_term(3)) == again
    assert summary.with_summary(again, "") == PAGE, "removed, the page is as rendered"


def test_a_page_with_the_old_lone_notice_gets_one_summary():
    old = PAGE.replace("</h4>\n", '</h4>\n<p class="late-penalty" id="aecourse-late" '
                                  'style="color: #d2413a">Submitted late.</p>\n')
    page = summary.finish(old, a_record(), "toy", a_term())
    assert "Submitted late." not in page and len(summaries(page)) == 1
    assert len(re.findall('id="aecourse-late"', page)) == 1


def test_no_due_date_no_penalty_and_on_time_says_so():
    said = text(summaries(summary.finish(PAGE, a_record(""), "toy", term.Term()))[0])
    assert "Late penalty: none" in said and "Submitted" not in said


def test_the_record_store_rewrites_stored_pages_in_place(tmp_path):
    store = records.RecordStore(tmp_path)
    record = a_record()
    record.feedback = {"toy": summary.finish(PAGE, record, "toy", a_term())}
    store.append(record)
    page = store.feedback_folder("bob", "toy") / "toy.html"
    store.finish(record, a_term(3))
    store.finish(record, a_term(3))
    (block,) = summaries(page.read_text())
    assert "Submitted on time" in text(block)
    assert sorted(p.name for p in page.parent.iterdir()) == ["toy.html"]
