"""What people's 👍/👎 say about the score they would give, pooled over many comments.

A 👍 on a posted score says "about right" (within the agreement margin); a 👎 says "not this",
and not which way. One record cannot say whether the score was too high or too low, so a learner
that only sees one record at a time (SFT on the approved answers, or the feedback reward that
moves away from a 👎 in either direction) gets no direction from it. Many records together do:
among comments alike in some word, those posted higher were approved and those posted lower were
not, and that says which way the people lean on such comments.

`fit` finds that lean by maximum likelihood:

    judgement(comment) = rubric score + w . features(comment)

where the features are the comment's words (hashed into buckets, present or not), its length and
a constant, and every reaction is a coin that comes up 👍 with probability

    flip + (1 - 2 flip) * sigmoid((margin - |posted - judgement|) / softness)

(people who approve of a score near their own judgement, and some noise). An L2 penalty (a
prior worth `prior` nats over all the records, so its pull on the mean shrinks as reactions
accumulate) keeps `w` at zero where the reactions say nothing, so the judgement stays the rubric's
there (README, "Does it learn?": a fixed penalty per record kept the fitted departures at about
half the team's however many reactions came in). The result gives every comment of the training
side a directional target, the one the candidate trains towards (`judged_rows`). The gate
(`bot/gate.py`) reads the held-out side's reactions with the same reaction model, without fitting
anything to them. Torch is imported inside functions.

The targets copy the rubric's score where the fitted lean is within `STILL` points of it, and those
rows count twice (`judged_rows`): the candidate's prompt carries the rubric's first pass and a
base that answers it back, and a small model trained on leans everywhere moved every kind of
comment alike, while one that sees most comments copied learns to depart only where the words
earned it (README, "Does it learn?").
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from review_forge.bot.gate import AGREEMENT_MARGIN, FLIP, SOFTNESS
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import Comment, Score, render

STILL = 2  # points: a fitted lean this small is read as none, the target is the first pass

BUCKETS = 4096
WORD = re.compile(r"[a-z]+")


def features(body: str, buckets: int = BUCKETS) -> list[int]:
    """Bucket indices of a comment's words (deterministic across processes, unlike `hash`).

    >>> features("Add a test, a TEST!") == features("add test a")
    True
    """
    words = set(WORD.findall(body.lower()))
    return sorted({zlib.crc32(w.encode()) % buckets for w in words})


@dataclass(frozen=True)
class JudgementModel:
    """A fitted lean per word bucket, per length unit and overall, on top of the rubric."""

    word_weights: dict[int, float]
    length_weight: float
    bias: float

    def lean(self, body: str) -> float:
        """How far the people's judgement of `body` lies from the rubric's score, in points."""
        words = sum(self.word_weights.get(i, 0.0) for i in features(body))
        return self.bias + words + self.length_weight * _length(body)

    def predict(self, comment: Comment) -> int:
        """The people's judgement of `comment`: the rubric's score moved by the lean, 0-100."""
        return max(0, min(100, round(score_comment(comment).score + self.lean(comment.body))))


def _length(body: str) -> float:
    return math.log1p(len(body.split())) / 5


def fit(
    records: Sequence[dict[str, Any]],
    *,
    margin: float = AGREEMENT_MARGIN,
    softness: float = SOFTNESS,
    flip: float = FLIP,
    prior: float = 0.2,
    steps: int = 400,
    starts: int = 8,
    spread: float = 10.0,
) -> JudgementModel:
    """Fit the lean to feedback records (`body`, `posted.score`, `up`, `down`; newest snapshot
    per reply, as `training.dataset.split_feedback` gives them). Records without votes are
    left out; with none at all the model is the rubric. `prior` weighs the L2 penalty against
    the summed log-likelihood (per record: `prior / n`)."""
    import torch

    voted = [r for r in records if int(r.get("up") or 0) + int(r.get("down") or 0) > 0]
    if not voted:
        return JudgementModel({}, 0.0, 0.0)
    rows = [features(r["body"]) for r in voted]
    used = sorted({i for row in rows for i in row})
    column = {bucket: index for index, bucket in enumerate(used)}
    x = torch.zeros(len(voted), len(used))
    for n, row in enumerate(rows):
        x[n, [column[i] for i in row]] = 1.0
    length = torch.tensor([_length(r["body"]) for r in voted])
    rubric = torch.tensor(
        [
            float(score_comment(Comment(r["body"], r.get("diff_hunk"), r.get("path"))).score)
            for r in voted
        ]
    )
    posted = torch.tensor([float(r["posted"]["score"]) for r in voted])
    up = torch.tensor([float(r.get("up") or 0) for r in voted])
    down = torch.tensor([float(r.get("down") or 0) for r in voted])
    l2 = prior / len(voted)

    # The likelihood has more than one hill: a 👎 on a score near the rubric's fits a judgement
    # far above it as well as one far below, and a climb that starts at the rubric goes up or
    # down by the first records it meets. So climb from several starts at once (the rubric and
    # random leans, the same on every run) and keep the start that explains the reactions best.
    generator = torch.Generator().manual_seed(0)
    w = torch.randn(starts, len(used), generator=generator) * spread
    w[0] = 0.0
    w.requires_grad_(True)
    extra = torch.zeros(starts, 2, requires_grad=True)  # length weight, bias; per start
    optimizer = torch.optim.Adam([w, extra], lr=0.5)
    for _ in range(steps):
        loss = _loss(w, extra, x, length, rubric, posted, up, down, margin, softness, flip, l2)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
    with torch.no_grad():
        loss = _loss(w, extra, x, length, rubric, posted, up, down, margin, softness, flip, l2)
        best = int(torch.argmin(loss))
    weights = {bucket: float(w[best, column[bucket]].detach()) for bucket in used}
    return JudgementModel(weights, float(extra[best, 0].detach()), float(extra[best, 1].detach()))


def _loss(
    w: Any, extra: Any, x: Any, length: Any, rubric: Any, posted: Any, up: Any, down: Any,
    margin: float, softness: float, flip: float, l2: float,
) -> Any:  # fmt: skip
    """Per start: the reactions' mean negative log-likelihood plus the L2 penalty."""
    import torch

    judged = (
        rubric[:, None] + x @ w.T + length[:, None] * extra[:, 0] + extra[:, 1]
    )  # records x starts
    distance = torch.sqrt((posted[:, None] - judged) ** 2 + 1.0)  # |.|, smooth at 0
    p_up = flip + (1 - 2 * flip) * torch.sigmoid((margin - distance) / softness)
    log_likelihood = up[:, None] * torch.log(p_up) + down[:, None] * torch.log1p(-p_up)
    penalty = l2 * (w.pow(2).sum(dim=1) + extra.pow(2).sum(dim=1))
    return -log_likelihood.mean(dim=0) + penalty


def voted(record: dict[str, Any]) -> bool:
    """Whether anyone reacted to the reply.

    >>> voted({"up": 0, "down": 2}), voted({"up": 0})
    (True, False)
    """
    return int(record.get("up") or 0) + int(record.get("down") or 0) > 0


def _comment(record: dict[str, Any]) -> Comment:
    return Comment(record["body"], record.get("diff_hunk"), record.get("path"))


def judged_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Training rows from feedback records: each comment aimed at the judgement fitted on all of
    `records` together, in the synthetic rows' shape (target score, the posted dimensions, and
    the canonical completion the SFT stage imitates); a comment whose judgement is within `STILL`
    points of the rubric's score is aimed at the rubric's score and comes twice (see the module).
    No votes at all: no rows."""
    if not any(voted(r) for r in records):
        return []
    model = fit(records)
    rows = []
    for r in records:
        comment = _comment(r)
        first = score_comment(comment).score
        target = model.predict(comment)
        still = abs(target - first) <= STILL
        target = first if still else target
        posted = Score.from_dict(r["posted"])
        row = {
            "id": f"judged-{r['reply_comment_id']}",
            "body": r["body"], "diff_hunk": r.get("diff_hunk"), "path": r.get("path"),
            "target_score": target, "target_dimensions": posted.dimensions,
            "completion": render(Score(target, posted.dimensions, {}, posted.recommendations[:1])),
        }  # fmt: skip
        rows += [row, {**row, "id": f"{row['id']}-copy"}] if still else [row]
    return rows
