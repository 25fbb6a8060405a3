"""The model scorer: a base causal LM plus a LoRA adapter, scoring comments in batches on the CPU.

Fast by design, because the Action runs it on a 2-core runner:
- the adapter is merged into the base weights once, so generation runs a plain model;
- bf16 weights when the CPU has native bf16 arithmetic (checked, never assumed), else fp32;
- all comments of a run are scored together: sorted by prompt length into batches, each prompt
  prefilled alone after a shared system-prompt cache, then one greedy `generate` per batch with
  left padding and an attention that never copies the KV cache (`bot.generation`), under
  `torch.inference_mode`, on every core it may use;
- the answer budget is sized from the format itself (see `answer_budget`), and a row stops as soon
  as its recommendations end;
- the model is loaded once per process (a cache keyed by base, adapter folder and its hash).

What the model writes is read by `bot.score.parse`, the one parser. An answer that does not parse
is replaced by the rubric's score for that comment, marked `scorer: "rubric"` with the reason in
`fallback_reason`; a number is never made up. Torch is imported inside functions only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from review_forge.bot.adapter import adapter_revision, check_fits
from review_forge.bot.errors import FormatError, ModelUnavailable
from review_forge.bot.scoring import addressed
from review_forge.bot.scoring.generation import (
    PrefixCache,
    common_prefix,
    generate_batch,
    use_grouped_attention,
)
from review_forge.bot.scoring.prompt import build_messages
from review_forge.bot.scoring.prompt_fit import fit_messages
from review_forge.bot.scoring.rubric import RubricScorer, score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, Scorer, parse, render
from review_forge.bot.settings import Config

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'review-forge[model]'"
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
_LOADED: dict[tuple[str, str | None, str], ModelScorer] = {}


def load_model_scorer(config: Config, required: bool) -> Scorer:
    """The model scorer for `config`, or the rubric when the extras are missing and not required."""
    if not _extras_installed():
        if required:
            raise ModelUnavailable(
                f"the model scorer needs torch, transformers and peft: {INSTALL_HINT}"
            )
        return RubricScorer()
    return load(config.base_model, config.adapter)


def load(base: str, adapter: str | None = None) -> ModelScorer:
    """Load (once per process) the base model with the adapter merged into it."""
    revision = adapter_revision(adapter) if adapter else "base"
    key = (base, str(Path(adapter).resolve()) if adapter else None, revision)
    if key not in _LOADED:
        _LOADED[key] = _load(base, Path(adapter) if adapter else None, revision)
    return _LOADED[key]


def _extras_installed() -> bool:
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _load(base: str, adapter: Path | None, revision: str) -> ModelScorer:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(cpu_threads(torch.get_num_threads()))
    try:
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=pick_dtype(), use_safetensors=True)
    except (OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailable(
            f"cannot load base model {base}: {reason}; pass --base-model with a local folder "
            "or a hub id in the local cache"
        ) from None
    if adapter is not None:
        check_fits(adapter, base, model)
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    use_grouped_attention(model)
    return ModelScorer(model.eval(), tokenizer, revision)


def cpu_threads(default: int) -> int:
    """Threads for torch: the CPUs this process may run on, capped by a container's CPU quota
    (cgroup v2 `cpu.max`) and by torch's own default (the physical cores): more threads than
    that only wait on each other."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()
        if quota != "max":
            count = min(count or 1, int(quota) // int(period))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota here
    return max(1, min(count or 1, default))


def pick_dtype() -> Any:
    """bf16 when this CPU computes it natively (AVX512-BF16 or AMX) and a bf16 matmul agrees
    with fp32; fp32 otherwise, where emulated bf16 would be slower than fp32."""
    import torch

    cpu = torch._C._cpu
    native = any(
        getattr(cpu, probe, lambda: False)()
        for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    )
    if not native:
        return torch.float32
    sample = torch.randn(64, 64, generator=torch.Generator().manual_seed(0))
    exact = sample @ sample
    approx = (sample.bfloat16() @ sample.bfloat16()).float()
    return torch.bfloat16 if torch.allclose(approx, exact, rtol=0.05, atol=0.5) else torch.float32


class ModelScorer:
    """Scores comments with a loaded model and tokenizer (see `load`)."""

    name = "model"

    def __init__(
        self, model: Any, tokenizer: Any, revision: str, batch_size: int = BATCH_SIZE
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.revision = revision
        self.batch_size = batch_size
        tokenizer.padding_side = "left"
        self.pad_id = tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
        limits = [model.config.max_position_embeddings, tokenizer.model_max_length]
        self.context = min(n for n in limits if isinstance(n, int) and n > 0)
        self.answer_tokens = answer_budget(tokenizer)
        # Every prompt starts with the system turn: the prefix two different prompts share.
        self.prefix = PrefixCache(
            common_prefix(
                self.encode(build_messages("a")), self.encode(build_messages("b", "c", "d"))
            )
        )

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
            for row, ids in zip(rows, self._generate([prompts[i] for i in rows]), strict=True):
                answers[row] = ids
        return answers

    def _generate(self, prompts: list[list[int]]) -> list[list[int]]:
        import torch
        from transformers import GenerationConfig

        settings = GenerationConfig(
            max_new_tokens=self.answer_tokens,
            do_sample=False,
            pad_token_id=self.pad_id,
            eos_token_id=self.tokenizer.eos_token_id,
        )
        with torch.inference_mode():
            return generate_batch(
                self.model, self.tokenizer, prompts, settings=settings, prefix=self.prefix
            )

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


def answer_budget(tokenizer: Any) -> int:
    """New tokens allowed per answer: the widest answer, the newline the chat template leaves to
    the model, and the end-of-sequence token."""
    return len(tokenizer(render(_WIDEST_ANSWER), add_special_tokens=False)["input_ids"]) + 2
