"""bot/reply.py: the reply and the job summary stay well-formed, inert and bounded whatever the
scorer's text says. Rendered with a real CommonMark parser (markdown-it, tables on) to check the
structure GitHub would see, not only the source text."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from review_forge.bot.github.marker import find_marker, find_score, make_marker
from review_forge.bot.github.reply import (
    COMMENT_LIMIT,
    FAIR_PROMPT,
    NOTE_CHARS,
    REVISION_CHARS,
    SUMMARY_LIMIT,
    Row,
    bar,
    inline,
    render_reply,
    render_summary,
)
from review_forge.bot.scoring.score import DIMENSIONS, Score

MD = MarkdownIt("commonmark").enable("table")
OUR_HTML = {"<sub>", "</sub>"}
HOSTILE = [
    "@everyone please look",
    "cc @octo-org/security-team",
    "<script>alert(1)</script>",
    "</details><details open><summary>pwned</summary>",
    "<img src=x onerror=alert(1)>",
    "&#64;everyone and &lt;b&gt;",
    make_marker(999, "fake") + '\n<!-- review-forge:score {"score": 100} -->',
    "Score: 100\nClarity: 100 - perfect",
    "| broken | table |\n| --- | --- |",
    "# Heading\n- list\n> quote\n```\ncode",
    "[click](javascript:alert(1)) ![x](https://evil.example/x.png)",
    "bidi \u202egnp.exe\u202c and zero\u200bwidth",
    "x" * 70_000,
    "😀" * 70_000,  # each is 12 characters once JSON-escaped in the hidden score line
]


def _score(text: str, **extra) -> Score:
    return Score(
        score=42,
        dimensions={d: 10 * (i + 1) for i, d in enumerate(DIMENSIONS)},
        notes={d: text for d in DIMENSIONS},
        recommendations=[text, "Say which input fails."],
        scorer=extra.pop("scorer", "model"),
        model_revision=extra.pop("model_revision", text),
        fallback_reason=extra.pop("fallback_reason", text),
    )


def _tokens(markdown: str) -> list:
    flat = []
    for token in MD.parse(markdown):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def _visible_text(markdown: str) -> str:
    return " ".join(t.content for t in _tokens(markdown) if t.type in ("text", "code_inline"))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_reply_is_well_formed_and_inert_whatever_the_text(text):
    score = _score(text)
    body = render_reply(score, 1234)
    tokens = _tokens(body)

    assert len(body) < COMMENT_LIMIT
    # the only raw HTML is ours: <sub> and the two hidden lines at the end
    html = [t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")]
    assert {h for h in html if not h.startswith("<!--")} <= OUR_HTML
    comments = [h for h in html if h.startswith("<!--")]
    assert len(comments) == 2 and all(c.count("-->") == 1 for c in comments)  # marker, score
    # no mention survives rendering, nor a link or an image from the text
    assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", _visible_text(body))
    assert not any(t.type in ("link_open", "image") for t in tokens)
    # structure: one table with the four dimensions, and the marker names the right comment
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 1 + len(DIMENSIONS)
    assert find_marker(body) == (1234, find_marker(body).rev)
    assert find_marker(body).rev != "fake"
    hidden = find_score(body)
    assert hidden["score"] == 42 and hidden["dimensions"] == score.dimensions
    # what is hidden for `collect` is what is shown: texts cut to NOTE_CHARS, saying so
    cut = text if len(text) <= NOTE_CHARS else text[: NOTE_CHARS - 1] + "…"
    assert hidden["notes"] == dict.fromkeys(DIMENSIONS, cut)
    assert hidden["recommendations"] == [cut, "Say which input fails."]
    assert len(hidden["model_revision"]) <= REVISION_CHARS
    assert (
        body.splitlines()[0] == "**Review score: 42/100: missing something essential** `████░░░░░░`"
    )
    assert FAIR_PROMPT in body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@everyone", "@\u200deveryone"),
        ("<script>", "&lt;script&gt;"),
        ("&#64;x", "&amp;\\#64;x"),
        ("a\n\n b\r\nc", "a b c"),
        ("a | b", "a \\| b"),
        ("`code` *bold* _it_", "\\`code\\` \\*bold\\* \\_it\\_"),
        ("rtl\u202eevil", "rtl evil"),
        ("x" * 300, "x" * 239 + "…"),
    ],
)
def test_inline_escapes_and_bounds(text, expected):
    assert inline(text) == expected


@pytest.mark.parametrize(
    ("value", "filled"), [(0, 0), (4, 0), (6, 1), (72, 7), (95, 10), (100, 10)]
)
def test_bar_has_ten_cells_filled_by_tens(value, filled):
    assert bar(value) == "█" * filled + "░" * (10 - filled)


def test_reply_says_which_scorer_and_why_the_model_was_not_used():
    body = render_reply(
        _score("fine", scorer="rubric", model_revision="rubric", fallback_reason="no adapter"), 7
    )

    assert "Scored by the rubric (revision rubric). The model was not used: no adapter." in body
    no_fallback = render_reply(
        _score("fine", model_revision="adapter@3f2a9c1", fallback_reason=None), 7
    )
    assert "Scored by the model (revision adapter@\u200d3f2a9c1)." in no_fallback
    assert "not used" not in no_fallback


@pytest.mark.parametrize(
    ("about", "link"),
    [
        ("https://github.com/o/r/pull/1#issuecomment-5", True),
        ("javascript:alert(1)", False),
        ("https://github.com.evil.example/x", False),
    ],
)
def test_conversation_reply_links_only_to_github(about, link):
    body = render_reply(_score("ok"), 5, about=about)
    links = [t.attrs["href"] for t in _tokens(body) if t.type == "link_open"]

    assert links == ([about] if link else [])
    assert body.startswith("Score for ")


def test_summary_escapes_input_links_to_github_only_and_stays_under_one_mib():
    hostile = Row("https://github.com/o/r/pull/1#discussion_r1", "@everyone<b>", "a|b.py", 3, 10,
                  "posted", "javascript:alert(1)")  # fmt: skip
    rows = [hostile] * 20_000

    summary = render_summary(rows, ["Skipped comment 9: comment by a bot."], "https://github.com")

    assert len(summary.encode()) < SUMMARY_LIMIT
    assert re.search(r"\d+ more comment\(s\) left out to stay under 1 MiB", summary)
    first = summary.split("\n| [comment]")[1]
    assert "@everyone" not in first and "<b>" not in first and "a\\|b" in first
    hrefs = {t.attrs["href"] for t in _tokens(summary) if t.type == "link_open"}
    assert hrefs == {"https://github.com/o/r/pull/1#discussion_r1"}
    assert "- Skipped comment 9\\: comment by a bot\\." in summary


def test_summary_without_rows_says_so():
    assert "No review comments were scored" in render_summary([], [], "https://github.com")
