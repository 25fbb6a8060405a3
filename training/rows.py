"""Training rows from JSONL: synthetic rows and feedback records, read and counted.

Two kinds of lines are read, from files or folders (a folder such as the data branch's
`feedback/` tree is read recursively in path order, which is chronological):

- synthetic rows (`training/data_synthesis.py`): `id, body, diff_hunk, path, target_score,
  target_dimensions, completion`;
- feedback records (the design's contract): `body, diff_hunk, path, posted, up, down,
  reply_comment_id, collected_at, ...`. The newest snapshot per `reply_comment_id` wins.

Every row carries the columns the reward functions (`training/rewards.py`) read:
`target_score` and `target_dimensions` (synthetic labels, or None), `posted_score` (the score
people reacted to, or None) and `feedback` (👍 minus 👎: its sign says whether people agreed with
the posted score). A record whose reactions cancel out, or that has none, carries no signal and is
left out (and counted). No Oumi here: the trainer checks its data before loading Oumi.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from review_forge.bot.errors import FormatError, InputError
from review_forge.bot.scoring.score import DIMENSIONS, Score


@dataclass(frozen=True)
class TrainingData:
    """What a set of data paths holds once read: the rows and how they were counted."""

    rows: list[dict[str, Any]]
    synthetic: int
    feedback_snapshots: int
    feedback_used: int
    feedback_without_signal: int

    def digest(self) -> str:
        """sha256 of the rows as read (text and labels): the manifest's data hash."""
        blob = json.dumps(self.rows, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "synthetic": self.synthetic,
            "feedback_snapshots": self.feedback_snapshots,
            "feedback_used": self.feedback_used,
            "feedback_without_signal": self.feedback_without_signal,
        }


def read_training_data(paths: Sequence[str | Path]) -> TrainingData:
    """Read synthetic rows and feedback records from JSONL files or folders of them.

    >>> import tempfile, json, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> posted = {"score": 30, "dimensions": dict.fromkeys(DIMENSIONS, 30)}
    >>> old = {"reply_comment_id": 7, "body": "Fix it.", "posted": posted, "up": 0, "down": 1,
    ...        "collected_at": "2026-01-01T00:00:00Z"}
    >>> new = dict(old, up=2, down=1, collected_at="2026-01-02T00:00:00Z")
    >>> _ = (d / "f.jsonl").write_text(json.dumps(new) + "\\n" + json.dumps(old) + "\\n")
    >>> data = read_training_data([d])
    >>> data.feedback_snapshots, [(r["posted_score"], r["feedback"]) for r in data.rows]
    (2, [(30.0, 1)])
    """
    synthetic: list[dict[str, Any]] = []
    newest: dict[str, tuple[datetime, dict[str, Any]]] = {}
    snapshots = 0
    for file in _jsonl_files(paths):
        for number, record in _read_jsonl(file):
            where = f"{file}:{number}"
            if "posted" in record:
                snapshots += 1
                key = str(_required(record, "reply_comment_id", where))
                when = _collected_at(record, where)
                if key not in newest or when >= newest[key][0]:
                    newest[key] = (when, _feedback_row(record, where))
            else:
                synthetic.append(_synthetic_row(record, where))
    feedback = [row for _, row in newest.values()]
    used = [row for row in feedback if row["feedback"] != 0]
    rows = synthetic + used
    if not rows:
        raise InputError(
            f"no training rows in {', '.join(map(str, paths))}: give synthetic rows "
            "(training/data_synthesis.py) or feedback records with 👍/👎 reactions"
        )
    return TrainingData(rows, len(synthetic), snapshots, len(used), len(feedback) - len(used))


def sft_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with a canonical completion (synthetic ones): the SFT warm-up's examples."""
    chosen = [r for r in rows if r.get("completion")]
    if not chosen:
        raise InputError("the SFT warm-up needs synthetic rows with a `completion` field")
    return chosen


def _jsonl_files(paths: Sequence[str | Path]) -> Iterable[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(path.rglob("*.jsonl"))
        elif path.is_file():
            yield path
        else:
            raise InputError(f"training data {path} not found; give a JSONL file or a folder")


def _read_jsonl(file: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{file}:{number} is not JSON ({exc.msg}); fix or remove it") from None
        if not isinstance(record, dict):
            raise InputError(f"{file}:{number} must be a JSON object")
        yield number, record


def _required(record: dict[str, Any], key: str, where: str) -> Any:
    if record.get(key) in (None, ""):
        raise InputError(f"{where} has no `{key}`")
    return record[key]


def _number(value: Any, name: str, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {name} {value!r} is not a number") from None


def _collected_at(record: dict[str, Any], where: str) -> datetime:
    raw = str(record.get("collected_at") or "1970-01-01T00:00:00+00:00")
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: collected_at {raw!r} is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _text(record: dict[str, Any], where: str) -> dict[str, Any]:
    return {
        "body": str(_required(record, "body", where)),
        "diff_hunk": str(record.get("diff_hunk") or ""),
        "path": str(record.get("path") or "") or None,
    }


def _synthetic_row(record: dict[str, Any], where: str) -> dict[str, Any]:
    dims = record.get("target_dimensions") or {}
    if not isinstance(dims, dict):
        raise InputError(f"{where}: target_dimensions must be an object of dimension: score")
    return {
        "id": str(record.get("id") or where),
        **_text(record, where),
        "target_score": _number(_required(record, "target_score", where), "target_score", where),
        "target_dimensions": {
            d: None if dims.get(d) is None else _number(dims[d], d, where) for d in DIMENSIONS
        },
        "posted_score": None,
        "feedback": 0,
        "completion": record.get("completion") or None,
    }


def _feedback_row(record: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        posted = Score.from_dict(_required(record, "posted", where))
    except (FormatError, ValueError) as exc:
        raise InputError(f"{where}: the posted score object is unusable: {exc}") from None
    up, down = (_number(record.get(k) or 0, k, where) for k in ("up", "down"))
    return {
        "id": f"feedback-{record['reply_comment_id']}",
        **_text(record, where),
        "target_score": None,
        "target_dimensions": None,
        "posted_score": float(posted.score),
        "feedback": int(up - down),
        "completion": None,
    }
