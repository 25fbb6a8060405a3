"""Where collection stands, kept on the data branch: the cursor of the pass over the comments, and
the paths of new files.

Each collect run writes, in the same commit as its snapshot, a small JSON file under
`collect/YYYY/MM/DD/` saying when its pass began, the window it reads, and the page and last
comment it got to. A run that ran out of requests leaves `complete: false`, and the next one
goes on from there instead of starting over; a complete pass tells the next where to begin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from review_forge.bot.errors import FormatError
from review_forge.bot.feedback.record import collected_when
from review_forge.bot.github.data_branch import FEEDBACK_DIR, DataStore, parse_records

CURSOR_DIR = "collect/"
KINDS = ("pulls", "issues")  # review comments, then conversation comments


@dataclass
class Cursor:
    """Where a pass over the comments stands; written with each snapshot, read by the next run."""

    started_at: str  # when the pass began: the next pass reads from here (minus the look-back)
    since: str | None  # the pass's window: comments updated since then
    kind: str = KINDS[0]
    page: int = 1  # the next page to read
    after: list[Any] | None = None  # [created_at, id] of the last comment read
    complete: bool = False
    written_at: str = ""

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Cursor:
        try:
            return cls(**json.loads(data))
        except (ValueError, TypeError) as exc:
            raise FormatError(f"{where}: not a collect cursor ({exc})") from None


def start_pass(
    store: DataStore, files: Mapping[str, str], since: datetime | None, now: datetime, days: int
) -> Cursor:
    """Go on with an unfinished pass, or begin one: from `since`, else from where the last
    complete pass began minus the look-back, else everything."""
    if since is not None:
        return Cursor(started_at=stamp(now), since=stamp(since))
    last = newest_cursor(store, files)
    if last is not None and not last.complete:
        return last
    begin = parse_time(last.started_at) if last else last_collected(store, files)
    window = begin - timedelta(days=days) if begin else None
    return Cursor(started_at=stamp(now), since=stamp(window) if window else None)


def newest_cursor(store: DataStore, files: Mapping[str, str]) -> Cursor | None:
    """The last run's cursor (by `written_at`, among the newest day's); None before the first."""
    paths = sorted(p for p in files if p.startswith(CURSOR_DIR) and p.endswith(".json"))
    if not paths:
        return None
    day = paths[-1].rsplit("/", 1)[0] + "/"
    found = []
    for path in (p for p in paths if p.startswith(day)):
        try:
            found.append(Cursor.from_json(store.read_blob(files[path]), path))
        except FormatError as exc:
            store.warn(f"{exc}; ignored")
    return max(found, key=lambda c: c.written_at, default=None)


def last_collected(store: DataStore, files: Mapping[str, str]) -> datetime | None:
    """The newest `collected_at` among feedback snapshots (those written before cursors were),
    reading only the newest day's."""
    paths = sorted(p for p in files if p.startswith(FEEDBACK_DIR) and p.endswith(".jsonl"))
    if not paths:
        return None
    newest_day = paths[-1].rsplit("/", 1)[0] + "/"
    times = [
        collected_when(r.collected_at)
        for path in paths
        if path.startswith(newest_day)
        for r in parse_records(store.read_blob(files[path]), path, store.warn)
        if r.collected_at
    ]
    return max((t for t in times if t.year > 1), default=None)


def free_path(files: Mapping[str, str], folder: str, now: datetime, run_id: str, ext: str) -> str:
    """`<folder>YYYY/MM/DD/<run-id><ext>`; when a re-run reuses the id, `<run-id>_002<ext>` and
    so on, which sort after it: path order stays chronological for readers.

    >>> free_path({"feedback/2024/05/01/77.jsonl": "x"}, "feedback/", datetime(2024, 5, 1), "77",
    ...           ".jsonl")
    'feedback/2024/05/01/77_002.jsonl'
    """
    day = f"{folder}{now:%Y/%m/%d}/"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id) or "run"
    path, n = f"{day}{safe}{ext}", 1
    while path in files:
        n += 1
        path = f"{day}{safe}_{n:03d}{ext}"
    return path


def snapshot_path(files: Mapping[str, str], now: datetime, run_id: str) -> str:
    """A new feedback snapshot's path (see `free_path`)."""
    return free_path(files, FEEDBACK_DIR, now, run_id, ".jsonl")


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))
