"""What the loop experiment's retrain learns from the feedback on the data branch.

Every learner continues the promoted adapter and trains only on the training side of the
retrain's own split (`training.retrain_data.split_feedback`), so the gate's held-out replies are
never trained on:

- `train_judged` (the experiment's default): `training.judgement.fit` reads from all the training
  side's 👍/👎 together where the people's judgement lies (which way, not only "not this"), and
  every training-side comment becomes an SFT target at that judgement.
- `train_approved`: the answers people approved (more 👍 than 👎) become SFT targets: the posted
  score object, rendered in the canonical format. A 👎 says "not this score" without saying
  which way, so those answers are left out; a direction can only come from the approved ones.
- `train_grpo`: GRPO with the recipe's rewards (format, and the feedback reward: 👍 keeps the
  posted score, 👎 moves away from it) on the same records the retrain entry point would use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.simulation.model import COMMON
from review_forge.bot.errors import InputError
from review_forge.bot.scoring.score import Comment, Score, render
from review_forge.training.data_synthesis import write_jsonl

APPROVED = (
    *COMMON,
    "training.num_train_epochs=2",
    "training.learning_rate=1e-3",
    "training.per_device_train_batch_size=16",
)
GRPO = (
    *COMMON,
    "training.learning_rate=2e-4",
    "training.grpo.num_generations=8",
    "training.grpo.max_completion_length=64",
    "training.grpo.temperature=0.8",
    "training.per_device_train_batch_size=8",
    "training.trainer_kwargs.generation_batch_size=8",
)


def approved_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """SFT rows from the training side's approved answers (newest snapshot per reply).

    >>> from review_forge.bot.scoring.score import DIMENSIONS
    >>> posted = Score(70, dict.fromkeys(DIMENSIONS, 70)).to_dict()
    >>> record = {"reply_comment_id": 3, "body": "Add a test.", "posted": posted, "up": 2,
    ...           "down": 1, "collected_at": "2026-01-01T00:00:00Z"}
    >>> [(r["target_score"], r["completion"].splitlines()[0]) for r in approved_rows([record])]
    [(70, 'Score: 70')]
    >>> approved_rows([dict(record, down=2)])
    []
    """
    from review_forge.training.dataset import split_feedback

    train_side, _ = split_feedback(records)
    return [
        {
            "id": f"approved-{r['reply_comment_id']}",
            "body": r["body"],
            "diff_hunk": r.get("diff_hunk"),
            "path": r.get("path"),
            "target_score": r["posted"]["score"],
            "target_dimensions": r["posted"]["dimensions"],
            "completion": render(Score.from_dict(r["posted"])),
        }
        for r in train_side
        if int(r.get("up") or 0) > int(r.get("down") or 0)
    ]


def judged_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """SFT rows from the training side's replies, each aimed at the people's judgement as
    `training.judgement.fit` reads it from all the training side's 👍/👎 together; the posted
    dimensions and first recommendation are kept."""
    from review_forge.training.dataset import split_feedback
    from review_forge.training.judgement import fit

    train_side, _ = split_feedback(records)
    model = fit(train_side)
    rows = []
    for r in train_side:
        target = model.predict(Comment(r["body"], r.get("diff_hunk"), r.get("path")))
        posted = Score.from_dict(r["posted"])
        rows.append({
            "id": f"judged-{r['reply_comment_id']}",
            "body": r["body"], "diff_hunk": r.get("diff_hunk"), "path": r.get("path"),
            "target_score": target, "target_dimensions": posted.dimensions,
            "completion": render(Score(target, posted.dimensions, {}, posted.recommendations[:1])),
        })  # fmt: skip
    return rows


def train_judged(
    records: Sequence[dict[str, Any]], out: Path, base: Path, parent: Path | None
) -> Path:
    """SFT towards the judgement read from the reactions, continuing `parent`."""
    return _sft(judged_rows(records), "judged", out, base, parent)


def train_approved(
    records: Sequence[dict[str, Any]], out: Path, base: Path, parent: Path | None
) -> Path:
    """SFT on the approved answers, continuing `parent`."""
    return _sft(approved_rows(records), "approved", out, base, parent)


def _sft(rows: list[dict[str, Any]], name: str, out: Path, base: Path, parent: Path | None) -> Path:
    """The warm-up recipe (`APPROVED` settings) on `rows`, continuing `parent`."""
    from review_forge.training.grpo_trainer import train

    if not rows:
        raise InputError(f"no {name} rows on the training side of the feedback yet")
    data = write_jsonl(rows, out.parent / f"{name}.jsonl")
    return train(
        [data], out, base_model=str(base), parent=parent, sft_warmup=True, overrides=APPROVED
    )


def train_grpo(
    records: Sequence[dict[str, Any]], out: Path, base: Path, parent: Path, steps: int
) -> Path:
    """GRPO on the training side of the feedback, continuing `parent`."""
    from review_forge.training.dataset import prepare
    from review_forge.training.grpo_trainer import train

    data = prepare(records, out.parent / "grpo-data", 0, 0)
    return train(
        data.train_files, out, base_model=str(base), parent=parent, max_steps=steps,
        overrides=GRPO,
    )  # fmt: skip
