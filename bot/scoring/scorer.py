"""Choosing a scorer: the one place that decides between the rubric and the model.

Every face of review-forge (CLI, Action, hook, eval, retrain) gets its scorer here, so they all
judge a comment the same way:

- `scorer: rubric`, or `auto` without an adapter: the rubric.
- an adapter folder: the base model with that LoRA adapter (`scorer: auto` falls back to the
  rubric, with the reason, when the model cannot run; `scorer: model` fails instead).
- `adapter: data-branch[@commit]`: the adapter the retrain workflow promoted, fetched from the
  data branch (`bot/github/adapter_store.py`); with none there yet, the rubric and the reason.

The model and PyGithub are imported only when used, which keeps torch and PyGithub out of the
hook's light path.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from review_forge.bot.errors import GitHubError, ModelUnavailable
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import Scorer
from review_forge.bot.settings import Config, is_data_branch

if TYPE_CHECKING:
    from github import Github


def make_scorer(config: Config) -> Scorer:
    """The scorer for a local configuration (no data branch): the rubric, or the model."""
    if config.scorer == "rubric" or (config.scorer == "auto" and not config.adapter):
        return RubricScorer()
    from review_forge.bot.scoring.model import load_model_scorer  # torch lives behind this import

    return load_model_scorer(config, required=config.scorer == "model")


def choose_scorer(config: Config, gh: Github | None = None) -> tuple[Scorer, str | None]:
    """The scorer the configuration asks for, and why the model is not used when it is not."""
    if not is_data_branch(config.adapter):
        return make_scorer(config), None
    if config.scorer == "rubric":
        return RubricScorer(), None
    from review_forge.bot.github.adapter_store import stored_adapter  # PyGithub: only here

    required = config.scorer == "model"
    try:
        if gh is None:
            raise ModelUnavailable("adapter: data-branch needs a GitHub client and a token")
        stored = stored_adapter(config, gh)
        if stored is None:
            raise ModelUnavailable(
                f"no adapter on data branch {config.data_branch} yet (nothing under adapter/, "
                "or the token cannot read the branch: the job needs contents: read)"
            )
        scorer = make_scorer(replace(config, adapter=str(stored.folder)))
    except (ModelUnavailable, GitHubError) as exc:
        if required:
            raise
        return RubricScorer(), f"{exc}; the rubric scored it"
    if isinstance(scorer, RubricScorer):  # scorer auto without the model extra installed
        return (
            scorer,
            "the model packages are not installed (review-forge[model]); the rubric scored it",
        )
    return scorer, None
