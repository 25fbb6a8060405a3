"""The gate: a candidate scorer replaces the current one only when it is better on held-out
feedback by more than its own noise, and never worse than the best scorer so far.

**The yardstick.** People's 👍/👎 say whether a posted score was about right, not what the right
score is; one 👎 points in no direction. The retrain's held-out replies carry the score that was
posted and the reactions to it, and the yardstick is how surprised a scorer is by those reactions:
taking its score as the people's, the reactions' negative log-likelihood under the reaction
model the retrain's targets are fitted with (`reaction_surprise`: 👍 likely when the posted score
is within the agreement margin of it, 👎 likely when it is not, some noise either way), in nats
per reply, lower is better. A score given by hand (`review-forge learn --rating`) or a
`judged_score` in the file is the people's score itself; where the held-out set has those, the
yardstick is the absolute error against them, in points.

Measured on the loop experiment's held-out replies (README, "Does it learn?"): the team's own
judgement beats the rubric on this yardstick in every seed from the first week, as it should. The
earlier yardstick, the error against a judgement fitted on the held-out reactions, put the
rubric ahead of the team's own judgement in 4 seeds of 4 (its L2 penalty pulls the fitted
judgement to the rubric, so only the rubric could win).

Why it cannot be gamed: the posted scores differ from comment to comment (the scorer's score
and `explore`'s offset), and most replies get a 👍, so a constant scorer, or an extreme one (0
or 100), is far from most posted scores and pays for every 👍 there; a scorer that moves away
from every posted score pays for the 👍 too; one that copies the posted score pays for every 👎.
A score that lies where the people's does, comment by comment, explains both best. The limit:
a 👎 is as likely wherever a score lies beyond the margin, so on comments where the rubric is far
from the people and most replies get a 👎, a scorer that moves away from the posted score the
wrong way can still beat the rubric (README, "Does it learn?": one such promotion in 16 retrains).

**The rule** (`decide`), on the held-out replies the yardstick covers:

1. enough of them (`Rules.min_replies`), or the current scorer stays and the reason says how
   many more are needed;
2. format validity: a first adapter needs `min_validity`, a later one may not lose more than
   `validity_tolerance`;
3. the candidate beats the rubric, and the promoted adapter if there is one: the mean of the
   per-reply differences, resampled over replies (bootstrap), is above zero at `confidence`
   (its lower bound is > 0), so a gain inside the noise is not a gain;
4. its gain over the rubric is not below the best gain any promoted scorer had (kept in the
   manifest) by more than the tolerance (`best_tolerance` points, `best_tolerance_nats` nats):
   a chain of small losses cannot add up.

Pure and dependency-free: `review-forge eval` and the retrain both use it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from review_forge.bot.scoring.score import Comment, Score, Scorer

AGREEMENT_MARGIN = 10  # score points: a 👍 says the posted score was within this of the person's
SOFTNESS = 5.0  # score points over which a 👍 turns into a 👎 around the margin
FLIP = 0.1  # the chance that a reaction goes the other way (noise, a person's own lean)
POINTS, NATS = "points", "nats"  # the yardstick's units: error vs a judgement, surprise


@dataclass(frozen=True)
class HeldOutRow:
    id: str
    comment: Comment
    judged: int | None = None  # the people's score, read from held-out reactions or a rating
    target: int | None = None  # a synthetic row's label (format checks, not the yardstick)
    posted: int | None = None
    up: int = 0
    down: int = 0


@dataclass(frozen=True)
class Measure:
    """One scorer on the held-out rows: per-reply errors against the judgements, and validity."""

    scorer: str
    validity: float
    errors: tuple[float, ...]  # one per row the yardstick covers, in row order (see `unit`)
    synthetic_mae: float | None = None
    unit: str = POINTS  # POINTS: |score - judged|; NATS: the surprise at the reactions

    @property
    def mae(self) -> float | None:
        return round(sum(self.errors) / len(self.errors), 3) if self.errors else None


@dataclass(frozen=True)
class Rules:
    min_replies: int = 30
    resamples: int = 1000
    confidence: float = 0.95
    best_tolerance: float = 1.0  # score points of gain over the rubric
    best_tolerance_nats: float = 0.05  # the same on the reactions' yardstick, nats per reply
    min_validity: float = 0.8  # a first adapter's format validity
    validity_tolerance: float = 0.02


@dataclass
class Decision:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    gains: dict[str, dict[str, float]] = field(default_factory=dict)  # reference: gain, lower
    gain_over_rubric: float | None = None
    unit: str = POINTS  # of the gains

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": self.reasons, "gains": self.gains,
                "gain_over_rubric": self.gain_over_rubric, "unit": self.unit}  # fmt: skip


def reaction_surprise(score: float, row: HeldOutRow) -> float:
    """The negative log-likelihood, in nats, of a reply's 👍/👎 if the people's score for its
    comment were `score`: each reaction is a coin that comes up 👍 with probability
    `FLIP + (1 - 2 FLIP) * sigmoid((AGREEMENT_MARGIN - |posted - score|) / SOFTNESS)`, the
    model `training/judgement.py` fits the retrain's targets with.

    >>> row = HeldOutRow("1", Comment("x"), posted=60, up=2, down=0)
    >>> near, far = reaction_surprise(62, row), reaction_surprise(90, row)
    >>> round(near, 2), round(far, 2), near < far
    (0.55, 4.34, True)
    >>> round(reaction_surprise(90, HeldOutRow("2", Comment("x"), posted=60, down=1)), 2)
    0.12
    """
    distance = math.sqrt((float(row.posted or 0) - score) ** 2 + 1.0)  # |.|, smooth at 0 as there
    agree = FLIP + (1 - 2 * FLIP) / (1 + math.exp((distance - AGREEMENT_MARGIN) / SOFTNESS))
    return -(row.up * math.log(agree) + row.down * math.log1p(-agree))


def reacted(row: HeldOutRow) -> bool:
    """Whether the reply has a posted score and anyone reacted to it."""
    return row.posted is not None and row.up + row.down > 0


def measure(name: str, rows: Sequence[HeldOutRow], scores: Sequence[Score]) -> Measure:
    """The yardstick per reply (the error against the judgements where the set has any, else
    the surprise at the reactions), format validity, and MAE on synthetic targets."""
    pairs = list(zip(rows, scores, strict=True))
    if any(r.judged is not None for r in rows):
        unit = POINTS
        errors = tuple(float(abs(s.score - r.judged)) for r, s in pairs if r.judged is not None)
    else:
        unit = NATS
        errors = tuple(round(reaction_surprise(s.score, r), 6) for r, s in pairs if reacted(r))
    synthetic = [abs(s.score - r.target) for r, s in zip(rows, scores, strict=True)
                 if r.target is not None]  # fmt: skip
    validity = sum(s.fallback_reason is None for s in scores) / len(scores) if scores else 0.0
    return Measure(
        name, round(validity, 3), errors,
        round(sum(synthetic) / len(synthetic), 3) if synthetic else None, unit,
    )  # fmt: skip


def score_and_measure(name: str, scorer: Scorer, rows: Sequence[HeldOutRow]) -> Measure:
    return measure(name, rows, scorer.score_many([r.comment for r in rows]))


def bootstrap_gain(
    reference: Sequence[float], candidate: Sequence[float], resamples: int, confidence: float,
    seed: int = 0,
) -> tuple[float, float]:  # fmt: skip
    """(mean gain, its lower bound at `confidence`): how much lower the candidate's per-reply
    errors are than the reference's, resampling replies with replacement.

    >>> bootstrap_gain([10, 10, 10, 10], [5, 5, 5, 5], 200, 0.95)
    (5.0, 5.0)
    >>> gain, lower = bootstrap_gain([10, 0, 10, 0], [0, 10, 0, 10], 200, 0.95)
    >>> gain, lower < 0
    (0.0, True)
    """
    diffs = [r - c for r, c in zip(reference, candidate, strict=True)]
    if not diffs:
        return 0.0, 0.0
    rng = random.Random(seed)
    n = len(diffs)
    means = sorted(sum(rng.choices(diffs, k=n)) / n for _ in range(resamples))
    lower = means[int((1 - confidence) * resamples)]
    return round(sum(diffs) / n, 3), round(lower, 3)


def too_few(replies: int, rules: Rules) -> str | None:
    """Why `replies` held-out replies with a judgement cannot tell a better scorer from noise.

    >>> too_few(12, Rules(min_replies=30))[:60]
    'only 12 held-out replies with reactions; the gate needs 30 t'
    >>> too_few(30, Rules(min_replies=30)) is None
    True
    """
    if replies >= rules.min_replies:
        return None
    more = rules.min_replies - replies
    return (
        f"only {replies} held-out replies with reactions; the gate needs {rules.min_replies} to "
        f"tell a better scorer from noise: {more} more (1 reacted reply in 5 is held out, so "
        f"about {5 * more} more reacted replies in all)"
    )


def yardstick(unit: str) -> str:
    """What the per-reply figures of a measure in `unit` are, for people to read."""
    if unit == POINTS:
        return "error against the people's judgement (points)"
    return "surprise at the held-out reactions (nats a reply)"


def decide(
    candidate: Measure,
    rubric: Measure,
    promoted: Measure | None = None,
    best_gain: float | None = None,
    rules: Rules | None = None,
) -> Decision:
    """Whether the candidate may replace the current scorer, and why not (see the module)."""
    rules = rules or Rules()
    decision = Decision(passed=False)
    n = len(candidate.errors)
    if short := too_few(n, rules):
        decision.reasons.append(short)
        return decision
    if promoted is None and candidate.validity < rules.min_validity:
        decision.reasons.append(
            f"format validity {candidate.validity:.0%} is below the {rules.min_validity:.0%} a "
            "first adapter needs"
        )
    if promoted is not None and promoted.validity - candidate.validity > rules.validity_tolerance:
        decision.reasons.append(
            f"format validity fell from {promoted.validity:.0%} to {candidate.validity:.0%}"
        )
    for reference in (rubric, promoted):
        if reference is None:
            continue
        gain, lower = bootstrap_gain(
            reference.errors, candidate.errors, rules.resamples, rules.confidence
        )
        decision.gains[reference.scorer] = {"gain": gain, "lower": lower}
        if lower <= 0:
            decision.reasons.append(
                f"not better than {reference.scorer} beyond noise: {yardstick(candidate.unit)} "
                f"{candidate.mae:.2f} vs {reference.mae:.2f} (gain {gain:+.2f}, lower bound "
                f"{lower:+.2f} at {rules.confidence:.0%} over {n} held-out replies)"
            )
    decision.gain_over_rubric = decision.gains[rubric.scorer]["gain"]
    decision.unit = candidate.unit
    tolerance = rules.best_tolerance if candidate.unit == POINTS else rules.best_tolerance_nats
    if best_gain is not None and decision.gain_over_rubric < best_gain - tolerance:
        decision.reasons.append(
            f"its gain over the rubric ({decision.gain_over_rubric:+.2f} {candidate.unit}) is "
            f"more than {tolerance:g} below the best promoted so far ({best_gain:+.2f})"
        )
    decision.passed = not decision.reasons
    return decision


def table(measures: Sequence[Measure], decision: Decision) -> str:
    """The scorers side by side, with the gate's verdict under them."""

    def cell(value: float | None, percent: bool = False) -> str:
        if value is None:
            return "-"
        return f"{value:.1%}" if percent else f"{value:.2f}"

    n = len(measures[0].errors)
    lines = [
        ("", *(m.scorer for m in measures)),
        (f"{yardstick(measures[0].unit)} (n={n})", *(cell(m.mae) for m in measures)),
        ("MAE vs synthetic targets", *(cell(m.synthetic_mae) for m in measures)),
        ("format validity", *(cell(m.validity, True) for m in measures)),
    ]
    width = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    out = ["  ".join(f"{c:<{width[0]}}" if i == 0 else f"{c:>{width[i]}}" for i, c in enumerate(r))
           for r in lines]  # fmt: skip
    if decision.passed:
        out.append("gate: PASS (better than the current scorer beyond noise)")
    else:
        out.append("gate: FAIL (the current scorer stays)")
        out.extend(f"  - {reason}" for reason in decision.reasons)
    return "\n".join(out)
