"""What every model engine shares: the prompt, the answer budget and the one parser.

An engine (torch in `bot.scoring.model`, llama.cpp in `bot.scoring.llamacpp`) only turns prompts
(token ids) into answers (token ids), greedy, stopping at EOS, at the budget, or once
`generation.answer_complete` holds. Everything on either side is here, once: the prompt through
the tokenizer's own chat template, cut to the context window (`prompt_fit`); the prefix every
prompt starts with (the system turn), which engines compute once and reuse; the order of the
rows (sorted by prompt length into batches); decoding; and `bot.score.parse`, with the rubric's
score and the reason when an answer does not parse.

The tokenizer may be transformers' or `llamacpp.tokenizer.ChatTokenizer`; only
`apply_chat_template`, calling it, `batch_decode`, `bos_token`, `eos_token_id` and
`model_max_length` are used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from review_forge.bot.errors import FormatError, ModelUnavailable
from review_forge.bot.scoring import addressed
from review_forge.bot.scoring.generation import common_prefix
from review_forge.bot.scoring.prompt import build_messages
from review_forge.bot.scoring.prompt_fit import fit_messages
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, parse, render

log = logging.getLogger("review_forge.bot.scoring.model")  # where the cut warnings always went

BATCH_SIZE = 16
# The longest answer the budget must hold: three-digit numbers, the rubric's longest note on every
# dimension and its longest recommendation. More recommendations are cut by the budget: the parser
# needs only the score and the four dimensions, and the first recommendation is the one shown.
_WIDEST_ANSWER = Score(
    score=100,
    dimensions=dict.fromkeys(DIMENSIONS, 100),
    notes=dict.fromkeys(DIMENSIONS, "explains why, but not what should happen instead; long"),
    recommendations=["Drop the judgement words and describe what the code does wrong, not who."],
)


class PromptedScorer:
    """Scores comments with a tokenizer and an engine's `_generate` (see the module's doc)."""

    name = "model"

    def __init__(
        self, tokenizer: Any, revision: str, context: int, batch_size: int = BATCH_SIZE
    ) -> None:
        self.tokenizer = tokenizer
        self.revision = revision
        self.context = context
        self.batch_size = batch_size
        self.answer_tokens = answer_budget(tokenizer)
        # Every prompt starts with the system turn: the prefix two different prompts share.
        self.prefix_ids = common_prefix(
            self.encode(build_messages("a")), self.encode(build_messages("b", "c", "d"))
        )

    def _generate(self, prompts: list[list[int]], comments: list[Comment]) -> list[list[int]]:
        """The engine's greedy answers (token ids) for one batch of prompts (of `comments`)."""
        raise NotImplementedError

    def score_many(self, comments: Sequence[Comment]) -> list[Score]:
        raws = self.generate_raw(comments)
        return [self._read(comment, raw) for comment, raw in zip(comments, raws, strict=True)]

    def _read(self, comment: Comment, raw: str) -> Score:
        try:
            score = parse(raw, scorer="model", model_revision=self.revision)
            # The prompt left that text out (`prompt.user_prompt`); the reply says it was there.
            return replace(score, addressed_to_bot=addressed.find(comment.body).kinds)
        except FormatError as exc:
            reason = f"the model's answer did not parse ({exc}); the rubric scored this comment"
            return score_comment(comment).with_source("rubric", self.revision, reason)

    def generate_raw(self, comments: Sequence[Comment]) -> list[str]:
        """Exactly what the model writes for each comment (special tokens removed), in order."""
        answers = self.generate_ids(comments)
        return self.tokenizer.batch_decode(answers, skip_special_tokens=True)

    def generate_ids(self, comments: Sequence[Comment]) -> list[list[int]]:
        """The answer tokens for each comment, in order: sorted by prompt length into batches."""
        prompts = [self.prompt_ids(comment, index) for index, comment in enumerate(comments)]
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        answers: list[list[int]] = [[] for _ in prompts]
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = [prompts[i] for i in rows], [comments[i] for i in rows]
            for row, ids in zip(rows, self._generate(*batch), strict=True):
                answers[row] = ids
        return answers

    def encode(self, messages: list[dict[str, str]]) -> list[int]:
        """The prompt's token ids, through the tokenizer's own chat template."""
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        bos = self.tokenizer.bos_token
        with_bos = not (bos and text.startswith(bos))  # templates that write BOS themselves
        # verbose=False: an over-long prompt is expected here, and cut by `prompt_ids`.
        encoded = self.tokenizer(text, add_special_tokens=with_bos, verbose=False)
        return list(encoded["input_ids"])

    def prompt_ids(self, comment: Comment, index: int = 0) -> list[int]:
        """The prompt, cut (see `fit_messages`) so that it and the answer budget fit the context
        window; a cut is logged as a warning, which the CLI and the Action show on stderr."""
        room = self.context - self.answer_tokens
        fitted = fit_messages(comment, lambda messages: len(self.encode(messages)) <= room)
        if fitted is None:
            raise ModelUnavailable(
                f"the model's context window ({self.context} tokens) cannot hold even an "
                "empty prompt and the answer; use a base model with a longer context"
            )
        messages, cut = fitted
        if cut:
            log.warning(
                "review-forge: warning: comment %d: %s to fit the model's context of %d tokens",
                index + 1,
                cut,
                self.context,
            )
        return self.encode(messages)


def context_window(*limits: Any) -> int:
    """The smallest positive whole number among the model's and the tokenizer's limits.

    >>> context_window(2048, 1000000000000000019884624838656, None)
    2048
    """
    return min(n for n in limits if isinstance(n, int) and n > 0)


def answer_budget(tokenizer: Any) -> int:
    """New tokens allowed per answer: the widest answer, the newline the chat template leaves to
    the model, and the end-of-sequence token."""
    return len(tokenizer(render(_WIDEST_ANSWER), add_special_tokens=False)["input_ids"]) + 2
