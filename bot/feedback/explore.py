"""Posted scores that let 👍/👎 tell "too high" from "too low".

A 👎 on a posted score says the people's score is more than the agreement margin away from it,
not on which side. While the bot posts the rubric's score for every comment (no adapter yet, or
one that departs little), a team that scores bare nits 20 points lower and one that scores them
20 points higher react alike, and no learner can tell them apart: measured with
`python -m benchmarks.judgement_direction` (README, "Does it learn?"), the judgement fitted from
rubric-posted scores had the team's direction in 4 of 8 cases, a coin. Moving each posted score by
a fixed offset in [-explore, +explore], the same for a comment on every run, makes some posts of
a kind of comment nearer the people's score and some farther, and their reactions then differ
the way the people lean: with ±10 points, 8 of 8, and the same 👍 share.

Only the reply in the thread carries the offset (it is what people react to, and its hidden
marker records the posted score that `collect` reads); the step's outputs, the job summary, the
warnings and `min_score` use the scorer's own score, so a check never passes or fails by chance.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from review_forge.bot.scoring.score import Score


def offset(comment_id: int, points: int) -> int:
    """The offset for a comment: in [-points, points], from a hash of its id, so a re-run or an
    edit posts the same.

    >>> offset(1234, 10) == offset(1234, 10), offset(1234, 0)
    (True, 0)
    >>> sorted({offset(i, 2) for i in range(100)})
    [-2, -1, 0, 1, 2]
    """
    if points <= 0:
        return 0
    digest = hashlib.sha256(f"review-forge-explore:{comment_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2 * points + 1) - points


def posted(score: Score, comment_id: int, points: int) -> Score:
    """`score` as the reply posts it: its overall score moved by the comment's offset, 0-100."""
    moved = max(0, min(100, score.score + offset(comment_id, points)))
    return score if moved == score.score else replace(score, score=moved)
