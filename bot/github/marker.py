"""The hidden lines in the bot's replies: which comment a reply scores, and the score it posted.

The Action writes both at the end of its reply; `collect` reads them back to build feedback
records. They are HTML comments, invisible on GitHub. A marker alone proves nothing (anyone can
paste one), so callers also check that the reply's author is the bot.

>>> body = "Score: 72\\n" + make_marker(123, "rubric") + "\\n" + encode_score({"score": 72})
>>> find_marker(body)
Marker(target_id=123, rev='rubric')
>>> find_score(body)
{'score': 72}
>>> find_marker("no marker here") is None
True
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from review_forge.bot.scoring.score import Score

_MARKER_RE = re.compile(r"^<!-- review-forge:v1 target=(\d+) rev=(\S+) -->[ \t]*$", re.M)
_SCORE_RE = re.compile(r"^<!-- review-forge:score (\{.*\}) -->[ \t]*$", re.M)
_REV_UNSAFE = re.compile(r"[^A-Za-z0-9._:/@+-]")


class Marker(NamedTuple):
    target_id: int  # the review comment the reply scores
    rev: str  # the model revision that scored it


def make_marker(target_id: int, rev: str) -> str:
    """The marker line for a reply to comment `target_id`, scored by model revision `rev`.

    >>> make_marker(7, "adapter 2024-05 <x>")
    '<!-- review-forge:v1 target=7 rev=adapter_2024-05__x_ -->'
    """
    safe_rev = _REV_UNSAFE.sub("_", rev)[:100] or "unknown"
    return f"<!-- review-forge:v1 target={int(target_id)} rev={safe_rev} -->"


def find_marker(body: str | None) -> Marker | None:
    """(target comment id, model revision) from the last marker line in `body`, or None.

    The last one counts: the bot writes its marker as the reply's final lines, after any text.
    """
    found = _MARKER_RE.findall(body or "")
    if not found:
        return None
    target, rev = found[-1]
    return Marker(int(target), rev)


def encode_score(score: Score | dict[str, Any]) -> str:
    """The score object as a hidden line. `<` and `>` are JSON-escaped, so no text in the
    score (notes, recommendations) can close the HTML comment early."""
    data = score.to_dict() if isinstance(score, Score) else score
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return (
        "<!-- review-forge:score " + text.replace("<", "\\u003c").replace(">", "\\u003e") + " -->"
    )


def find_score(body: str | None) -> dict[str, Any] | None:
    """The score object from the last hidden score line in `body`, or None if absent or broken."""
    found = _SCORE_RE.findall(body or "")
    if not found:
        return None
    try:
        value = json.loads(found[-1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
