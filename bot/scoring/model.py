"""The model scorer: a base causal LM plus a LoRA adapter, scoring comments in batches on the CPU.

`load_model_scorer` picks the engine (`engine`: llama.cpp in `bot.scoring.llamacpp`, the default
where it is installed, or torch, here); the prompt, the budget and the parser are theirs alike
(`bot.scoring.prompted`). The torch engine is fast by design too, for CPUs with native bf16:
- the adapter is merged into the base weights once, so generation runs a plain model;
- bf16 weights when the CPU has native bf16 arithmetic (checked, never assumed), else fp32;
- all comments of a run are scored together: sorted by prompt length into batches, each prompt
  prefilled alone after a shared system-prompt cache, then one greedy `generate` per batch with
  left padding and an attention that never copies the KV cache (`bot.generation`), under
  `torch.inference_mode`, on every core it may use;
- the answer budget is sized from the format itself (see `prompted.answer_budget`), and a row
  stops as soon as its recommendations end;
- the model is loaded once per process (a cache keyed by base, adapter folder and its hash).

What the model writes is read by `bot.score.parse`, the one parser. An answer that does not parse
is replaced by the rubric's score for that comment, marked `scorer: "rubric"` with the reason in
`fallback_reason`; a number is never made up. Torch is imported inside functions only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from review_forge.bot.adapter import adapter_revision, check_fits
from review_forge.bot.errors import EngineUnavailable, ModelUnavailable
from review_forge.bot.scoring.generation import PrefixCache, generate_batch, use_grouped_attention
from review_forge.bot.scoring.prompted import BATCH_SIZE, PromptedScorer, context_window
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import Comment, Scorer
from review_forge.bot.scoring.threads import cpu_threads
from review_forge.bot.settings import Config

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'review-forge[model]'"
_LOADED: dict[tuple[str, str | None, str], ModelScorer] = {}


def load_model_scorer(config: Config, required: bool) -> Scorer:
    """The model scorer for `config` on its engine (see `pick_engine`). When llama.cpp cannot
    run this model or adapter (an adapter on a layer it does not adapt, say) and the engine was
    `auto`, torch runs it when installed. Otherwise, when not `required`: the rubric when the
    extras are missing, and the rubric with the reason in each score's `fallback_reason` when
    the llama.cpp engine cannot run."""
    if pick_engine(config.engine) == "llama.cpp":
        from review_forge.bot.scoring.llamacpp.load import EngineFallback, load_llama

        try:
            return load_llama(
                config.base_model, config.adapter, cache_root(config), config.quantization
            )
        except EngineUnavailable as exc:
            if config.engine == "auto" and _extras_installed():
                log.warning("review-forge: warning: %s; torch runs the model instead", exc)
                return load(config.base_model, config.adapter)
            if required:
                raise
            reason = f"{exc}; the rubric scored this comment"
            log.warning("review-forge: warning: %s", reason)
            revision = adapter_revision(config.adapter) if config.adapter else "base"
            return EngineFallback(revision, reason)
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


def pick_engine(engine: str) -> str:
    """The engine to use, `llama.cpp` or `torch`: `auto` takes llama.cpp when llama-cpp-python
    can be imported (its library loads in a fraction of a second; the engine needs it next)."""
    if engine != "auto":
        return engine
    try:
        import llama_cpp  # noqa: F401
    except (ImportError, OSError):  # not installed, or its shared library does not load
        return "torch"
    return "llama.cpp"


def cache_root(config: Config) -> Path:
    """The folder for what review-forge keeps between runs (the Action's cache step keeps it):
    `cache_dir`, else `.cache/review-forge` in the workspace."""
    return Path(config.cache_dir or Path(config.workspace) / ".cache" / "review-forge")


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


class ModelScorer(PromptedScorer):
    """Scores comments with a loaded torch model and tokenizer (see `load`)."""

    def __init__(
        self, model: Any, tokenizer: Any, revision: str, batch_size: int = BATCH_SIZE
    ) -> None:
        self.model = model
        tokenizer.padding_side = "left"
        self.pad_id = tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
        limits = (model.config.max_position_embeddings, tokenizer.model_max_length)
        super().__init__(tokenizer, revision, context_window(*limits), batch_size)
        self.prefix = PrefixCache(self.prefix_ids)

    def _generate(self, prompts: list[list[int]], comments: list[Comment]) -> list[list[int]]:
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
