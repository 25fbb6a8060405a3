"""Choosing a scorer: the rubric, or the model with the rubric as its fallback.

Every face of review-forge (CLI, Action, hook, eval) scores through `make_scorer`, so they all
judge a comment the same way. The model module is imported only when the model is used, which
keeps torch out of the light path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.config import Config
from bot.score import Score


@dataclass(frozen=True)
class Comment:
    """What is scored: the comment's text and, when known, the code it is about."""

    body: str
    diff_hunk: str | None = None
    path: str | None = None


class Scorer(Protocol):
    name: str

    def score_many(self, comments: Sequence[Comment]) -> list[Score]:
        """One score per comment, in order."""
        ...


class RubricScorer:
    name = "rubric"

    def score_many(self, comments: Sequence[Comment]) -> list[Score]:
        from bot.rubric import score_comment

        return [score_comment(c) for c in comments]


def make_scorer(config: Config) -> Scorer:
    """The scorer `config.scorer` asks for ("auto": the model when an adapter is configured)."""
    if config.scorer == "rubric" or (config.scorer == "auto" and not config.adapter):
        return RubricScorer()
    from bot.model import load_model_scorer  # torch lives behind this import

    return load_model_scorer(config, required=config.scorer == "model")
