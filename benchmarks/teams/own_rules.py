"""A team whose taste is its own, not "the rubric plus departures": it scores a comment from a
few things it looks for in the words, and ignores everything the rubric reads (the diff hunk, the
names, the tone words). A maintainer's team that values reasons and concrete changes, dislikes
questions without a proposal and nits, and cares about tests."""

from __future__ import annotations

import re

from benchmarks.simulation.people import Person

REASON = re.compile(r"\b(?:because|since|otherwise|so that|which means|leads? to|causes?)\b", re.I)
CHANGE = re.compile(r"`[^`]+`|\b(?:instead|rename|replace|move|extract|use|add|remove)\b", re.I)
QUESTION_ONLY = re.compile(r"^[^.!]*\?\s*$")
NIT = re.compile(r"^\W*nit\b", re.I)
TESTS = re.compile(r"\b(?:tests?|coverage|regression)\b", re.I)


def judge(body: str, diff_hunk: str | None = None, path: str | None = None) -> int:
    """The team's score for a comment, from its words alone.

    >>> judge("Nit: spacing."), judge("Use `with` here because the handle leaks on error.")
    (0, 85)
    """
    words = len(body.split())
    score = 40
    score += 25 if REASON.search(body) else 0
    score += 20 if CHANGE.search(body) else 0
    score += 10 if TESTS.search(body) else 0
    score -= 20 if QUESTION_ONLY.match(body.strip()) else 0
    score -= 25 if NIT.search(body) else 0
    score -= 15 if words < 6 else 0
    return max(0, min(100, score))


TEAM = (
    Person("fay", 0, 0.7),
    Person("gus", 3, 0.6),
    Person("hal", -4, 0.6),
    Person("ivy", 0, 0.5, tolerance=15),
)
