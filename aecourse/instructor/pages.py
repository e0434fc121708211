"""The instructor's HTML pages: one skeleton, every text escaped."""

from __future__ import annotations

import html

BASE_STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
              "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;"
              "text-align:left}")


def page(title: str, parts, style: str = "") -> str:
    """A whole page titled ``title`` (escaped here) around ``parts`` (HTML already)."""
    head = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{BASE_STYLE}{style}</style></head><body>")
    return "\n".join([head, f"<h1>{html.escape(title)}</h1>", *parts, "</body></html>\n"])


def table(header, rows) -> str:
    """A table of ``rows`` under ``header``, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
