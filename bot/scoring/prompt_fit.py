"""Cutting a prompt to fit a context window, the same way when scoring and when training.

A review comment can be 65,536 characters and its diff hunk longer; the model has a fixed
context for prompt and answer together. What is cut, and in which order, is decided here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from review_forge.bot.scoring.prompt import build_messages

if TYPE_CHECKING:
    from review_forge.bot.scoring.score import Comment


def fit_messages(
    comment: Comment, fits: Callable[[list[dict[str, str]]], bool]
) -> tuple[list[dict[str, str]], str | None] | None:
    """The comment's chat messages, cut until `fits` holds, and what was cut (None: nothing).

    The diff hunk loses its top first: GitHub's hunk ends at the commented line, the part that
    matters. Then the hunk goes and the comment loses its end. None when even that does not fit.
    Training cuts its prompts with this too, so a long comment reads the same in both.

    >>> hunk = "\\n".join(f"+line {i}" for i in range(300))
    >>> words = lambda messages: sum(len(m["content"].split()) for m in messages)
    >>> from review_forge.bot.scoring.score import Comment
    >>> messages, cut = fit_messages(Comment("Off by one?", hunk), lambda m: words(m) <= 200)
    >>> cut, "+line 299" in messages[1]["content"], "+line 0\\n" in messages[1]["content"]
    ('the diff hunk was cut to its last 39 of 300 lines', True, False)
    """
    body, path = comment.body, comment.path
    whole = build_messages(body, comment.diff_hunk, path)
    if fits(whole):
        return whole, None
    lines = (comment.diff_hunk or "").splitlines()

    def with_hunk_tail(keep: int) -> list[dict[str, str]]:
        hunk = f"[{len(lines) - keep} earlier lines cut]\n" + "\n".join(lines[-keep:])
        return build_messages(body, hunk if keep else None, path)

    keep = _largest_fitting(len(lines) - 1, lambda k: fits(with_hunk_tail(k)))
    if keep:
        cut = f"the diff hunk was cut to its last {keep} of {len(lines)} lines"
        return with_hunk_tail(keep), cut
    if keep == 0:
        return with_hunk_tail(0), "the diff hunk was dropped"

    def with_body(chars: int) -> list[dict[str, str]]:
        return build_messages(body[:chars] + " [cut]", None, path)

    chars = _largest_fitting(len(body) - 1, lambda c: fits(with_body(c)))
    if chars is None:
        return None
    cut = f"the comment was cut to {chars} of {len(body)} characters"
    return with_body(chars), f"the diff hunk was dropped and {cut}" if lines else cut


def _largest_fitting(high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in 0..high with fits(n), for a fits that holds up to some n and then not."""
    if high < 0 or not fits(0):
        return None
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low
