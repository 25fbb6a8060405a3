"""The rubric scorer (bot/rubric.py): which way each dimension moves, and the fixed points."""

from __future__ import annotations

import pytest

from review_forge.bot.scoring.lexicon import hostile
from review_forge.bot.scoring.rubric import CANDIDATE_RULES, RULES, RubricScorer, score_comment
from review_forge.bot.scoring.rubric_features import features
from review_forge.bot.scoring.score import DIMENSIONS, Comment

HUNK = """@@ -10,6 +10,9 @@ def fetch(url, retries):
+    attempt_count = 0
+    while attempt_count < retries:
+        response = session.get(url, timeout=DEFAULT_TIMEOUT)
"""

# (why, before, after, dimension, direction): `after` is `before` changed in one respect (where
# the length could carry the change, both have the same number of words).
PAIRS = [
    (
        "a reason",
        Comment("Rename this variable to retry_count."),
        Comment("Rename this variable to retry_count, because the loop uses it as a counter."),
        "completeness",
        +1,
    ),
    (
        "a consequence: so <subject> <verb>",
        Comment(
            "This loop re-reads the file on every iteration; move the open() above it, and large "
            "inputs stay fast."
        ),
        Comment(
            "This loop re-reads the file on every iteration; move the open() above it so large "
            "inputs stay fast."
        ),
        "completeness",
        +1,
    ),
    (
        "a performance problem",
        Comment("Building the set on each pass is odd; build it once, outside the loop."),
        Comment("Building the set on each pass is quadratic; build it once, outside the loop."),
        "completeness",
        +1,
    ),
    (
        "the expected behaviour",
        Comment("This breaks on an empty list."),
        Comment("This breaks on an empty list; it should return None instead."),
        "completeness",
        +1,
    ),
    (
        "a question turned into a request",
        Comment("Why is this a list?"),
        Comment("Please make this a set, since the loop below only checks membership."),
        "actionability",
        +1,
    ),
    (
        "a concrete change",
        Comment("The timeout handling here looks off to me."),
        Comment("The timeout handling looks off: pass `timeout=DEFAULT_TIMEOUT` to `get()`."),
        "actionability",
        +1,
    ),
    (
        "names from the changed code",
        Comment("This name is confusing, it does not say what it counts.", diff_hunk=HUNK),
        Comment("`attempt_count` is confusing, it does not say what it counts.", diff_hunk=HUNK),
        "clarity",
        +1,
    ),
    (
        "the file it is about",
        Comment("The helper is duplicated here.", path="src/net/fetch.py"),
        Comment("The helper is duplicated in fetch.py.", path="src/net/fetch.py"),
        "clarity",
        +1,
    ),
    (
        "an insult",
        Comment("This loop is slow; use a dict lookup instead."),
        Comment("This stupid loop is slow; use a dict lookup instead."),
        "constructiveness",
        -1,
    ),
    (
        "a judgement word",
        Comment("This cast hides the type error; use a typed helper instead."),
        Comment("This ugly cast hides the type error; use a typed helper instead."),
        "constructiveness",
        -1,
    ),
    (
        "blame and shouting",
        Comment("The null check is missing here."),
        Comment("You forgot the null check AGAIN!!"),
        "constructiveness",
        -1,
    ),
    (
        "politeness",
        Comment("Use a set here."),
        Comment("Please use a set here, thanks!"),
        "constructiveness",
        +1,
    ),
    (
        "a waiver: the reviewer says it may stay",
        Comment("You could use a set here."),
        Comment("You could use a set here, but it works, feel free to ignore."),
        "actionability",
        -1,
    ),
    (
        "content after a bare nit",
        Comment("nit"),
        Comment("nit: drop the blank line before `return`, the rest of the file has none."),
        "score",
        +1,
    ),
    (
        "talking about the code: its name",
        Comment("This is wrong here, please look at it again."),
        Comment("`retry()` is wrong here, please look at it again."),
        "constructiveness",
        +1,
    ),
    (
        "thinking aloud instead of asking",
        Comment("The timeout of the retry loop should be shorter than the request's."),
        Comment("Curious: the timeout of the retry loop seems longer than the request's."),
        "score",
        -1,
    ),
    (
        "naming only code that is not in the change",
        Comment("This counter should start at one, not zero.", diff_hunk=HUNK),
        Comment("This `retry_total` should start at one, not zero.", diff_hunk=HUNK),
        "score",
        -1,
    ),
    (
        "what the comment says, not how long its names are",
        Comment("Use `ConnectionPoolManagerFactoryProvider.create_default_instance()` there."),
        Comment("Use a pool here: a new connection per call is slow."),
        "completeness",
        +1,
    ),
    (
        "far too long for one point",
        Comment(
            "Please move the retry loop into `fetch_with_retries()` so the caller only sees one "
            "call, because three call sites copy it today."
        ),
        Comment(
            "Please move the retry loop into `fetch_with_retries()` so the caller only sees one "
            "call, because three call sites copy it today. "
            + "And another thing to consider. "
            * 60
        ),
        "clarity",
        -1,
    ),
]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Move it up so large inputs don't take quadratic time.", True),
        ("Use a named kwarg so people don't have to look it up.", True),
        ("Rename it to `count`, so callers can tell what it holds.", True),
        ("So is this still needed?", False),  # a question opened by "So": no clause
        ("This module is so hard to work with.", False),  # an intensifier and an infinitive
        ("It has been fine so far.", False),
        ("There are so many branches here.", False),
        ('Reword it as "the cache is cold, so lookups are slow".', False),  # proposed wording
    ],
)
def test_a_so_clause_with_its_own_subject_and_verb_is_a_reason(body, reason):
    assert features(Comment(body)).reason is reason


def _value(comment: Comment, dimension: str) -> int:
    score = score_comment(comment)
    return score.score if dimension == "score" else score.dimensions[dimension]


@pytest.mark.parametrize(
    ("before", "after", "dimension", "direction"),
    [pair[1:] for pair in PAIRS],
    ids=[pair[0] for pair in PAIRS],
)
def test_one_change_moves_its_dimension_the_right_way(before, after, dimension, direction):
    moved = _value(after, dimension) - _value(before, dimension)
    assert moved * direction > 0, (dimension, _value(before, dimension), _value(after, dimension))


@pytest.mark.parametrize("body", ["LGTM", "lgtm!", "+1", "nit", "?", "👍", "Looks good to me."])
def test_empty_approvals_score_low(body):
    assert score_comment(Comment(body)).score < 40


@pytest.mark.parametrize(
    "body",
    [
        "Please rename `tmp` to `retry_count`, because the loop below reads it as the number of "
        "retries and the current name hides that.",
        "This will crash when `items` is empty, because `items[0]` raises IndexError. Consider "
        "returning early: `if not items: return None`.",
        "Could you use `with open(path) as f:` here? Otherwise the handle leaks when `json.load` "
        "raises, so a bad file would exhaust descriptors in the long-running worker.",
        # the README's quick-start example
        "This loop re-reads the file on every iteration; move the open() above the loop so large "
        "inputs don't take quadratic time.",
    ],
)
def test_specific_polite_reasoned_suggestions_score_high(body):
    assert score_comment(Comment(body)).score > 70


@pytest.mark.parametrize(
    "body",
    [
        "This is stupid, who wrote this garbage?",
        "You idiot, this obviously breaks the build.",
        "What the hell is this crap? Use a dict instead.",
        "This code sucks. Because it copies the list, you should use a generator instead.",
    ],
)
def test_insults_get_low_constructiveness_whatever_else(body):
    score = score_comment(Comment(body))
    assert score.dimensions["constructiveness"] < 30
    assert score.score < 40
    assert "judgement words" in " ".join(score.recommendations)


@pytest.mark.parametrize(
    "body",
    [
        "Kill the worker process and abort the job when the dump fails.",
        "This is dead code now; the garbage collector frees the buffer anyway.",
        "A dumb pipe between the two services is enough.",
        "Stupid question: why do we need the lock here?",
        "I was being an idiot, fixed in the next patch set.",
        "Use WTF::Vector here, like the rest of Blink.",
    ],
)
def test_blunt_technical_words_and_self_deprecation_are_not_insults(body):
    assert hostile(body) == ((), ())
    assert score_comment(Comment(body)).dimensions["constructiveness"] >= 60


def test_words_of_the_changed_names_count_only_under_their_rule():
    # The leave-one-data-set-out check did not keep the rule (it helped CRScore, hurt ClearCRC).
    loop = Comment("The loop counter should start at one, not zero.", diff_hunk=HUNK)
    attempt = Comment("The attempt counter should start at one, not zero.", diff_hunk=HUNK)
    assert (features(loop).hunk_words, features(attempt).hunk_words) == (0, 1)
    with_rule = RULES | {"hunk_words"}
    assert (
        score_comment(attempt, with_rule).dimensions["clarity"]
        > score_comment(loop, with_rule).dimensions["clarity"]
    )
    assert score_comment(attempt).dimensions["clarity"] == score_comment(loop).dimensions["clarity"]


def test_the_row_fitted_rules_are_candidates_but_not_on():
    assert {"ditto", "row_phrases"} <= set(CANDIDATE_RULES) and not {"ditto", "row_phrases"} & RULES
    assert score_comment(Comment("ditto"), RULES | {"ditto"}).score == 54
    assert score_comment(Comment("ditto")).score < 40  # says nothing on its own
    assert hostile("as dumb as a rock") == ((), ("dumb",))
    assert hostile("as dumb as a rock", None, True) == ((), ())


def test_empty_comment_scores_zero_with_advice():
    score = score_comment(Comment("   \n"))
    assert score.score == 0 and set(score.dimensions.values()) == {0}
    assert score.recommendations


def test_recommendations_say_what_to_add():
    question = score_comment(Comment("Why is this here?", diff_hunk=HUNK))
    recs = " ".join(question.recommendations)
    assert "Turn the question into a request" in recs
    assert "Add the reason" in recs
    assert "`attempt_count`" in recs  # names code from the change as the example to point at
    complete = score_comment(
        Comment(
            "Please rename `attempt_count` to `attempt`, because `retries` already says what "
            "it is counted against; it should read `while attempt < retries`.",
            diff_hunk=HUNK,
        )
    )
    assert complete.recommendations == [
        "Nothing essential is missing: it is specific, reasoned and actionable."
    ]


def test_every_score_is_complete_bounded_and_labelled_rubric():
    bodies = ["x", "Why?", "مرحبا، هذا التعليق واضح؟ 🎉", "a\0b", "word " * 20_000, "`" * 999]
    for score in RubricScorer().score_many([Comment(b, diff_hunk=HUNK) for b in bodies]):
        assert 0 <= score.score <= 100
        assert set(score.dimensions) == set(DIMENSIONS) == set(score.notes)
        assert all(0 <= v <= 100 for v in score.dimensions.values())
        assert score.recommendations
        assert (score.scorer, score.model_revision, score.fallback_reason) == (
            "rubric",
            "rubric",
            None,
        )


def test_scoring_is_deterministic():
    comment = Comment("Maybe use a set here? It is checked in the loop.", diff_hunk=HUNK)
    assert score_comment(comment) == score_comment(comment)
