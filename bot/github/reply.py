"""The Markdown the bot posts: the reply under a review comment, and the job summary.

Anything derived from input (notes and advice from a model that read the comment, file paths,
logins, fallback reasons) goes through `inline`: one line, bounded, HTML and Markdown escaped,
@mentions broken. So a reply can never ping anyone, inject HTML, close a `<details>`, fake the
marker, or outgrow GitHub's 65,536-character comment limit.

>>> inline("@everyone <b>look</b>")
'@\\u200deveryone &lt;b&gt;look&lt;/b&gt;'
>>> bar(72)
'███████░░░'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from review_forge.bot.github.marker import encode_score, make_marker
from review_forge.bot.scoring.bands import band
from review_forge.bot.scoring.score import DIMENSIONS, Score

COMMENT_LIMIT = 65_536  # GitHub's maximum comment body, in characters
SUMMARY_LIMIT = 1024 * 1024  # GitHub's maximum job summary per step, in bytes
NOTE_CHARS = 240
MAX_RECOMMENDATIONS = 8
REVISION_CHARS = 80
FAIR_PROMPT = "React 👍 if this score is fair, 👎 if not."

# Control characters, zero-width and bidirectional-override characters: invisible tricks.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")
_ZWJ = "\u200d"  # after "@": the text reads the same, GitHub sees no mention


def inline(text: object, limit: int = NOTE_CHARS) -> str:
    """Untrusted text as one inert line of Markdown: safe in a table cell, a list item, a link."""
    flat = " ".join(_INVISIBLE.sub(" ", str(text)).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _MARKDOWN.sub(r"\\\1", flat)
    return flat.replace("@", "@" + _ZWJ)


def bar(value: int, width: int = 10) -> str:
    filled = max(0, min(width, round(value * width / 100)))
    return "█" * filled + "░" * (width - filled)


def render_reply(
    score: Score,
    target_id: int,
    *,
    about: str | None = None,
    server_url: str = "https://github.com",
) -> str:
    """The reply posted in the comment's thread, with the hidden marker the bot finds it by.

    `about`: the scored comment's URL, for replies outside its thread (conversation comments).
    """
    score = _bounded(score)
    lines = [f"Score for {_link('this comment', about, server_url)}:", ""] if about else []
    lines += [
        f"**Review score: {score.score}/100: {band(score.score)}** `{bar(score.score)}`",
        "",
        "| Dimension | Score | Why |",
        "| --- | ---: | --- |",
    ]
    for dim in DIMENSIONS:
        note = inline(score.notes.get(dim, "")) or "—"
        lines.append(f"| {dim.capitalize()} | {score.dimensions[dim]} | {note} |")
    recommendations = [inline(r) for r in score.recommendations]
    if recommendations:
        lines += ["", "**Recommendations**", ""]
        lines += [f"- {r}" for r in recommendations if r]
    if score.addressed_to_bot:
        kinds = inline(", ".join(score.addressed_to_bot))
        lines += ["", f"The comment contained text addressed to the bot ({kinds}); it was left out "
                  "of the score and not followed."]  # fmt: skip
    lines += ["", f"<sub>{_provenance(score)}</sub>", "", FAIR_PROMPT, ""]
    lines.append(make_marker(target_id, score.model_revision))
    # JSON's own escape for "@": `collect` reads the same text, and no one is mentioned even if
    # GitHub ever looked inside HTML comments.
    lines.append(encode_score(score).replace("@", "\\u0040"))
    return "\n".join(lines) + "\n"


def _bounded(score: Score) -> Score:
    """The score as shown, and as hidden for `collect`: texts cut to what the reply can hold."""
    return replace(
        score,
        notes={d: _cut(n, NOTE_CHARS) for d, n in score.notes.items()},
        recommendations=[_cut(r, NOTE_CHARS) for r in score.recommendations[:MAX_RECOMMENDATIONS]],
        model_revision=_cut(score.model_revision, REVISION_CHARS),
        fallback_reason=_cut(score.fallback_reason, NOTE_CHARS) if score.fallback_reason else None,
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _provenance(score: Score) -> str:
    who = "the rubric" if score.scorer == "rubric" else "the model"
    text = (
        f"Scored by {who} (revision {inline(score.model_revision, REVISION_CHARS) or 'unknown'})."
    )
    if score.fallback_reason:
        text += f" The model was not used: {inline(score.fallback_reason)}."
    return text


@dataclass(frozen=True)
class Row:
    """One scored comment in the job summary."""

    comment_url: str
    author: str
    path: str | None
    line: int | None
    score: int
    reply: str  # "posted", "updated", "not posted: ..." (our words, never input)
    reply_url: str | None = None


def render_summary(rows: Sequence[Row], notes: Sequence[str], server_url: str) -> str:
    """The job summary: a table of scored comments with links, then what did not go as planned.

    Stays under GitHub's 1 MiB per step by cutting rows, saying how many were cut.
    """
    head = ["## review-forge", ""]
    head += [f"- {inline(note, 500)}" for note in notes]
    if notes:
        head.append("")
    if not rows:
        return "\n".join([*head, "No review comments were scored in this run.", ""])
    head += ["| Comment | Author | File | Score | Reply |", "| --- | --- | --- | ---: | --- |"]
    body: list[str] = []
    size = len("\n".join(head).encode())
    for index, row in enumerate(rows):
        line = _summary_row(row, server_url)
        size += len(line.encode()) + 1
        if size > SUMMARY_LIMIT - 1024:
            body.append(f"\n{len(rows) - index} more comment(s) left out to stay under 1 MiB.")
            break
        body.append(line)
    return "\n".join([*head, *body, ""])


def _summary_row(row: Row, server_url: str) -> str:
    where = inline(f"{row.path}:{row.line}" if row.line else row.path or "", 120) or "—"
    reply = _link(inline(row.reply, 120), row.reply_url, server_url)
    return (
        f"| {_link('comment', row.comment_url, server_url)} | {inline(row.author, 60)} "
        f"| {where} | {row.score} `{bar(row.score)}` | {reply} |"
    )


def _link(text: str, url: str | None, server_url: str) -> str:
    """A link only to the GitHub server itself, without characters that could break the link."""
    if not url or not url.startswith(server_url.rstrip("/") + "/"):
        return text
    safe = re.sub(r"[^A-Za-z0-9/:._~#?=&%+-]", "", url).replace("(", "").replace(")", "")
    return f"[{text}]({safe})"
