"""Oumi datasets over the training rows: GRPO prompts and SFT warm-up conversations.

Rows come from `training/rows.py` (synthetic rows and feedback records, newest snapshot per
reply). Each becomes the conversational `prompt` TRL's GRPO trainer accepts, built by
`bot.prompt.build_messages` (the prompt the model scorer sends) and fitted to the token budget,
beside the reward columns (`target_score`, `target_dimensions`, `posted_score`, `feedback`); the
SFT dataset adds the canonical `completion`.

Registered with Oumi as `review_forge_grpo` and `review_forge_sft`: import this module (or list
`training/oumi_registry.py` in `OUMI_EXTRA_DEPS_FILE` for the `oumi` CLI) before training.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

import datasets
import oumi.builders  # noqa: F401 - must precede oumi.core.datasets, or a circular import fails
from oumi.core.datasets import BaseMapDataset
from oumi.core.registry import REGISTRY, RegistryType

from review_forge.bot.errors import InputError
from review_forge.bot.scoring.prompt import build_messages
from review_forge.bot.scoring.score import DIMENSIONS
from review_forge.training.rows import read_training_data, sft_rows

GRPO_DATASET = "review_forge_grpo"
SFT_DATASET = "review_forge_sft"
# model_max_length 512 minus max_completion_length 96 (configs/grpo_cpu.yaml). TRL 1.x no longer
# truncates prompts, and Oumi ignores model_max_length for GRPO, so the dataset keeps the budget.
DEFAULT_MAX_PROMPT_TOKENS = 416

_MESSAGES = datasets.List({"role": datasets.Value("string"), "content": datasets.Value("string")})
# Fixed features: synthetic rows have no posted score and feedback rows no target, and Arrow would
# otherwise infer a null column from a batch holding only one kind.
GRPO_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "prompt": _MESSAGES,
        "target_score": datasets.Value("float64"),
        "target_dimensions": {d: datasets.Value("float64") for d in DIMENSIONS},
        "posted_score": datasets.Value("float64"),
        "feedback": datasets.Value("int64"),
    }
)
SFT_FEATURES = datasets.Features(
    {"id": datasets.Value("string"), "prompt": _MESSAGES, "completion": _MESSAGES}
)


def fit_prompt(
    row: dict[str, Any], count_tokens: Callable[[list[dict[str, str]]], int], budget: int
) -> list[dict[str, str]]:
    """The row's chat prompt, cut the way the model scorer cuts it until it fits in `budget`.

    The diff hunk loses its top first (GitHub's hunk ends at the commented line), then the hunk
    goes and the comment is cut at its end: a comment can be 65,536 characters, the model has 512
    tokens for prompt and answer together. The cut marks are `bot.model`'s, so a long comment
    reads the same in training as when it is scored.

    >>> row = {"body": "Off by one?", "diff_hunk": "\\n".join(f"+line {i}" for i in range(300))}
    >>> words = lambda messages: sum(len(m["content"].split()) for m in messages)
    >>> user = fit_prompt(row, words, budget=200)[1]["content"]
    >>> "earlier lines cut]" in user, "+line 299" in user, "+line 0\\n" in user
    (True, True, False)
    >>> words(fit_prompt({"body": "word " * 900}, words, budget=200)) <= 200
    True
    """
    body, path = row["body"], row.get("path")
    lines = (row.get("diff_hunk") or "").splitlines()

    def fits(messages: list[dict[str, str]]) -> bool:
        return count_tokens(messages) <= budget

    def with_hunk_tail(keep: int) -> list[dict[str, str]]:
        hunk = f"[{len(lines) - keep} earlier lines cut]\n" + "\n".join(lines[-keep:])
        return build_messages(body, hunk if keep else None, path)

    def with_body(chars: int) -> list[dict[str, str]]:
        return build_messages(body[:chars] + " [cut]", None, path)

    whole = build_messages(body, "\n".join(lines) or None, path)
    if fits(whole):
        return whole
    keep = _largest(len(lines) - 1, lambda k: fits(with_hunk_tail(k)))
    if keep is not None:
        return with_hunk_tail(keep)
    chars = _largest(len(body) - 1, lambda c: fits(with_body(c)))
    if chars is None:
        raise InputError(f"max_prompt_tokens {budget} cannot hold even the system prompt")
    return with_body(chars)


def _largest(high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in 0..high with fits(n), for a fits that holds up to some n and then not."""
    first_misfit = bisect.bisect_left(range(high + 1), True, key=lambda n: not fits(n))
    return first_misfit - 1 if first_misfit > 0 else None


def _register(name: str) -> Callable[[type], type]:
    """Register a dataset class once, even if this file is imported under a second name."""

    def decorate(cls: type) -> type:
        if not REGISTRY.contains(name, RegistryType.DATASET):
            REGISTRY.register(name, RegistryType.DATASET, cls)
        return cls

    return decorate


class _RowsDataset(BaseMapDataset):
    """An Oumi map dataset over `read_training_data` rows, with fixed Arrow features.

    `dataset_path` is a JSONL file or folder; `dataset_kwargs` may add `extra_paths` (read
    together, so the newest-snapshot rule holds across them) and `max_prompt_tokens`.
    """

    default_dataset: str
    features: datasets.Features

    def __init__(
        self,
        *,
        dataset_name: str | None = None,
        dataset_path: str | None = None,
        extra_paths: Sequence[str] = (),
        tokenizer: Any = None,
        max_prompt_tokens: int = DEFAULT_MAX_PROMPT_TOKENS,
        **kwargs: Any,
    ) -> None:
        name = dataset_name or self.default_dataset
        super().__init__(dataset_name=name, dataset_path=dataset_path, **kwargs)
        if not dataset_path:
            raise InputError(f"dataset {name} needs a dataset_path (a JSONL file or a folder)")
        if tokenizer is None:
            raise InputError(f"dataset {name} needs the model's tokenizer to fit prompts")
        self._tokenizer = tokenizer
        self._budget = max_prompt_tokens
        # A plain list, not the base class's DataFrame: pandas would turn None scores into NaN.
        self._rows = self.select(read_training_data([dataset_path, *extra_paths]).rows)

    def select(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return rows

    def _count_tokens(self, messages: list[dict[str, str]]) -> int:
        text = self._tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        return self.transform(self._rows[idx])

    def transform(self, sample: Any) -> dict[str, Any]:
        row = dict(sample)
        row["prompt"] = fit_prompt(row, self._count_tokens, self._budget)
        if "completion" in self.features:
            row["completion"] = [{"role": "assistant", "content": row["completion"]}]
        return {name: row[name] for name in self.features}

    def to_hf(self, return_iterable: bool = False) -> datasets.Dataset | datasets.IterableDataset:
        rows = [self[i] for i in range(len(self))]
        result = datasets.Dataset.from_list(rows, features=self.features)
        return result.to_iterable_dataset() if return_iterable else result


@_register(GRPO_DATASET)
class ReviewForgeGrpoDataset(_RowsDataset):
    """GRPO prompts with the reward columns (targets, posted score, feedback)."""

    default_dataset = GRPO_DATASET
    features = GRPO_FEATURES


@_register(SFT_DATASET)
class ReviewForgeSftDataset(_RowsDataset):
    """Prompt/completion conversations for the SFT warm-up (TRL trains on the completion only)."""

    default_dataset = SFT_DATASET
    features = SFT_FEATURES

    def select(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sft_rows(rows)
