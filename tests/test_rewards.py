"""The reward functions: the structural reward's exact table, calibration properties, pickling."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_forge.bot.scoring.score import DIMENSIONS, Score, render
from review_forge.training.rewards import (
    NEUTRAL,
    UNPARSEABLE,
    FeedbackReward,
    TargetScoreReward,
    feedback_reward,
    format_reward,
    target_score_reward,
)

FULL = (
    "Score: 72\n"
    "Clarity: 80 - names the function and the failing input\n"
    "Completeness: 60 - does not say what should happen instead\n"
    "Actionability: 75 - proposes a concrete change\n"
    "Constructiveness: 85 - neutral, explains why\n"
    "Recommendations:\n"
    "- Say which input fails."
)
PAD = " This sentence is only here to carry the completion past one hundred characters."

# (completion, exact structural reward): +0.3 Score line, +0.1 per dimension named,
# +0.2 recommendations, -0.3 under 100 characters.
STRUCTURAL_CASES = [
    # everything, 213 characters: 0.3 + 4 * 0.1 + 0.2
    (FULL, 0.9),
    # the same without the recommendations list
    (FULL.split("\nRecommendations:")[0], 0.7),
    # a header with no bullet under it is not a recommendation
    (FULL.split("\n- ")[0], 0.7),
    # no Score line
    (FULL.split("\n", 1)[1], 0.6),
    # short and complete: 0.3 + 0.4 + 0.0 - 0.3 (73 characters)
    ("Score: 5\nClarity: 5\nCompleteness: 5\nActionability: 5\nConstructiveness: 5", 0.4),
    # only a score, short
    ("Score: 40", 0.0),
    # a dimension named twice counts once
    ("Score: 40\nClarity: 50\nclarity: 60" + PAD, 0.4),
    # Markdown decoration is still the format
    ("**Score:** 72/100\n- **Clarity:** 80\n- Completeness: 60" + PAD, 0.5),
    # chatter, long: nothing earned, no penalty
    ("I think this review comment is quite good overall, but it could be clearer." + PAD, 0.0),
    # the empty completion and "LGTM": only the length penalty
    ("", -0.3),
    ("LGTM", -0.3),
    # the number on the next line is not a Score line (the parser never reads across lines)
    ("Score:\n72\nRecommendations:\n- Be specific." + PAD, 0.2),
]


@pytest.mark.parametrize(("completion", "expected"), STRUCTURAL_CASES)
def test_structural_reward_table(completion, expected):
    assert format_reward([completion]) == [expected]
    assert format_reward([[{"role": "assistant", "content": completion}]]) == [expected]


def test_rewards_read_conversational_and_plain_completions_alike():
    plain = [FULL, "Score: 3"]
    chat = [[{"role": "assistant", "content": c}] for c in plain]
    kwargs = {"target_score": [70, 70], "posted_score": [70, 10], "feedback": ["up", "down"]}
    for reward in (format_reward, target_score_reward, feedback_reward):
        assert reward(plain, **kwargs) == reward(chat, **kwargs)


scores = st.integers(min_value=0, max_value=100)
dimension_sets = st.fixed_dictionaries({d: scores for d in DIMENSIONS})


def completion(score: int, dims: dict[str, int]) -> str:
    return render(Score(score=score, dimensions=dims, recommendations=["Name the input."]))


@settings(max_examples=200, deadline=None)
@given(target=scores, a=scores, b=scores, dims=dimension_sets)
def test_closer_score_to_the_target_earns_more(target, a, b, dims):
    rewards = target_score_reward(
        [completion(a, dims), completion(b, dims)],
        target_score=[target, target],
        target_dimensions=[dims, dims],
    )
    if abs(a - target) < abs(b - target):
        assert rewards[0] > rewards[1]
    elif abs(a - target) == abs(b - target):
        assert rewards[0] == rewards[1]


@settings(max_examples=200, deadline=None)
@given(score=scores, target_dims=dimension_sets, near=dimension_sets, far=dimension_sets)
def test_closer_dimensions_earn_more(score, target_dims, near, far):
    def distance(dims):
        return sum(abs(dims[d] - target_dims[d]) for d in DIMENSIONS)

    rewards = target_score_reward(
        [completion(score, near), completion(score, far)],
        target_score=[score, score],
        target_dimensions=[target_dims, target_dims],
    )
    if distance(near) < distance(far):
        assert rewards[0] > rewards[1]


@settings(max_examples=200, deadline=None)
@given(posted=scores, a=scores, b=scores, dims=dimension_sets)
def test_thumbs_up_rewards_staying_near_and_thumbs_down_moving_away(posted, a, b, dims):
    pair = [completion(a, dims), completion(b, dims)]
    up = feedback_reward(pair, feedback=["up", "up"], posted_score=[posted, posted])
    down = feedback_reward(pair, feedback=["down", "down"], posted_score=[posted, posted])
    assert all(0.0 < r < 1.0 for r in up + down)
    if abs(a - posted) < abs(b - posted):
        assert up[0] > up[1]
        assert down[0] < down[1]


@pytest.mark.parametrize(
    ("verdict", "distance", "agrees"),
    [("up", 0, True), ("up", 9, True), ("up", 11, False), ("up", 60, False),
     ("down", 0, False), ("down", 9, False), ("down", 11, True), ("down", 60, True)],
)  # fmt: skip
def test_feedback_reward_crosses_one_half_at_the_margin(verdict, distance, agrees):
    reward = FeedbackReward(margin=10, softness=5)
    [value] = reward(
        [completion(20 + distance, dict.fromkeys(DIMENSIONS, 50))],
        feedback=[verdict],
        posted_score=[20],
    )
    assert (value > 0.5) is agrees


malformed = st.one_of(
    st.text(max_size=300),
    st.just("Score: 80"),  # no dimensions: parse() refuses it
    st.just("Clarity: 80\nCompleteness: 80\nActionability: 80\nConstructiveness: 80"),
    st.just("Score: 140\nClarity: 80\nCompleteness: 80\nActionability: 80\nConstructiveness: 80"),
)


@settings(max_examples=300, deadline=None)
@given(text=malformed, target=scores, worst=scores, dims=dimension_sets)
def test_malformed_output_earns_the_least(text, target, worst, dims):
    from review_forge.bot.errors import FormatError
    from review_forge.bot.scoring.score import parse

    try:
        parse(text)
    except FormatError:
        pass
    else:
        return  # hypothesis wrote a valid completion by chance: not the case under test
    # The worst parsed answer: as far from the target / the 👍 as it can be.
    far = 0 if target >= 50 else 100
    valid = completion(far, {d: 100 - v for d, v in dims.items()})
    kwargs = {
        "target_score": [target, target],
        "target_dimensions": [dims, dims],
        "posted_score": [target, target],
        "feedback": ["up", "up"],
    }
    for reward in (target_score_reward, feedback_reward):
        broken, parsed = reward([text, valid], **kwargs)
        assert broken == UNPARSEABLE
        assert broken < parsed
    assert format_reward([text])[0] < format_reward([completion(worst, dims)])[0]


def test_rows_without_their_label_are_neutral_whatever_the_completion():
    completions = [FULL, "garbage"]
    none = [None, None]
    assert target_score_reward(completions, target_score=none) == [NEUTRAL, NEUTRAL]
    assert feedback_reward(completions, feedback=none, posted_score=[72, 72]) == [NEUTRAL] * 2
    # reactions that cancel out (👍 - 👎 == 0) carry no signal either
    assert feedback_reward(completions, feedback=[0, 0], posted_score=[72, 72]) == [NEUTRAL] * 2
    # TRL passes extra keywords (prompts, trainer_state, ...); they are ignored
    assert target_score_reward([FULL], prompts=["p"], trainer_state=None, target_score=[72]) == [
        1.0
    ]


@settings(max_examples=50, deadline=None)
@given(target=scores, posted=scores, a=scores, dims=dimension_sets, verdict=st.sampled_from(
    ["up", "down", None, 3, -1]))  # fmt: skip
def test_rewards_survive_pickling(target, posted, a, dims, verdict):
    completions = [completion(a, dims), "Score: 9", FULL]
    kwargs = {
        "target_score": [target] * 3,
        "target_dimensions": [dims] * 3,
        "posted_score": [posted] * 3,
        "feedback": [verdict] * 3,
    }
    for reward in (
        format_reward,
        target_score_reward,
        feedback_reward,
        TargetScoreReward(dimension_weight=0.2),
        FeedbackReward(margin=4, softness=2),
    ):
        copy = pickle.loads(pickle.dumps(reward))
        assert copy(completions, **kwargs) == reward(completions, **kwargs)
        assert copy.__name__ == reward.__name__


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: TargetScoreReward(dimension_weight=1.5), "dimension_weight"),
        (lambda: FeedbackReward(margin=-1), "margin"),
        (lambda: FeedbackReward(softness=0), "softness"),
    ],
)
def test_bad_parameters_are_refused(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.training
def test_oumi_builds_the_registered_rewards_from_a_training_config():
    from oumi.builders import build_reward_functions
    from oumi.core.configs import TrainerType, TrainingParams

    names = ["review_forge_format", "review_forge_target", "review_forge_feedback"]
    params = TrainingParams(trainer_type=TrainerType.TRL_GRPO, reward_functions=names)
    built = build_reward_functions(params)
    assert built == [format_reward, target_score_reward, feedback_reward]
    assert [f.__name__ for f in built] == [
        "format_reward",
        "target_score_reward",
        "feedback_reward",
    ]
