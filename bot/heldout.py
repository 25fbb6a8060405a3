"""The held-out set the gate judges on, read from its JSONL file (`bot/gate.py` judges it).

Synthetic rows carry a `target_score`; feedback records (the newest snapshot per reply) carry the
posted score and its 👍/👎, a `rating` given by hand or a `judged_score`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from review_forge.bot.errors import FormatError, InputError
from review_forge.bot.gate import HeldOutRow, reacted
from review_forge.bot.scoring.score import Comment, Score


def load_heldout(path: str | Path) -> list[HeldOutRow]:
    """Held-out JSONL: synthetic rows (`target_score`) and feedback records (newest snapshot per
    reply: the posted score and its 👍/👎, a `rating` given by hand or a `judged_score`). A bad
    line is an error naming it; rows with no target, judgement or reaction are left out."""
    from review_forge.bot.github.data_branch import latest_per_reply  # PyGithub: only here

    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read held-out set {file}: {exc}") from None
    synthetic, feedback = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("body"), str):
                raise ValueError("not an object with a string body")
        except ValueError as exc:
            raise InputError(f"{file} line {number}: {exc}") from None
        record = {**record, "_line": number}
        (feedback if "reply_comment_id" in record else synthetic).append(record)
    rows = [_row(file, r) for r in synthetic + latest_per_reply(feedback)]
    rows = [r for r in rows if r.target is not None or r.judged is not None or reacted(r)]
    if not rows:
        raise InputError(
            f"{file} has no row with a target_score, a judged_score, a rating or reactions to a "
            "posted score; nothing to evaluate on"
        )
    return rows


def _points(value: Any, what: str) -> int:
    number = round(float(value))
    if not 0 <= number <= 100:
        raise ValueError(f"{what} is {value}, outside 0-100")
    return number


def _optional(record: dict[str, Any], key: str) -> int | None:
    return None if record.get(key) is None else _points(record[key], key)


def _row(file: Path, record: dict[str, Any]) -> HeldOutRow:
    try:
        judged = _optional(record, "rating")  # `learn --rating`: the person's own score
        judged = _optional(record, "judged_score") if judged is None else judged
        posted = record.get("posted")
        return HeldOutRow(
            id=str(record.get("id") or record.get("reply_comment_id") or f"line-{record['_line']}"),
            comment=Comment(record["body"], record.get("diff_hunk"), record.get("path")),
            judged=judged,
            target=_optional(record, "target_score"),
            posted=None if posted is None else Score.from_dict(posted).score,
            up=int(record.get("up") or 0),
            down=int(record.get("down") or 0),
        )
    except (FormatError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{file} line {record['_line']}: {exc}") from None
