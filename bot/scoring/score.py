"""The score object and the canonical completion format: the one place that owns both.

The model writes, the reward functions check, the synthetic data renders and the parser reads
exactly this text, so they can never disagree::

    Score: 72
    Clarity: 80 - names the function and the failing input
    Completeness: 60 - does not say what should happen instead
    Actionability: 75 - proposes a concrete change
    Constructiveness: 85 - neutral, explains why
    Recommendations:
    - Say which input fails.

>>> s = parse("Score: 72/100\\nclarity: 80\\nCompleteness:60 - vague\\nActionability: 75\\n"
...           "Constructiveness: 85\\nRecommendations:\\n- Say which input fails.\\nThanks!")
>>> s.score, s.dimensions["completeness"], s.notes["completeness"], s.recommendations
(72, 60, 'vague', ['Say which input fails.'])
>>> parse(render(s)) == s
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from review_forge.bot.errors import FormatError


@dataclass(frozen=True)
class Comment:
    """What is scored: the comment's text and, when known, the code it is about."""

    body: str
    diff_hunk: str | None = None
    path: str | None = None


class Scorer(Protocol):
    """The rubric and the model alike: one score per comment, in order."""

    name: str

    def score_many(self, comments: Sequence[Comment]) -> list[Score]: ...


DIMENSIONS: tuple[str, ...] = ("clarity", "completeness", "actionability", "constructiveness")
SCORERS = ("rubric", "model")

# Lines may carry Markdown decoration ("**Score:** 72/100", "- Clarity: 80"); never cross a line.
_LEAD = r"^[^\w\n]*"
# "72", "72/100", "72%", "8/10" (a denominator other than 100 is scaled to 0-100).
_NUMBER = r"(-?\d{1,3}(?:\.\d+)?)[ \t]*(?:/[ \t]*(\d{1,3})|%)?"
_SCORE_RE = re.compile(
    rf"{_LEAD}(?:(?:overall|total|final)[ \t]+)?score[^\w\n]*?[:=][^\w\n-]*{_NUMBER}", re.I | re.M
)
_DIM_RE = re.compile(
    rf"{_LEAD}({'|'.join(DIMENSIONS)})(?:[ \t]+(?:score|rating))?[^\w\n]*?[:=][^\w\n-]*{_NUMBER}"
    r"[ \t]*(?:[-–—:|][ \t]*)?(.*)$",
    re.I | re.M,
)
_RECS_RE = re.compile(r"^[^\w\n]*recommendations?[^\w\n]*$", re.I | re.M)
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$")


@dataclass(frozen=True)
class Score:
    """A scored review comment: the contract shared by the CLI, the Action and the trainer."""

    score: int
    dimensions: dict[str, int]
    notes: dict[str, str] = field(default_factory=dict)
    recommendations: list[str] = field(default_factory=list)
    scorer: str = "rubric"
    model_revision: str = "rubric"
    fallback_reason: str | None = None
    # Kinds of text in the comment addressed to the scorer (left out of the scoring), if any.
    addressed_to_bot: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The score object; `addressed_to_bot` only when there was such text, so older readers
        and writers see the same fields as before."""
        data = {
            "score": self.score,
            "dimensions": {d: self.dimensions[d] for d in DIMENSIONS},
            "notes": {d: self.notes[d] for d in DIMENSIONS if d in self.notes},
            "recommendations": list(self.recommendations),
            "scorer": self.scorer,
            "model_revision": self.model_revision,
            "fallback_reason": self.fallback_reason,
        }
        if self.addressed_to_bot:
            data["addressed_to_bot"] = list(self.addressed_to_bot)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        """Read a score object (e.g. the `posted` field of a feedback record)."""
        try:
            dims = {d: _bounded(data["dimensions"][d], d) for d in DIMENSIONS}
            return cls(
                score=_bounded(data["score"], "score"),
                dimensions=dims,
                notes={k: str(v) for k, v in (data.get("notes") or {}).items()},
                recommendations=[str(r) for r in data.get("recommendations") or []],
                scorer=str(data.get("scorer", "rubric")),
                model_revision=str(data.get("model_revision", "")),
                fallback_reason=data.get("fallback_reason"),
                addressed_to_bot=tuple(str(k) for k in data.get("addressed_to_bot") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise FormatError(
                f"score object is missing {exc}; expected the design's fields"
            ) from exc

    def with_source(self, scorer: str, model_revision: str, fallback_reason: str | None) -> Score:
        return replace(
            self, scorer=scorer, model_revision=model_revision, fallback_reason=fallback_reason
        )


def _bounded(value: Any, name: str) -> int:
    number = round(float(value))
    if not 0 <= number <= 100:
        raise FormatError(f"{name} is {value}, outside 0-100")
    return number


def _scaled(number: str, denominator: str | None, name: str) -> float:
    """A number out of `denominator` as 0-100 ("8/10" is 80)."""
    if denominator is None:
        return float(number)
    if int(denominator) == 0:
        raise FormatError(f"{name} is {number}/{denominator}, out of zero")
    return float(number) * 100 / int(denominator)


def render(score: Score) -> str:
    """The completion text for a score: what the model is trained to write."""
    lines = [f"Score: {score.score}"]
    for dim in DIMENSIONS:
        note = score.notes.get(dim, "").strip()
        value = score.dimensions[dim]
        lines.append(
            f"{dim.capitalize()}: {value} - {note}" if note else f"{dim.capitalize()}: {value}"
        )
    lines.append("Recommendations:")
    lines.extend(f"- {rec}" for rec in score.recommendations)
    return "\n".join(lines)


@dataclass(frozen=True)
class FormatReport:
    """What of the format a completion has; the structural reward is computed from this."""

    has_score: bool
    dimensions_named: frozenset[str]
    has_recommendations: bool
    length: int


def inspect(text: str) -> FormatReport:
    """Look at a completion without requiring it to be complete.

    >>> r = inspect("Score: 40\\nClarity: 50\\nRecommendations:\\n- Say why.")
    >>> r.has_score, sorted(r.dimensions_named), r.has_recommendations
    (True, ['clarity'], True)
    """
    return FormatReport(
        has_score=_SCORE_RE.search(text) is not None,
        dimensions_named=frozenset(m.group(1).lower() for m in _DIM_RE.finditer(text)),
        has_recommendations=bool(_recommendations(text)),
        length=len(text),
    )


def parse(text: str, *, scorer: str = "model", model_revision: str = "") -> Score:
    """Read a completion as a model writes it; raise FormatError naming what is missing."""
    score_match = _SCORE_RE.search(text)
    dims: dict[str, int] = {}
    notes: dict[str, str] = {}
    for match in _DIM_RE.finditer(text):
        name = match.group(1).lower()
        if name in dims:
            continue  # the first mention wins; later ones are chatter
        dims[name] = _bounded(_scaled(match.group(2), match.group(3), name), name)
        note = match.group(4).strip()
        if note:
            notes[name] = note
    missing = ([] if score_match else ["Score"]) + [
        d.capitalize() for d in DIMENSIONS if d not in dims
    ]
    if missing:
        raise FormatError(f"completion has no {', '.join(missing)} line")
    assert score_match is not None
    return Score(
        score=_bounded(_scaled(score_match.group(1), score_match.group(2), "score"), "score"),
        dimensions=dims,
        notes=notes,
        recommendations=_recommendations(text),
        scorer=scorer,
        model_revision=model_revision,
    )


def _recommendations(text: str) -> list[str]:
    header = _RECS_RE.search(text)
    if header is None:
        return []
    recs: list[str] = []
    for line in text[header.end() :].splitlines():
        if not line.strip():
            if recs:
                break
            continue
        bullet = _BULLET_RE.match(line)
        if bullet is None:
            break  # trailing chatter ends the list
        recs.append(bullet.group(1))
    return recs
