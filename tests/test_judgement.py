"""The judgement model reads a direction out of 👍/👎 that no single record has."""

from __future__ import annotations

import random

import pytest

from benchmarks.simulation.people import (
    TEAM,
    group,
    judgement,
    reaction,
    review_comments,
    shifts,
)
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import Comment
from review_forge.training.judgement import STILL, features, fit, judged_rows


def _records(rows: list[dict], noise: float, seed: int) -> list[dict]:
    """Feedback records as `collect` writes them: scores posted by a scorer that is the rubric
    give or take `noise` points, and the simulated team's reactions to them."""
    rng = random.Random(seed)
    records = []
    for row in rows:
        comment = Comment(row["body"], row["diff_hunk"], row["path"])
        posted = max(0, min(100, round(row["target_score"] + rng.gauss(0, noise))))  # the rubric's
        votes = [reaction(person, posted, judgement(comment), rng) for person in TEAM]
        records.append(
            {**row, "posted": {"score": posted}, "up": votes.count("+1"), "down": votes.count("-1")}
        )
    return records


@pytest.fixture(scope="module")
def held_out() -> list[Comment]:
    return [Comment(r["body"], r["diff_hunk"], r["path"]) for r in review_comments(200, seed=77)]


def test_pooled_reactions_move_tests_and_security_comments_up(held_out):
    # Each record alone: a 👍 or 👎 on a score near the rubric's. Together: comments about tests
    # or security that were posted higher were approved, so the people value them more.
    model = fit(_records(review_comments(256, seed=5), noise=6, seed=1))
    predicted = [model.predict(c) for c in held_out]
    rubric = [score_comment(c).score for c in held_out]
    judged = [judgement(c) for c in held_out]
    moved = shifts(held_out, predicted)
    assert moved["tests/security"] > 2  # the people: +15; the direction is what one round reads
    assert abs(moved["other"]) < 4  # little to say there: stays near the rubric

    def mae(scores: list[int]) -> float:
        return sum(abs(s - j) for s, j in zip(scores, judged, strict=True)) / len(judged)

    assert mae(predicted) < mae(rubric) - 0.5


def test_the_fit_reaches_further_towards_the_people_as_reactions_accumulate(held_out):
    # The L2 penalty is a prior over all the records: with four times the reactions it pulls
    # less, so the departures the people make are read more fully (a fixed penalty per record
    # kept tests/security at +5.5 and bare nits at -7 of the people's +15 and -20 here).
    judged = [judgement(c) for c in held_out]
    moved, errors = [], []
    for n in (256, 1024):
        model = fit(_records(review_comments(n, seed=5), noise=6, seed=1))
        predicted = [model.predict(c) for c in held_out]
        moved.append(shifts(held_out, predicted))
        errors.append(sum(abs(p - j) for p, j in zip(predicted, judged, strict=True)) / 200)
    assert moved[1]["tests/security"] > moved[0]["tests/security"] + 2
    assert moved[1]["tests/security"] > 8 and moved[1]["bare nit"] < -10
    assert errors[1] < errors[0] - 1


def test_without_votes_the_judgement_is_the_rubrics(held_out):
    silent = [{**r, "up": 0, "down": 0} for r in _records(review_comments(20, seed=3), 6, 2)]
    for records in ([], silent):
        model = fit(records)
        assert [model.predict(c) for c in held_out[:20]] == [
            score_comment(c).score for c in held_out[:20]
        ]


def test_approval_of_the_rubric_everywhere_keeps_it():
    rows = review_comments(60, seed=9)
    # Synthetic rows carry the rubric's score as their target: post that, and everyone agrees.
    agreed = [{**r, "posted": {"score": r["target_score"]}, "up": 3, "down": 0} for r in rows]
    model = fit(agreed)
    leans = [model.lean(r["body"]) for r in rows]
    assert max(abs(x) for x in leans) < 3


def test_features_are_words_not_their_case_or_order():
    assert features("Add a TEST.") == features("test a add")
    assert features("Add a test.") != features("Add a text.")


def test_targets_copy_the_first_pass_where_the_lean_is_small_and_those_rows_count_twice():
    records = [
        {**r, "reply_comment_id": n,
         "posted": {"score": r["posted"]["score"], "dimensions": r["target_dimensions"]}}
        for n, r in enumerate(_records(review_comments(256, seed=5), noise=6, seed=1))
    ]  # fmt: skip

    judged = judged_rows(records)

    first = {r["reply_comment_id"]: score_comment(Comment(r["body"], r["diff_hunk"], r["path"]))
             for r in records}  # fmt: skip
    by_reply: dict[int, list[dict]] = {}
    for row in judged:
        by_reply.setdefault(int(row["id"].split("-")[1]), []).append(row)
    assert set(by_reply) == set(first)  # every comment, reacted to or not, gets a target
    copied = moved = 0
    for reply, targets in by_reply.items():
        lean = targets[0]["target_score"] - first[reply].score
        assert lean == 0 or abs(lean) > STILL  # small leans are read as none
        assert len(targets) == (2 if lean == 0 else 1)  # a copy counts twice
        copied, moved = copied + (lean == 0), moved + (lean != 0)
    assert copied > 0 and moved > 0
    tests = [t[0]["target_score"] - first[k].score for k, t in by_reply.items()
             if group(t[0]["body"]) == "tests/security"]  # fmt: skip
    assert sum(tests) / len(tests) > 2  # the people's +15 on them, read from the reactions
