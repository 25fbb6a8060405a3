"""What a retrain learns from and is judged on: the data branch's feedback, split once and for
all, turned into targets with a direction, plus synthetic rows.

A reply's feedback is held out or trained on by a hash of its reply id, never by chance: the
same reply lands on the same side in every run, so no run is judged on comments an earlier run
trained on. Of each reply only the newest snapshot counts (`latest_per_reply`).

- Training side: the judgement model (`training/judgement.py`) reads from all its 👍/👎 together
  where the people's score for each comment lies; every training-side comment becomes a row
  aimed at that judgement (`train/judged.jsonl`).
- Held-out side: the reacted held-out replies, each with the score that was posted and its
  👍/👎 (`heldout.jsonl`): the gate measures how surprised a scorer is by those reactions
  (`bot/gate.py`).
- Synthetic rows (`training.data_synthesis`, rubric labels) join training to keep the format and
  the rubric's calibration where people said nothing, and with no feedback yet they are all there
  is (the bootstrap). The held-out synthetic rows come from their own seed and never appear in
  training; the gate checks format validity on them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review_forge.bot.github.data_branch import latest_per_reply
from review_forge.training.data_synthesis import synthesize
from review_forge.training.judgement import judged_rows, voted

HELDOUT_PERCENT = 20
TRAIN_SEED = 0
HELDOUT_SEED = 7919  # any seed but the training one; fixed so the held-out set is stable


@dataclass(frozen=True)
class RetrainData:
    """The files a retrain trains and evaluates on, and what went into them."""

    train_files: list[Path]
    heldout_file: Path
    counts: dict[str, int]

    @property
    def bootstrap(self) -> bool:
        """No reactions to train on yet: synthetic rows only."""
        return self.counts["train_replies_with_votes"] == 0


def is_heldout(reply_id: object, percent: int = HELDOUT_PERCENT) -> bool:
    """Whether a reply's feedback is held out for evaluation (about `percent` in 100 replies).

    >>> [i for i in range(1, 40) if is_heldout(i)]
    [13, 19, 27, 29, 31, 37]
    >>> sum(is_heldout(i) for i in range(10_000))
    2020
    """
    digest = hashlib.sha256(f"review-forge:{reply_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def split_feedback(
    records: Iterable[dict[str, Any]], percent: int = HELDOUT_PERCENT
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held-out): the newest snapshot of each reply, on its side of the split."""
    latest = latest_per_reply(records)
    heldout = [r for r in latest if is_heldout(r["reply_comment_id"], percent)]
    train = [r for r in latest if not is_heldout(r["reply_comment_id"], percent)]
    return train, heldout


def synthetic_rows(train: int, heldout: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held-out) synthetic rows; no training row shares a comment with a held-out one."""
    held = synthesize(heldout, seed=HELDOUT_SEED) if heldout else []
    seen = {(r["body"], r.get("diff_hunk")) for r in held}
    pool = synthesize(train + heldout, seed=TRAIN_SEED) if train else []
    return [r for r in pool if (r["body"], r.get("diff_hunk")) not in seen][:train], held


def prepare(
    records: Sequence[dict[str, Any]], folder: Path, synthetic: int, heldout_synthetic: int
) -> RetrainData:
    """Write `train/synthetic.jsonl`, `train/judged.jsonl` and `heldout.jsonl` in `folder`."""
    train_fb, held_fb = split_feedback(records)
    train_syn, held_syn = synthetic_rows(synthetic, heldout_synthetic)
    judged = judged_rows(train_fb)
    held_voted = [r for r in held_fb if voted(r)]
    (folder / "train").mkdir(parents=True, exist_ok=True)
    train_files = []
    for name, rows in (("synthetic", train_syn), ("judged", judged)):
        if rows:
            train_files.append(_write(folder / "train" / f"{name}.jsonl", rows))
    heldout = _write(folder / "heldout.jsonl", held_syn + held_voted)
    counts = {
        "feedback_snapshots": len(records),
        "replies": len(train_fb) + len(held_fb),
        "train_replies": len(train_fb),
        "train_replies_with_votes": sum(voted(r) for r in train_fb),
        "judged_rows": len(judged),
        "heldout_replies": len(held_fb),
        "heldout_replies_with_votes": len(held_voted),
        "synthetic_train": len(train_syn),
        "synthetic_heldout": len(held_syn),
    }
    return RetrainData(train_files, heldout, counts)


def _write(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path
