"""The one stylesheet parses as written: every block it opens, it closes.

A missing "}" after an @media block once nested every later rule inside it,
so the queue's and the team page's desktop styles applied only on phones.
"""

from __future__ import annotations

import re
from pathlib import Path

STYLESHEET = (
    Path(__file__).resolve().parents[2] / "src/leadqual/config/static/leadqual/app.css"
)
COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _depth_at_each_at_rule(css: str) -> list[tuple[int, int]]:
    """(line, nesting depth) where each @media starts; depth 0 is the top level."""
    depth = 0
    found: list[tuple[int, int]] = []
    for number, line in enumerate(css.splitlines(), start=1):
        if line.lstrip().startswith("@media"):
            found.append((number, depth))
        depth += line.count("{") - line.count("}")
    return found


def test_every_block_of_the_stylesheet_is_closed() -> None:
    css = COMMENT.sub(
        lambda match: "\n" * match.group().count("\n"), STYLESHEET.read_text()
    )
    assert css.count("{") == css.count("}")
    nested = [line for line, depth in _depth_at_each_at_rule(css) if depth != 0]
    assert nested == [], f"@media blocks opened inside another block, lines {nested}"
