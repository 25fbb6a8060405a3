"""The gate: a candidate scorer replaces the current one only when it is better on held-out
feedback by more than its own noise, and never worse than the best scorer so far.

**The yardstick.** People's 👍/👎 say whether a posted score was about right, not what the right
score is. The retrain's held-out replies carry the score that was posted and the reactions to
it, and the yardstick is how surprised a scorer is by those reactions: taking its score as the
people's, the reactions' negative log-likelihood under the reaction model the retrain's targets
are fitted with (`reaction_surprise`), in nats per reply, lower is better. A score given by hand
(`review-forge learn --rating`) or a `judged_score` in the file is the people's score itself;
where the held-out set has those, the yardstick is the absolute error against them, in points.

Why it cannot be gamed: posted scores differ from comment to comment (the scorer's and
`explore`'s offset) and most replies get a 👍, so a constant or extreme scorer pays for every 👍
far from it; one that copies the posted score pays for every 👎. Rule 4 closes the way left: a
👎 is as likely wherever a score lies beyond the margin, so where the current scorer is far from
the people, moving away from it in either direction lowers the surprise.

**The rule** (`decide`), on the held-out replies the yardstick covers:

1. enough of them (`Rules.min_replies`), or the current scorer stays and the reason says how
   many more are needed;
2. format validity: a first adapter needs `min_validity`, a later one may not lose more than
   `validity_tolerance`;
3. the candidate beats the rubric, and the promoted adapter if there is one: the mean of the
   per-reply differences, resampled over replies (bootstrap), is above zero at `confidence`;
4. on reactions, its moves point the right way: it also beats its mirror image around each of
   them (every departure made the other way) at that confidence (`_direction`);
5. its gain over the rubric is not below the best gain any promoted scorer had (kept in the
   manifest) by more than the tolerance: a chain of small losses cannot add up.

Pure and dependency-free: `review-forge eval` and the retrain both use it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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
    # NATS only: the rows the errors cover and this scorer's score on each (rule 4).
    covered: tuple[HeldOutRow, ...] = field(default=(), compare=False, repr=False)
    scores: tuple[int, ...] = field(default=(), compare=False, repr=False)

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
        return asdict(self)


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
    covered: list[tuple[HeldOutRow, int]] = []
    if any(r.judged is not None for r in rows):
        unit = POINTS
        errors = tuple(float(abs(s.score - r.judged)) for r, s in pairs if r.judged is not None)
    else:
        unit = NATS
        covered = [(r, s.score) for r, s in pairs if reacted(r)]
        errors = tuple(round(reaction_surprise(s, r), 6) for r, s in covered)
    synthetic = [abs(s.score - r.target) for r, s in pairs if r.target is not None]
    validity = sum(s.fallback_reason is None for s in scores) / len(scores) if scores else 0.0
    return Measure(
        name, round(validity, 3), errors,
        round(sum(synthetic) / len(synthetic), 3) if synthetic else None, unit,
        tuple(r for r, _ in covered), tuple(s for _, s in covered),
    )  # fmt: skip


def mirrored(candidate: Measure, reference: Measure) -> tuple[float, ...]:
    """The surprise of the candidate's mirror image around `reference`: its departures from the
    reference made the other way (`2 * reference - candidate`, within 0-100).

    >>> row = HeldOutRow("1", Comment("x"), posted=50, down=2)  # the people: far off 50
    >>> up, ref = (Measure(n, 1, (), None, NATS, (row,), (s,)) for n, s in (("c", 80), ("r", 50)))
    >>> mirrored(up, ref) == (round(reaction_surprise(20, row), 6),)
    True
    """
    return tuple(
        round(reaction_surprise(max(0, min(100, 2 * r - c)), row), 6)
        for row, c, r in zip(candidate.covered, candidate.scores, reference.scores, strict=True)
    )


def score_and_measure(name: str, scorer: Scorer, rows: Sequence[HeldOutRow]) -> Measure:
    return measure(name, rows, scorer.score_many([r.comment for r in rows]))


def bootstrap_gain(
    reference: Sequence[float], candidate: Sequence[float], resamples: int, confidence: float
) -> tuple[float, float]:
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
    rng = random.Random(0)  # the same verdict on the same data, every run
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
        pair = reference.errors, candidate.errors
        gain, lower = bootstrap_gain(*pair, rules.resamples, rules.confidence)
        decision.gains[reference.scorer] = {"gain": gain, "lower": lower}
        if lower <= 0:
            decision.reasons.append(
                f"not better than {reference.scorer} beyond noise: {yardstick(candidate.unit)} "
                f"{candidate.mae:.2f} vs {reference.mae:.2f} (gain {gain:+.2f}, lower bound "
                f"{lower:+.2f} at {rules.confidence:.0%} over {n} held-out replies)"
            )
        elif candidate.unit == NATS and reference.scores:
            decision.reasons.extend(_direction(candidate, reference, rules, decision))
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


def _direction(
    candidate: Measure, reference: Measure, rules: Rules, decision: Decision
) -> list[str]:
    """Rule 4: why the candidate's moves away from the reference do not point where the people
    are: its mirror image explains the reactions as well."""
    mirror = mirrored(candidate, reference)
    gain, lower = bootstrap_gain(mirror, candidate.errors, rules.resamples, rules.confidence)
    decision.gains[reference.scorer].update(over_mirror=gain, over_mirror_lower=lower)
    if lower > 0:
        return []
    return [
        f"its moves away from {reference.scorer} point the wrong way or nowhere: the same moves "
        f"made the other way explain the held-out reactions as well (surprise "
        f"{candidate.mae:.2f} vs {sum(mirror) / len(mirror):.2f} nats a reply, lower bound of "
        f"the difference {lower:+.2f} at {rules.confidence:.0%})"
    ]


def table(measures: Sequence[Measure], decision: Decision) -> str:
    """The scorers side by side, with the gate's verdict under them."""

    def cell(value: float | None, percent: bool = False) -> str:
        return "-" if value is None else f"{value:.1%}" if percent else f"{value:.2f}"

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
