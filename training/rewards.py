"""Reward functions for GRPO, in TRL's shape: `fn(completions, **kwargs) -> list[float]`.

Modelled on `trl/rewards/`: plain functions (or picklable callable objects when they take
parameters), one reward per completion. `completions` are strings or conversational message lists
(`[{"role": "assistant", "content": ...}]`); dataset columns arrive as keyword lists aligned with
them (`target_score`, `target_dimensions`, `posted_score`, `feedback`). Every reward reads the
completion through `bot.score` (`inspect`/`parse`), the one module that owns the format, so the
rewards, the parser and the synthetic data can never disagree.

Each reward is registered in Oumi's registry (names `review_forge_format`, `review_forge_target`,
`review_forge_feedback`) when Oumi is installed, so a `TrainingConfig` can name it under
`training.reward_functions`; without Oumi the module still imports and the rewards still work.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from review_forge.bot.errors import FormatError
from review_forge.bot.gate import AGREEMENT_MARGIN
from review_forge.bot.scoring.score import DIMENSIONS, Score, inspect, parse

UNPARSEABLE = -1.0  # below every parsed answer: a broken answer never ties a badly calibrated one
NEUTRAL = 0.0  # the row carries nothing this reward can judge (e.g. no feedback on a synthetic row)

RewardFn = Callable[..., list[float]]

# The `train` extra. Oumi 0.9 needs oumi.builders imported before oumi.core.* (circular import).
try:
    import oumi.builders  # noqa: F401
    from oumi.core.registry import REGISTRY, RegistryType
except ImportError:  # pragma: no cover - exercised only where the train extra is absent
    REGISTRY = None


def _register(name: str) -> Callable[[Any], Any]:
    """Register in Oumi's registry once, even if this file is also imported under another name.

    `OUMI_EXTRA_DEPS_FILE` imports a listed file by its stem (`rewards`), the trainer imports
    `training.rewards`: both copies run this, and Oumi's `register` raises on a second entry.
    """

    def decorate(obj: Any) -> Any:
        if REGISTRY is not None and not REGISTRY.contains(name, RegistryType.REWARD_FUNCTION):
            REGISTRY.register(name, RegistryType.REWARD_FUNCTION, obj)
        return obj

    return decorate


def completion_text(completion: str | Sequence[Mapping[str, Any]]) -> str:
    """The text of a completion, plain or conversational (the assistant turns, joined).

    >>> completion_text([{"role": "assistant", "content": "Score: 5"}])
    'Score: 5'
    """
    if isinstance(completion, str):
        return completion
    turns = [m for m in completion if m.get("role", "assistant") == "assistant"]
    return "\n".join(str(m.get("content") or "") for m in turns)


def structural_reward(text: str) -> float:
    """The seed's structural reward for one completion text (see `format_reward`)."""
    report = inspect(text)
    reward = 0.3 * report.has_score + 0.1 * len(report.dimensions_named)
    reward += 0.2 * report.has_recommendations
    if report.length < 100:
        reward -= 0.3
    return round(reward, 6)  # 0.1 * 3 is 0.30000000000000004; keep the table exact


@_register("review_forge_format")
def format_reward(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """The seed's structural reward, exactly as the design states it.

    +0.3 for a `Score:` line, +0.1 for each of the four dimensions named, +0.2 for
    recommendations, -0.3 when the completion is under 100 characters. Range -0.3 to 0.9.

    >>> full = ("Score: 72\\nClarity: 80 - names the input\\nCompleteness: 60\\n"
    ...         "Actionability: 75\\nConstructiveness: 85\\nRecommendations:\\n- Say why.")
    >>> format_reward([full, [{"role": "assistant", "content": "Score: 40"}], "LGTM"])
    [0.9, 0.0, -0.3]
    """
    return [structural_reward(completion_text(c)) for c in completions]


def _parsed(completion: Any) -> Score | None:
    try:
        return parse(completion_text(completion))
    except FormatError:
        return None


def _column(kwargs: Mapping[str, Any], name: str, n: int) -> list[Any]:
    values = kwargs.get(name)
    return [None] * n if values is None else list(values)


def _closeness(value: float, target: float) -> float:
    return 1.0 - abs(value - target) / 100.0


class TargetScoreReward:
    """Closeness of the parsed score (and dimensions) to the row's targets (synthetic labels).

    Each closeness is `1 - |value - target| / 100`; the reward mixes the overall score's with the
    dimensions' mean by `dimension_weight`. Range 0 to 1; an unparseable answer gets -1, a row
    without `target_score` gets 0 (neutral), so feedback rows can share a batch.

    >>> reward = TargetScoreReward(dimension_weight=0.0)
    >>> reward(["Score: 70\\nClarity: 1\\nCompleteness: 1\\nActionability: 1\\n"
    ...         "Constructiveness: 1", "Score: 70", "Score: 7"], target_score=[60, 60, None])
    [0.9, -1.0, 0.0]
    """

    def __init__(self, dimension_weight: float = 0.5) -> None:
        if not 0.0 <= dimension_weight <= 1.0:
            raise ValueError(f"dimension_weight must be within 0-1, got {dimension_weight}")
        self.dimension_weight = dimension_weight
        self.__name__ = "target_score_reward"  # TRL names each reward in its logs by __name__

    def __repr__(self) -> str:
        return f"TargetScoreReward(dimension_weight={self.dimension_weight})"

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        n = len(completions)
        targets = _column(kwargs, "target_score", n)
        target_dims = _column(kwargs, "target_dimensions", n)
        weight = self.dimension_weight
        rewards = []
        for completion, target, dims in zip(completions, targets, target_dims, strict=True):
            if target is None:
                rewards.append(NEUTRAL)
                continue
            score = _parsed(completion)
            if score is None:
                rewards.append(UNPARSEABLE)
                continue
            reward = _closeness(score.score, float(target))
            known = [d for d in DIMENSIONS if dims and dims.get(d) is not None]
            if known and weight:
                dim_close = sum(_closeness(score.dimensions[d], float(dims[d])) for d in known)
                reward = (1 - weight) * reward + weight * dim_close / len(known)
            rewards.append(round(reward, 6))
        return rewards


class FeedbackReward:
    """Agreement with people: a 👍 keeps the posted score, a 👎 moves away from it.

    With `d = |score - posted_score|`, a 👍 row earns `1 / (1 + exp((d - margin) / softness))`
    and a 👎 row earns one minus that: bounded in (0, 1), strictly monotone in `d`, crossing 0.5 at
    `margin`, the line where `review-forge eval` stops counting an answer as agreeing with a 👍
    and starts counting it as agreeing with a 👎. `feedback` is "up"/"down", or a number whose sign
    says the same (👍 minus 👎); rows without it (synthetic rows, reactions that cancel out) get 0,
    an unparseable answer on a feedback row gets -1.

    >>> reward = FeedbackReward(margin=10, softness=5)
    >>> full = "Score: 70\\nClarity: 1\\nCompleteness: 1\\nActionability: 1\\nConstructiveness: 1"
    >>> [round(r, 3) for r in reward([full, full, full, "Score: 70", full],
    ...     feedback=["up", -2, 1, "up", None], posted_score=[72, 72, 40, 72, None])]
    [0.832, 0.168, 0.018, -1.0, 0.0]
    """

    def __init__(self, margin: float = AGREEMENT_MARGIN, softness: float = 5.0) -> None:
        if margin < 0 or softness <= 0:
            raise ValueError(f"need margin >= 0 and softness > 0, got {margin}, {softness}")
        self.margin = margin
        self.softness = softness
        self.__name__ = "feedback_reward"  # TRL names each reward in its logs by __name__

    def __repr__(self) -> str:
        return f"FeedbackReward(margin={self.margin}, softness={self.softness})"

    def keeps(self, distance: float) -> float:
        """How much a 👍 likes an answer `distance` points from the posted score."""
        x = (distance - self.margin) / self.softness
        return 1.0 / (1.0 + math.exp(min(x, 700.0)))  # exp overflows past ~709

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        n = len(completions)
        verdicts = _column(kwargs, "feedback", n)
        posted = _column(kwargs, "posted_score", n)
        rewards = []
        for completion, feedback, posted_score in zip(completions, verdicts, posted, strict=True):
            verdict = _verdict(feedback)
            if verdict is None or posted_score is None:
                rewards.append(NEUTRAL)
                continue
            score = _parsed(completion)
            if score is None:
                rewards.append(UNPARSEABLE)
                continue
            keeps = self.keeps(abs(score.score - float(posted_score)))
            rewards.append(keeps if verdict == "up" else 1.0 - keeps)
        return rewards


def _verdict(feedback: Any) -> str | None:
    """The verdict ("up", "down" or None) from a string or a 👍-minus-👎 count."""
    if feedback in ("up", "down"):
        return str(feedback)
    if isinstance(feedback, int | float) and not isinstance(feedback, bool) and feedback:
        return "up" if feedback > 0 else "down"
    return None


# The registered instances use the defaults. For other parameters construct an instance (they
# pickle); Oumi's `reward_function_kwargs` would arrive as per-call keywords and are not read.
target_score_reward: RewardFn = _register("review_forge_target")(TargetScoreReward())
feedback_reward: RewardFn = _register("review_forge_feedback")(FeedbackReward())
