"""Simulated people for the loop experiment: their taste, their reactions, their review comments.

`benchmarks/loop_simulation.py` asks whether the loop learns: a team whose judgement differs
from the rubric in stated, systematic ways reacts 👍/👎 to the bot's replies, and the retrain
should move the adapter towards that judgement. This module holds what the experiment assumes
about the people, kept small and explicit so it can be read and argued with:

- `Taste`: the team judges a comment as the rubric does, except that comments about tests or
  security are worth `tests_security` points more, a bare nit (starts with "nit", gives no
  reason) `bare_nit` points less, and length over `long_after_words` words costs nothing (the
  rubric's clarity penalty for it is given back, up to `long_cap` points).
- `Person`: one member of the team, with a lean of a few points of their own, a chance of
  reacting to a given reply (0: never reacts; it may differ when they disagree with the posted
  score from when they agree), 👍 when the posted score is within `tolerance` of their
  judgement, else 👎, and a `noise` chance of reacting the other way.
- `Team` and `load_team`: who judges and who reacts, from a Python file a maintainer can write
  for their own team (`benchmarks/teams/*.py`; the interface is in the README).
- `review_comments`: synthetic review comments (`training.data_synthesis`) mixed so that the
  team's taste matters on a known share of them.
- `agreement` and `spread`: the figures the experiment reports.
"""

from __future__ import annotations

import importlib.util
import random
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import Comment, Score
from review_forge.training import synthetic_templates as tpl
from review_forge.training.data_synthesis import label, synthesize

# Words that make a comment "about tests or security" for the simulated team.
TESTS_SECURITY = re.compile(
    r"\b(?:tests?|tested|testing|covers?|coverage|security|secure|safe|unescaped|escape|"
    r"inject\w*|vulnerab\w*|sanitis\w*|sanitiz\w*|parameteris\w*|arbitrary)\b",
    re.I,
)
BARE_NIT = re.compile(r"^\W*nit\b", re.I)
REASON = re.compile(r"\b(?:because|since|so that|otherwise|which means)\b", re.I)
NIT_KINDS = ("style", "naming", "docs")


@dataclass(frozen=True)
class Taste:
    """Where the team's judgement departs from the rubric's score, in points."""

    tests_security: int = 15
    bare_nit: int = -20
    long_after_words: int = 60
    long_cap: int = 10


def adjustment(body: str, taste: Taste = Taste()) -> int:
    """The team's departure from the rubric for a comment's text.

    >>> adjustment("Please add a test for the empty list."), adjustment("Nit: run the formatter.")
    (15, -20)
    >>> adjustment("Nit: rename it, because `x` says nothing."), adjustment("word " * 90)
    (0, 10)
    """
    change = 0
    if TESTS_SECURITY.search(body):
        change += taste.tests_security
    if BARE_NIT.search(body) and not REASON.search(body):
        change += taste.bare_nit
    words = len(body.split())
    if words > taste.long_after_words:
        change += min(taste.long_cap, (words - taste.long_after_words) // 3)
    return change


def judgement(comment: Comment, taste: Taste = Taste()) -> int:
    """The team's score for a comment: the rubric's, moved by the team's taste, within 0-100."""
    return max(0, min(100, score_comment(comment).score + adjustment(comment.body, taste)))


@dataclass(frozen=True)
class Person:
    login: str
    lean: int = 0  # points this person adds to the team's judgement
    reacts: float = 0.7  # chance of reacting to a reply whose score they agree with; 0: never
    reacts_disagreeing: float | None = None  # the chance when they disagree (None: `reacts`)
    tolerance: int = 10  # 👍 when the posted score is within this of their judgement
    noise: float = 0.1  # chance of reacting the other way


TEAM: tuple[Person, ...] = (
    Person("ana", 0, 0.8),
    Person("ben", 4, 0.6),
    Person("chen", -3, 0.7),
    Person("dara", 2, 0.5),
    Person("eli", 0, 0.0),  # reads everything, never reacts
)

Judge = Callable[[str, str | None, str | None], int]  # body, diff_hunk, path -> 0-100


@dataclass(frozen=True)
class Team:
    """Who judges and who reacts: `judge(body, diff_hunk, path)` is the team's score for a
    comment; each person reacts around it (their lean, tolerance, noise, chances)."""

    judge: Judge
    people: tuple[Person, ...]
    name: str = "default"

    def judgement(self, comment: Comment) -> int:
        return max(0, min(100, round(self.judge(comment.body, comment.diff_hunk, comment.path))))


def default_judge(body: str, diff_hunk: str | None = None, path: str | None = None) -> int:
    """The default team's score: the rubric's, moved by `Taste`."""
    return judgement(Comment(body, diff_hunk, path))


DEFAULT_TEAM = Team(default_judge, TEAM)


def load_team(path: str | Path) -> Team:
    """The team a Python file defines: `judge(body, diff_hunk, path) -> int` and `TEAM`, a
    sequence of `Person`. A file that lacks either is a ValueError naming what is missing."""
    file = Path(path)
    spec = importlib.util.spec_from_file_location(f"team_{file.stem}", file)
    if spec is None or spec.loader is None or not file.is_file():
        raise ValueError(f"{file}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    judge, people = getattr(module, "judge", None), getattr(module, "TEAM", None)
    if not callable(judge) or not people or not all(isinstance(p, Person) for p in people):
        raise ValueError(f"{file} must define judge(body, diff_hunk, path) and TEAM (Persons)")
    return Team(judge, tuple(people), file.stem)


def reaction(
    person: Person, posted: int, judged: int, rng: random.Random, scale: float = 1.0
) -> str | None:
    """The reaction ("+1", "-1", or None for none) of one person to one posted score; `scale`
    multiplies their chances of reacting (a quieter or busier repository).

    >>> quiet, rng = Person("q", reacts=0.0), random.Random(0)
    >>> reaction(Person("a", reacts=1.0, noise=0.0), 60, 55, rng), reaction(quiet, 60, 55, rng)
    ('+1', None)
    >>> reaction(Person("a", lean=5, reacts=1.0, noise=0.0), 60, 45, rng)
    '+1'
    >>> critic = Person("c", reacts=0.0, reacts_disagreeing=1.0, noise=0.0)
    >>> reaction(critic, 60, 58, rng), reaction(critic, 60, 20, rng)
    (None, '-1')
    """
    agrees = abs(posted - (judged + person.lean)) <= person.tolerance
    chance = (
        person.reacts
        if agrees or person.reacts_disagreeing is None
        else (person.reacts_disagreeing)
    )
    if rng.random() >= chance * scale:
        return None
    if rng.random() < person.noise:
        agrees = not agrees
    return "+1" if agrees else "-1"


def _bare_nit(row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The row's comment rewritten as a bare nit about the same code: "Nit: <the fix>."."""
    kind = row["kind"] if row["kind"] in NIT_KINDS else rng.choice(NIT_KINDS)
    fix = rng.choice(tpl.FIXES[kind])
    fix = fix.replace("<noun>", rng.choice(tpl.NOUNS)).replace("<bad>", rng.choice(tpl.BAD_NAMES))
    lead = rng.choice(("Nit: ", "nit: ", "Nit - "))
    return label({**row, "body": lead + fix[0].lower() + fix[1:], "kind": kind, "quality": "nit"})


def review_comments(
    n: int, seed: int, tests_security: float = 0.3, nits: float = 0.15
) -> list[dict[str, Any]]:
    """`n` synthetic review comments (rubric-labelled rows, each on a diff hunk): a
    `tests_security` share about tests or security, a `nits` share of bare nits, the rest
    anything else; same seed, same rows."""
    rng = random.Random(seed)
    pool = [r for r in synthesize(3 * n, seed=seed) if r["diff_hunk"]]  # on a diff, as on GitHub
    about = [r for r in pool if TESTS_SECURITY.search(r["body"])]
    rest = [r for r in pool if not TESTS_SECURITY.search(r["body"])]
    k_about, k_nits = round(n * tests_security), round(n * nits)
    rows = about[:k_about] + [_bare_nit(r, rng) for r in rest[:k_nits]]
    rows += rest[k_nits : k_nits + n - len(rows)]
    if len(rows) < n:
        raise ValueError(f"could not mix {n} comments from seed {seed}; ask for fewer")
    rng.shuffle(rows)
    return rows


@dataclass(frozen=True)
class Agreement:
    """How a scorer's scores agree with the team, over one set of comments."""

    mae: float  # mean |score - team's judgement|
    thumbs_up: float  # share within the tolerance: the 👍 the team would give, without noise
    validity: float  # share of answers that parsed (the rubric's always do)
    model_answered: float  # share the model answered; the rest the rubric scored as fallback


def agreement(scores: Sequence[Score], judged: Sequence[int], tolerance: int = 10) -> Agreement:
    """The agreement figures for `scores` against the team's `judged` scores, in order.

    >>> from review_forge.bot.scoring.score import DIMENSIONS
    >>> s = lambda v, by="model", why=None: Score(v, dict.fromkeys(DIMENSIONS, v), scorer=by,
    ...                                           fallback_reason=why)
    >>> agreement([s(50), s(70), s(20, "rubric", "did not parse")], [55, 90, 20])
    Agreement(mae=8.333, thumbs_up=0.667, validity=0.667, model_answered=0.667)
    """
    if not scores or len(scores) != len(judged):
        raise ValueError(f"need as many scores as judgements, got {len(scores)}/{len(judged)}")
    errors = [abs(s.score - j) for s, j in zip(scores, judged, strict=True)]
    n = len(scores)
    return Agreement(
        mae=round(sum(errors) / n, 3),
        thumbs_up=round(sum(e <= tolerance for e in errors) / n, 3),
        validity=round(sum(s.fallback_reason is None for s in scores) / n, 3),
        model_answered=round(sum(s.scorer == "model" for s in scores) / n, 3),
    )


def group(body: str) -> str:
    """Which of the team's stated departures applies to a comment (the first that does).

    >>> group("Please add a test."), group("Nit: rename it."), group("Rename `x`.")
    ('tests/security', 'bare nit', 'other')
    """
    if TESTS_SECURITY.search(body):
        return "tests/security"
    if BARE_NIT.search(body) and not REASON.search(body):
        return "bare nit"
    return "other"


def shifts(comments: Sequence[Comment], scores: Sequence[int]) -> dict[str, float]:
    """Per `group`, the mean of `scores` minus the rubric's score: where a scorer departs from
    the rubric. The team's own shifts (their judgements as `scores`) are what a learner should
    reach: about +15 on tests and security, -20 on bare nits.

    >>> comments = [Comment("Please add a test."), Comment("Nit: rename it.")]
    >>> rubric = [score_comment(c).score for c in comments]
    >>> shifts(comments, [rubric[0] + 15, rubric[1] - 20])
    {'bare nit': -20.0, 'tests/security': 15.0}
    """
    rubric = [score_comment(c).score for c in comments]
    by_group: dict[str, list[int]] = {}
    for comment, score, base in zip(comments, scores, rubric, strict=True):
        by_group.setdefault(group(comment.body), []).append(score - base)
    return {name: round(statistics.fmean(d), 2) for name, d in sorted(by_group.items())}


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation, min and max over seeds.

    >>> spread([10.0, 12.0, 14.0])
    {'mean': 12.0, 'sd': 2.0, 'min': 10.0, 'max': 14.0, 'n': 3}
    """
    if not values:
        raise ValueError("no values to summarise")
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {
        "mean": round(statistics.fmean(values), 3),
        "sd": round(sd, 3),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }
