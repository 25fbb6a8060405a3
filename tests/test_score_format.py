"""The completion format (bot/score.py): what models really write, and what the parser reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review_forge.bot.errors import FormatError
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, inspect, parse, render

CANONICAL = """Score: 72
Clarity: 80 - names the function and the failing input
Completeness: 60 - does not say what should happen instead
Actionability: 75 - proposes a concrete change
Constructiveness: 85 - neutral, explains why
Recommendations:
- Say which input fails."""

# (name, completion, score, dimensions in DIMENSIONS order, notes, recommendations)
READABLE = [
    (
        "canonical",
        CANONICAL,
        72,
        (80, 60, 75, 85),
        {
            "clarity": "names the function and the failing input",
            "completeness": "does not say what should happen instead",
            "actionability": "proposes a concrete change",
            "constructiveness": "neutral, explains why",
        },
        ["Say which input fails."],
    ),
    (
        "chat preamble, '* ' bullets and a sign-off",
        "Sure! Here is my evaluation of the review comment.\n\nScore: 41\nClarity: 50 - vague\n"
        "Completeness: 30\nActionability: 40\nConstructiveness: 70\nRecommendations:\n"
        "* Name the function.\n* Say why.\nI hope this helps!",
        41,
        (50, 30, 40, 70),
        {"clarity": "vague"},
        ["Name the function.", "Say why."],
    ),
    (
        "Markdown bold, /100, em dash, numbered recommendations",
        "**Score:** 72/100\n\n- **Clarity:** 80 — names the function\n- **Completeness:** 60/100\n"
        "- **Actionability:** 75%\n- **Constructiveness:** 85\n\n**Recommendations:**\n"
        "1. Say which input fails.\n2) Add a test.\n\nLet me know if you need anything else!",
        72,
        (80, 60, 75, 85),
        {"clarity": "names the function"},
        ["Say which input fails.", "Add a test."],
    ),
    (
        "dimensions in another order, lower case, extra spaces, '=' and ':' notes",
        "score :  55\nconstructiveness=90 : polite\nACTIONABILITY:   20\n  clarity:70\n"
        "completeness:  35 | no reason given",
        55,
        (70, 35, 20, 90),
        {"constructiveness": "polite", "completeness": "no reason given"},
        [],
    ),
    (
        "'Overall score', 'X score' labels and marks out of 10",
        "Overall score: 7/10\nClarity score: 8/10\nCompleteness score: 6/10\n"
        "Actionability rating: 7.5/10\nConstructiveness score: 9/10\n"
        "Recommendations:\n- Be specific.",
        70,
        (80, 60, 75, 90),
        {},
        ["Be specific."],
    ),
    (
        "a dimension repeated in trailing chatter: the first one counts",
        CANONICAL + "\n\nNote: Clarity: 10 would be too harsh here.",
        72,
        (80, 60, 75, 85),
        None,
        ["Say which input fails."],
    ),
    (
        "fractional values round",
        "Score: 72.4\nClarity: 80.6\nCompleteness: 60\nActionability: 75\nConstructiveness: 85",
        72,
        (81, 60, 75, 85),
        {},
        [],
    ),
]


@pytest.mark.parametrize(
    ("completion", "score", "dims", "notes", "recs"),
    [case[1:] for case in READABLE],
    ids=[case[0] for case in READABLE],
)
def test_parse_reads_what_models_write(completion, score, dims, notes, recs):
    parsed = parse(completion, scorer="model", model_revision="abc123")
    assert parsed.score == score
    assert tuple(parsed.dimensions[d] for d in DIMENSIONS) == dims
    if notes is not None:
        assert parsed.notes == notes
    assert parsed.recommendations == recs
    assert (parsed.scorer, parsed.model_revision) == ("model", "abc123")


# (name, completion, what the error message must name)
BROKEN = [
    ("empty", "", ["Score", "Clarity", "Completeness", "Actionability", "Constructiveness"]),
    (
        "no Score line",
        CANONICAL.replace("Score: 72\n", ""),
        ["no Score line"],
    ),
    (
        "cut off mid-answer",
        "Score: 72\nClarity: 80 - names the function\nComplet",
        ["Completeness", "Actionability", "Constructiveness"],
    ),
    (
        "value on the next line (the parser never reads across lines)",
        "Score:\n72\nClarity: 80\nCompleteness: 60\nActionability: 75\nConstructiveness: 85",
        ["no Score line"],
    ),
    (
        "words instead of numbers",
        "Score: 60\nClarity: high\nCompleteness: medium\nActionability: 75\nConstructiveness: 85",
        ["Clarity", "Completeness"],
    ),
    (
        "a Markdown table has no 'name: value' lines",
        "Score: 72\n| Dimension | Value |\n|---|---|\n| Clarity | 80 |\n| Completeness | 60 |\n"
        "| Actionability | 75 |\n| Constructiveness | 85 |",
        ["Clarity", "Completeness", "Actionability", "Constructiveness"],
    ),
    (
        "score above 100",
        CANONICAL.replace("Score: 72", "Score: 150"),
        ["score is 150", "outside 0-100"],
    ),
    ("negative dimension", CANONICAL.replace("Clarity: 80", "Clarity: -5"), ["clarity is -5"]),
    ("out of zero", CANONICAL.replace("Score: 72", "Score: 7/0"), ["out of zero"]),
    ("an echo of the prompt", "Score the review comment below.\nComment: LGTM", ["Score"]),
]


@pytest.mark.parametrize(
    ("completion", "named"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_parse_says_what_is_missing(completion, named):
    with pytest.raises(FormatError) as error:
        parse(completion)
    message = str(error.value)
    assert "\n" not in message
    for part in named:
        assert part in message


# (completion, has_score, dimensions named, has_recommendations)
INSPECTED = [
    (CANONICAL, True, set(DIMENSIONS), True),
    ("Score: 40\nClarity: 50\nRecommendations:\n- Say why.", True, {"clarity"}, True),
    ("Clarity: 50\nActionability: 10", False, {"clarity", "actionability"}, False),
    ("Score: 40\nRecommendations:\n", True, set(), False),
    ("Recommendations:\nsay why", False, set(), False),
    ("I cannot score this comment.", False, set(), False),
]


@pytest.mark.parametrize(("completion", "has_score", "named", "has_recs"), INSPECTED)
def test_inspect_reports_the_parts_present(completion, has_score, named, has_recs):
    report = inspect(completion)
    assert report.has_score is has_score
    assert report.dimensions_named == frozenset(named)
    assert report.has_recommendations is has_recs
    assert report.length == len(completion)


@pytest.mark.parametrize(
    "body",
    [
        "LGTM",
        "This is stupid, who wrote this garbage?",
        "Please rename `tmp` to `attempt`, because the loop compares it with `retries`.",
        "Why is this here? I'm not sure we need it; maybe drop it?",
    ],
)
def test_rubric_scores_round_trip_through_the_completion_format(body):
    score = score_comment(Comment(body))
    assert parse(render(score), scorer="rubric", model_revision="rubric") == score


_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).map(str.strip)
_value = st.integers(min_value=0, max_value=100)


@given(
    score=_value,
    dims=st.tuples(_value, _value, _value, _value),
    notes=st.dictionaries(st.sampled_from(DIMENSIONS), _line.filter(bool)),
    recs=st.lists(_line.filter(bool), max_size=4),
)
def test_render_then_parse_is_the_identity(score, dims, notes, recs):
    original = Score(score, dict(zip(DIMENSIONS, dims, strict=True)), notes, recs, "model", "r1")
    assert parse(render(original), scorer="model", model_revision="r1") == original


def test_score_object_round_trips_through_its_dict():
    score = score_comment(Comment("Could you add a test for the empty list, since it crashes?"))
    assert Score.from_dict(score.to_dict()) == score
    with pytest.raises(FormatError, match="missing"):
        Score.from_dict({"score": 50})
