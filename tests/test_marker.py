"""bot/marker.py: the hidden marker and score lines round-trip, survive hostile text, and a
reviewer's pasted marker never outranks the bot's own final lines."""

from __future__ import annotations

import pytest

from review_forge.bot.github.marker import encode_score, find_marker, find_score, make_marker


@pytest.mark.parametrize(
    ("target", "rev", "expected_rev"),
    [
        (1, "rubric", "rubric"),
        (2**40, "adapter@3f2a9c1", "adapter@3f2a9c1"),
        (5, "a b-->c", "a_b--_c"),  # whitespace and '>' cannot end the comment early
        (6, "", "unknown"),
    ],
)
def test_marker_round_trip(target, rev, expected_rev):
    line = make_marker(target, rev)

    assert line.startswith("<!-- review-forge:v1 ") and line.endswith(" -->")
    assert line.count("-->") == 1
    assert find_marker(f"Score: 50\n\n{line}\n") == (target, expected_rev)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "Score: 100",
        "text <!-- review-forge:v1 target=9 rev=x --> inline, not on its own line",
        "<!-- review-forge:v1 target=abc rev=x -->",
        "<!-- review-forge:v2 target=9 rev=x -->",
    ],
)
def test_no_marker(body):
    assert find_marker(body) is None


def test_the_last_marker_wins_over_one_quoted_above_it():
    pasted = make_marker(999, "fake")
    body = f"> {pasted}\n{pasted}\nScore: 40\n{make_marker(123, 'rubric')}"

    assert find_marker(body) == (123, "rubric")


def test_score_round_trip_with_text_that_tries_to_close_the_comment():
    score = {"score": 61, "notes": {"clarity": "says --> and <script>"}, "recommendations": ["@x"]}
    line = encode_score(score)

    assert line.count("-->") == 1 and "<script>" not in line
    assert find_score(f"visible\n{make_marker(1, 'r')}\n{line}") == score


@pytest.mark.parametrize(
    "body",
    ["", "<!-- review-forge:score {not json} -->", "<!-- review-forge:score [1] -->"],
)
def test_missing_or_broken_score_is_none(body):
    assert find_score(body) is None


def test_a_score_object_encodes_as_its_dict():
    from review_forge.bot.scoring.score import DIMENSIONS, Score

    score = Score(score=70, dimensions=dict.fromkeys(DIMENSIONS, 70), scorer="rubric")

    assert find_score(encode_score(score)) == score.to_dict()
    assert find_marker(make_marker(3, "r")).target_id == 3
