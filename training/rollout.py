"""GRPO's generation on a CPU: each prompt prefilled once, its completions sampled from its cache.

TRL 1.6 without vLLM generates a step's completions with one `generate` over the prompts as the
sampler repeats them (each prompt once per completion), with the model in training mode. Under
gradient checkpointing, which the recipe needs to train the TinyLlama shape in float32 within a
7 GB runner, every decoder layer in training mode turns its KV cache off, so each new token runs
the whole sequence again: a 4 x 96-token group took 790 s against 362 s without checkpointing on
this 2-core machine (`benchmarks/grpo_step.py`). Here, per distinct prompt:

- the model is put in eval mode for the rollout (the layers keep their KV cache; no dropout
  while sampling) and back in training mode after;
- the prompt, tokenized as TRL does (its chat template, the generation prompt), is run once and
  its KV cache repeated for the prompt's completions, instead of once per completion;
- the completions are sampled together with TRL's own generation settings (temperature, top-p,
  length), and each is cut after its first end-of-sequence token, as TRL cuts them.

The training loss is TRL's, unchanged. Registered with Oumi as `review_forge_rollout` (the recipe's
`training.grpo.rollout_function`); TRL calls it as `rollout_func(prompts, trainer)`.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

NAME = "review_forge_rollout"


def cpu_rollout(prompts: list[Any], trainer: Any) -> dict[str, Any]:
    """Completions for a step's prompts (one per entry, repeats included), in their order."""
    import torch

    model, tokenizer = trainer.model, trainer.processing_class
    out: dict[str, Any] = {"prompt_ids": [], "completion_ids": [], "logprobs": None}
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for _, same in groupby(prompts, key=_key):
                group = list(same)
                ids = prompt_ids(tokenizer, group[0], getattr(trainer, "chat_template", None))
                out["prompt_ids"] += [ids] * len(group)
                out["completion_ids"] += sample(model, ids, len(group), trainer.generation_config)
    finally:
        model.train(was_training)
    return out


def prompt_ids(tokenizer: Any, prompt: Any, chat_template: str | None = None) -> list[int]:
    """The prompt's token ids as TRL builds them: the chat template with the generation prompt
    for a conversation, the plain text otherwise."""
    if isinstance(prompt, str):
        return list(tokenizer(text=prompt)["input_ids"])
    return list(
        tokenizer.apply_chat_template(
            prompt,
            chat_template=chat_template,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
        )["input_ids"]
    )


def sample(model: Any, ids: list[int], count: int, settings: Any) -> list[list[int]]:
    """`count` sampled completions of a prompt: its cache computed once, then repeated."""
    import torch
    from transformers import DynamicCache

    cache = DynamicCache()
    if len(ids) > 1:  # all but the last token: `generate` feeds that one itself
        model(input_ids=torch.tensor([ids[:-1]]), past_key_values=cache, use_cache=True)
    cache.batch_repeat_interleave(count)
    rows = torch.tensor([ids] * count)
    generated = model.generate(
        input_ids=rows,
        attention_mask=torch.ones_like(rows),
        past_key_values=cache,
        generation_config=settings,
    )
    return [_until_eos(row, settings.eos_token_id) for row in generated[:, len(ids) :].tolist()]


def _until_eos(row: list[int], eos: int | list[int] | None) -> list[int]:
    """The tokens up to and including the first end-of-sequence token (padding after it dropped).

    >>> _until_eos([5, 6, 2, 0, 0], 2), _until_eos([5, 6], [2, 3])
    ([5, 6, 2], [5, 6])
    """
    stops = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
    for index, token in enumerate(row):
        if token in stops:
            return row[: index + 1]
    return row


def _key(prompt: Any) -> str:
    return repr(prompt)
