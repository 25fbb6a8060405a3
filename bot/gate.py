"""Compare two scorers on a held-out set, and the gate that keeps a worse adapter from shipping.

A held-out row is a synthetic row (`body`, `diff_hunk`, `path`, `target_score`, optionally
`target_dimensions`) or a feedback record (`posted`, `up`, `down`, `reply_comment_id`, ...; the
newest snapshot per reply counts; a person's own `rating` from `review-forge learn` is a target).
Each scorer scores every row once; the metrics are:

- MAE: mean absolute error of the score against `target_score` (and of the dimensions against
  `target_dimensions`, reported, not gated);
- agreement: a 👍 record (more 👍 than 👎) agrees when |score - posted score| <= margin, a 👎
  record when it is beyond the margin; a tie carries no verdict;
- format validity: the share of answers that parsed (no `fallback_reason`); the rubric's always
  do.

The gate refuses the candidate when it is worse than the current scorer by more than a tolerance
on any metric both scorers were measured on: format validity down by more than
`validity` (share), MAE up by more than `mae` (score points), agreement down by more than
`agreement` (share). Within the tolerances, or better, the candidate passes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from review_forge.bot.errors import FormatError, InputError
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, Scorer

AGREEMENT_MARGIN = 10  # score points; the feedback reward crosses 0.5 at the same line


@dataclass(frozen=True)
class HeldOutRow:
    id: str
    comment: Comment
    target: int | None = None
    target_dimensions: dict[str, int] | None = None
    verdict: str | None = None  # "up" or "down"
    posted: int | None = None


@dataclass(frozen=True)
class Metrics:
    scorer: str
    rows: int
    format_validity: float
    targets: int = 0
    mae: float | None = None
    dimension_mae: float | None = None
    feedback: int = 0
    agreement: float | None = None


@dataclass(frozen=True)
class Tolerances:
    validity: float = 0.02
    mae: float = 2.0
    agreement: float = 0.05


@dataclass
class Report:
    data: str
    candidate: Metrics
    current: Metrics
    margin: float
    tolerances: Tolerances
    reasons: list[str] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "margin": self.margin,
            "candidate": asdict(self.candidate),
            "current": asdict(self.current),
            "gate": {
                "passed": self.passed,
                "reasons": self.reasons,
                "tolerances": asdict(self.tolerances),
            },
            "scores": self.scores,
        }


def load_heldout(path: str | Path) -> list[HeldOutRow]:
    """Read the held-out JSONL; a line that is not usable is an error naming the line."""
    from review_forge.bot.github.data_branch import (
        latest_per_reply,  # PyGithub comes with bot.store: only when evaluating
    )

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
    rows = [r for r in rows if r.target is not None or r.verdict is not None]
    if not rows:
        raise InputError(
            f"{file} has no row with a target_score or a 👍/👎 verdict; nothing to evaluate on"
        )
    return rows


def _points(value: Any, what: str) -> int:
    number = round(float(value))
    if not 0 <= number <= 100:
        raise ValueError(f"{what} is {value}, outside 0-100")
    return number


def _row(file: Path, record: dict[str, Any]) -> HeldOutRow:
    number = record["_line"]
    try:
        target = record.get("target_score", record.get("rating"))  # `learn --rating` records
        target = None if target is None else _points(target, "target_score")
        dims = record.get("target_dimensions")
        dims = {d: _points(dims[d], d) for d in DIMENSIONS} if dims else None
        posted = record.get("posted")
        posted = None if posted is None else Score.from_dict(posted).score
        up, down = int(record.get("up") or 0), int(record.get("down") or 0)
    except (FormatError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{file} line {number}: {exc}") from None
    return HeldOutRow(
        id=str(record.get("id") or record.get("reply_comment_id") or f"line-{number}"),
        comment=Comment(record["body"], record.get("diff_hunk"), record.get("path")),
        target=target,
        target_dimensions=dims,
        verdict=None if posted is None or up == down else ("up" if up > down else "down"),
        posted=posted,
    )


def agrees(verdict: str, score: int, posted: int, margin: float = AGREEMENT_MARGIN) -> bool:
    """Whether a score agrees with people's verdict on the posted score.

    >>> agrees("up", 75, 70), agrees("up", 90, 70), agrees("down", 90, 70), agrees("down", 75, 70)
    (True, False, True, False)
    """
    near = abs(score - posted) <= margin
    return near if verdict == "up" else not near


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def measure(
    name: str, rows: Sequence[HeldOutRow], scores: Sequence[Score], margin: float
) -> Metrics:
    """The metrics of one scorer's scores for the held-out rows."""
    errors: list[float] = []
    dim_errors: list[float] = []
    verdicts: list[bool] = []
    for row, score in zip(rows, scores, strict=True):
        if row.target is not None:
            errors.append(abs(score.score - row.target))
        if row.target_dimensions:
            dim_errors += [abs(score.dimensions[d] - row.target_dimensions[d]) for d in DIMENSIONS]
        if row.verdict is not None and row.posted is not None:
            verdicts.append(agrees(row.verdict, score.score, row.posted, margin))
    return Metrics(
        scorer=name,
        rows=len(rows),
        format_validity=_mean([s.fallback_reason is None for s in scores]) or 0.0,
        targets=len(errors),
        mae=_mean(errors),
        dimension_mae=_mean(dim_errors),
        feedback=len(verdicts),
        agreement=_mean(verdicts),
    )


def gate(candidate: Metrics, current: Metrics, tolerances: Tolerances) -> list[str]:
    """Why the candidate is worse than the current scorer; empty when it may replace it.

    Higher is better for validity and agreement, lower for MAE; a metric only one of the two was
    measured on (no targets, no feedback) is not compared.
    """
    checks = [
        ("format validity", candidate.format_validity, current.format_validity, 1,
         tolerances.validity, "{:.1%}"),
        ("MAE against targets", candidate.mae, current.mae, -1, tolerances.mae, "{:.2f}"),
        ("agreement with 👍/👎", candidate.agreement, current.agreement, 1,
         tolerances.agreement, "{:.1%}"),
    ]  # fmt: skip
    reasons = []
    for what, new, old, better, tolerance, fmt in checks:
        if new is None or old is None or round((old - new) * better, 9) <= tolerance:
            continue
        moved = "fell" if better > 0 else "rose"
        reasons.append(
            f"{what} {moved} from {fmt.format(old)} to {fmt.format(new)} "
            f"(tolerance {fmt.format(tolerance)})"
        )
    return reasons


def compare(
    data: str,
    rows: Sequence[HeldOutRow],
    candidate: tuple[str, Scorer],
    current: tuple[str, Scorer],
    margin: float = AGREEMENT_MARGIN,
    tolerances: Tolerances | None = None,
) -> Report:
    """Score the rows with both scorers, measure both, and apply the gate."""
    tolerances = tolerances or Tolerances()
    comments = [r.comment for r in rows]
    new, old = candidate[1].score_many(comments), current[1].score_many(comments)
    a, b = measure(candidate[0], rows, new, margin), measure(current[0], rows, old, margin)
    scores = [
        {"id": r.id, "target": r.target, "posted": r.posted, "verdict": r.verdict,
         "candidate": n.score, "candidate_parsed": n.fallback_reason is None,
         "current": o.score, "current_parsed": o.fallback_reason is None}
        for r, n, o in zip(rows, new, old, strict=True)
    ]  # fmt: skip
    return Report(data, a, b, margin, tolerances, gate(a, b, tolerances), scores)


def table(report: Report) -> str:
    """The comparison as a fixed-width table, with the gate's verdict under it."""

    def cell(value: float | None, percent: bool = False) -> str:
        if value is None:
            return "-"
        return f"{value:.1%}" if percent else f"{value:.2f}"

    a, b = report.candidate, report.current
    lines = [
        ("", "candidate", "current"),
        ("scorer", a.scorer, b.scorer),
        ("rows", str(a.rows), str(b.rows)),
        ("format validity", cell(a.format_validity, True), cell(b.format_validity, True)),
        (f"MAE vs targets (n={a.targets})", cell(a.mae), cell(b.mae)),
        ("dimension MAE", cell(a.dimension_mae), cell(b.dimension_mae)),
        (f"agreement (n={a.feedback}, ±{report.margin:g})", cell(a.agreement, True),
         cell(b.agreement, True)),
    ]  # fmt: skip
    width = [max(len(row[i]) for row in lines) for i in range(3)]
    out = [f"{r[0]:<{width[0]}}  {r[1]:>{width[1]}}  {r[2]:>{width[2]}}" for r in lines]
    if report.passed:
        out.append("gate: PASS (the candidate is not worse than the current scorer)")
    else:
        out.extend(["gate: FAIL (the candidate is worse than the current scorer)"])
        out.extend(f"  - {reason}" for reason in report.reasons)
    return "\n".join(out)
