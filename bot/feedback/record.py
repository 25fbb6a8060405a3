"""The feedback record: one reply's 👍/👎 (or one person's verdict) as one JSON line.

`collect` and `learn` build records with this class and write them with `to_json`; the data
branch's reader turns each line back with `from_json`, which checks every field's type and says
which line is wrong. The JSON shape is the design's (schema 1) and must never change: snapshots
on data branches stay forever. A line read from an old or partial snapshot keeps exactly its keys
(`to_dict` leaves out what the line did not have), so a record read and written again is the same
line, and readers that look for a key (`"posted" in record`) see what was written.

>>> line = FeedbackRecord(reply_comment_id=9, up=1, collected_at="2024-05-01T00:00:00Z").to_json()
>>> FeedbackRecord.from_json(line, "f.jsonl line 1").up
1
>>> FeedbackRecord.from_json('{"up": 1}', "f.jsonl line 2")
Traceback (most recent call last):
...
review_forge.bot.errors.FormatError: f.jsonl line 2: not a feedback record (no reply_comment_id)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from review_forge.bot.errors import FormatError

SCHEMA = 1
# Written by `learn` only (between `reactors` and `collected_at`); a collected record has neither.
LEARN_KEYS = ("rating", "source")
KEYS = ("schema", "repo", "pr", "review_comment_id", "reply_comment_id", "body", "diff_hunk",
        "path", "posted", "up", "down", "reactors", *LEARN_KEYS, "collected_at")  # fmt: skip


@dataclass(frozen=True)
class FeedbackRecord:
    """A snapshot of the reactions on one bot reply, or a verdict given by hand (`source`)."""

    reply_comment_id: int | str  # the bot's reply; "manual-..." for a verdict on a text
    schema: int = SCHEMA
    repo: str | None = None
    pr: int | None = None
    review_comment_id: int | None = None  # the scored comment
    body: str = ""
    diff_hunk: str | None = None
    path: str | None = None
    posted: dict[str, Any] | None = None  # the score object the reply showed
    up: int = 0
    down: int = 0
    reactors: int = 0
    rating: int | None = None
    source: str | None = None
    collected_at: str | None = None  # "YYYY-MM-DDTHH:MM:SSZ"
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys a later schema may add
    # Keys the line this was read from did not have (None: built here, every key is written).
    absent: frozenset[str] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in the design's order; what downstream readers consume."""
        out: dict[str, Any] = {}
        for name in KEYS:
            if self.absent is None:
                if name in LEARN_KEYS and self.source is None:
                    continue  # a collected record: no learn keys
            elif name in self.absent:
                continue
            out[name] = getattr(self, name)
        return out | dict(self.extra)

    def to_json(self) -> str:
        """One line (no newline), UTF-8 text kept as is."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str, where: str) -> FeedbackRecord:
        """The record on one line; FormatError naming `where` (file and line) when it is not."""
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise FormatError(f"{where}: not JSON ({getattr(exc, 'msg', exc)})") from None
        return cls.from_dict(data, where)

    @classmethod
    def from_dict(cls, data: Any, where: str) -> FeedbackRecord:
        if not isinstance(data, dict) or "reply_comment_id" not in data:
            raise FormatError(f"{where}: not a feedback record (no reply_comment_id)")
        known = set(KEYS)
        for name, check, wanted in _CHECKS:
            if name in data and not check(data[name]):
                raise FormatError(
                    f"{where}: {name} must be {wanted}, got {json.dumps(data[name])[:60]}"
                )
        if data.get("schema", SCHEMA) != SCHEMA:
            raise FormatError(
                f"{where}: schema {data['schema']} is newer than this review-forge reads "
                f"({SCHEMA}); upgrade review-forge"
            )
        values = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**values, extra=extra, absent=frozenset(known - data.keys()))


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _int_or_none(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def _str_or_none(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _comment_id(v: Any) -> bool:
    return (_int_or_none(v) and v is not None) or (isinstance(v, str) and bool(v))


def _score(v: Any) -> bool:
    return v is None or (isinstance(v, dict) and _int_or_none(v.get("score")))


def _rating(v: Any) -> bool:
    return v is None or (_count(v) and v <= 100)


_CHECKS = (
    ("reply_comment_id", _comment_id, "a comment id or a text key"),
    ("schema", _int_or_none, "a whole number"),
    ("repo", _str_or_none, "OWNER/NAME or null"),
    ("pr", _int_or_none, "a pull request number or null"),
    ("review_comment_id", _int_or_none, "a comment id or null"),
    ("body", lambda v: isinstance(v, str), "text"),
    ("diff_hunk", _str_or_none, "text or null"),
    ("path", _str_or_none, "text or null"),
    ("posted", _score, "a score object"),
    ("up", _count, "a count"),
    ("down", _count, "a count"),
    ("reactors", _count, "a count"),
    ("rating", _rating, "0-100 or null"),
    ("source", _str_or_none, "text or null"),
    ("collected_at", _str_or_none, "an ISO time or null"),
)


Rec = TypeVar("Rec", FeedbackRecord, dict[str, Any])


def latest_per_reply(records: Iterable[Rec]) -> list[Rec]:
    """The newest snapshot per `reply_comment_id`: latest `collected_at`, then latest in order.
    Records or their dicts alike.

    >>> latest_per_reply([
    ...     {"reply_comment_id": 1, "up": 1, "collected_at": "2024-05-02T00:00:00Z"},
    ...     {"reply_comment_id": 1, "up": 0, "collected_at": "2024-05-01T00:00:00Z"},
    ...     {"reply_comment_id": 2, "up": 3, "collected_at": "2024-05-01T00:00:00Z"}])
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'reply_comment_id': 1, 'up': 1, 'collected_at': '2024-05-02T00:00:00Z'},
     {'reply_comment_id': 2, 'up': 3, 'collected_at': '2024-05-01T00:00:00Z'}]
    """
    newest: dict[Any, tuple[datetime, Rec]] = {}
    for record in records:
        data = record if isinstance(record, dict) else record.to_dict()
        when = collected_when(data.get("collected_at"))
        key = data["reply_comment_id"]
        if key not in newest or when >= newest[key][0]:
            newest[key] = (when, record)
    return [record for _, record in newest.values()]


def collected_when(text: Any) -> datetime:
    """A `collected_at` as an aware time; an undated snapshot is older than any dated one."""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
