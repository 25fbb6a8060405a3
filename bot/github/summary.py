"""`reply: summary`: one conversation comment per pull request listing its scored review comments.

Nothing is posted in the threads; the summary comment is edited in place on every run. It is
found by its hidden marker AND its author (`bot_login`), like the replies: anyone can paste the
marker, only the bot posts as the bot. The rows it lists live in the comment itself, as a hidden
JSON line, so a run that scores one comment adds or updates that row and keeps the others.

Two runs for two comments of the same pull request may race (the example workflow runs one job
per comment). A duplicate comment from two first runs is merged into the older one and deleted
by the run that finds it; two edits at the same moment can still lose one row until the next run
for that comment, or a `workflow_dispatch` re-score, puts it back.

Reactions on the summary comment are not collected: it scores many comments at once, so a 👍
could not say which score was fair. Its footer says so.

>>> body = render({7: Entry(7, 64, "alice", "a.py", 3, "https://github.com/o/r/pull/1#r7")})
>>> sorted(read_entries(body))
[7]
>>> SUMMARY_MARKER in body and "React 👍" not in body
True
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from github.PullRequest import PullRequest

from review_forge.bot.github.client import call_with_retries, paged
from review_forge.bot.github.event import Target
from review_forge.bot.github.reply import COMMENT_LIMIT, _link, bar, inline
from review_forge.bot.github.writes import edit_comment, write_once
from review_forge.bot.settings import Config

SUMMARY_MARKER = "<!-- review-forge:summary v1 -->"
MAX_ROWS = 100  # the newest; each row costs up to ~600 characters of the 65,536 a comment holds
_MARKER_RE = re.compile(r"^" + re.escape(SUMMARY_MARKER) + r"[ \t]*$", re.M)
_ROWS_RE = re.compile(r"^<!-- review-forge:rows (\[.*\]) -->[ \t]*$", re.M)
_WHAT = "writing the summary comment"
FOOTER = (
    "<sub>One comment for the whole pull request, updated in place by review-forge "
    "(`reply: summary`). Reactions here are not collected as feedback.</sub>"
)

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Entry:
    """One scored review comment, as the summary comment lists it."""

    comment_id: int
    score: int
    author: str
    path: str | None
    line: int | None
    url: str


def entry(target: Target, score: int) -> Entry:
    return Entry(target.id, score, target.author, target.path, target.line, target.html_url)


def is_summary(comment: Mapping[str, Any], config: Config) -> bool:
    """Marker AND author: a pasted marker in someone else's comment is not ours to edit."""
    login = str((comment.get("user") or {}).get("login") or "")
    body = str(comment.get("body") or "")
    return login.lower() == config.bot_login.lower() and _MARKER_RE.search(body) is not None


def read_entries(body: str | None) -> dict[int, Entry]:
    """The rows kept in a summary comment; rows that do not check out are dropped."""
    found = _ROWS_RE.findall(body or "")
    try:
        rows = json.loads(found[-1]) if found else []
    except ValueError:
        return {}
    entries: dict[int, Entry] = {}
    for row in rows if isinstance(rows, list) else []:
        try:
            item = Entry(**row)
        except TypeError:
            continue
        if _valid(item):
            entries[item.comment_id] = item
    return entries


def _valid(item: Entry) -> bool:
    return (
        type(item.comment_id) is int
        and type(item.score) is int
        and 0 <= item.score <= 100
        and isinstance(item.author, str)
        and isinstance(item.url, str)
        and (item.path is None or isinstance(item.path, str))
        and (item.line is None or type(item.line) is int)
    )


def render(entries: Mapping[int, Entry], server_url: str = "https://github.com") -> str:
    """The comment's Markdown: the newest rows that fit, and the hidden marker and rows."""
    kept = [entries[i] for i in sorted(entries)][-MAX_ROWS:]
    while True:
        body = _render(kept, len(entries) - len(kept), server_url)
        if len(body) < COMMENT_LIMIT - 1024 or len(kept) <= 1:
            return body
        kept = kept[len(kept) // 4 or 1 :]


def _render(kept: list[Entry], left_out: int, server_url: str) -> str:
    lowest = min((e.score for e in kept), default=None)
    lines = [
        "**review-forge: review comment scores**",
        "",
        f"{len(kept)} comment(s) scored, the lowest {lowest}/100."
        if kept
        else "No comment scored.",
        "",
        "| Comment | Author | File | Score |",
        "| --- | --- | --- | ---: |",
    ]
    for e in kept:
        where = inline(f"{e.path}:{e.line}" if e.line else e.path or "", 120) or "—"
        lines.append(
            f"| {_link('comment', e.url, server_url)} | {inline(e.author, 60)} | {where} "
            f"| {e.score} `{bar(e.score)}` |"
        )
    if left_out:
        lines += ["", f"{left_out} earlier comment(s) left out to stay under GitHub's limit."]
    rows = json.dumps([asdict(e) for e in kept], ensure_ascii=True, separators=(",", ":"))
    # JSON's own escapes: no text in a row can close the HTML comment or mention anyone.
    rows = rows.replace("<", "\\u003c").replace(">", "\\u003e").replace("@", "\\u0040")
    lines += ["", FOOTER, "", SUMMARY_MARKER, f"<!-- review-forge:rows {rows} -->"]
    return "\n".join(lines) + "\n"


def upsert(
    pull: PullRequest,
    new: Iterable[Entry],
    config: Config,
    per_page: int,
    sleep: Sleep = time.sleep,
) -> str:
    """Add or update `new` rows in the pull request's summary comment; its URL.

    Raises GithubException (a refusal, e.g. a fork's read-only token) or GitHubError (GitHub kept
    failing), as `call_with_retries` does."""
    own = _own(pull, config, per_page, sleep)
    entries = _merged(own, new)
    if own:
        keep, extra = own[0], own[1:]
        body = render(entries, config.server_url)
        edit_comment(keep, body, sleep)
        for dup in extra:
            call_with_retries(dup.delete, what="deleting a duplicate summary comment", sleep=sleep)
        return str(keep.html_url)
    created = write_once(  # an answer lost on the way back: find the comment, post no second
        lambda: str(pull.create_issue_comment(render(entries, config.server_url)).html_url),
        landed=lambda: next((str(c.html_url) for c in _own(pull, config, per_page, sleep)), None),
        what=_WHAT,
        sleep=sleep,
    )
    again = _own(pull, config, per_page, sleep)
    if len(again) > 1:  # another run created one at the same time: one comment stays
        return upsert(pull, [], config, per_page, sleep)
    return created


def _own(pull: PullRequest, config: Config, per_page: int, sleep: Sleep) -> list[Any]:
    listing = pull.get_issue_comments()
    comments = paged(listing, per_page=per_page, what="reading the conversation", sleep=sleep)
    return sorted((c for c in comments if is_summary(c._rawData, config)), key=lambda c: c.id)


def _merged(own: list[Any], new: Iterable[Entry]) -> dict[int, Entry]:
    entries: dict[int, Entry] = {}
    for comment in own:  # oldest first: a newer duplicate's rows win
        entries.update(read_entries(comment.body))
    entries.update({e.comment_id: e for e in new})
    return entries
