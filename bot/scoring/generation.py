"""Batched greedy generation for the model scorer: prompts prefilled one by one, decoded together.

`generate` on a left-padded batch spends its prefill (half the time on a 2-core CPU) on padding,
and on the system prompt once per row. Here instead:

- the prompt prefix every prompt starts with (the chat template's system turn) is run once per
  process and its KV cache copied for each row;
- each row's own part of the prompt, but its last token, is run alone at its own length: no
  padding, and what a comment gets never depends on the other comments of its batch;
- the rows' caches are left-padded into one batch cache, and one `generate` call decodes every row
  from its last prompt token, greedy, under `torch.inference_mode`, with the stop criterion.

Positions stay right: `generate` numbers tokens from the attention mask, which marks the padding.

Attention is `grouped_attention`: each token's decode step reads the whole KV cache, and the
stock kernels either copy it once per query head (eager: TinyLlama has 8 query heads per KV head)
or run slowly with a padding mask on the CPU (SDPA: about twice eager's time per step, measured).
Torch is imported inside functions: `bot.model` imports this module without it.
"""

from __future__ import annotations

import copy
from typing import Any

from review_forge.bot.scoring.score import inspect

ATTENTION = "review_forge_grouped"


def use_grouped_attention(model: Any) -> None:
    """Switch `model` to `grouped_attention`, with the eager path's additive padding mask."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(ATTENTION, grouped_attention)
    AttentionMaskInterface.register(ATTENTION, eager_mask)
    model.set_attn_implementation(ATTENTION)


def grouped_attention(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    scaling: float,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[Any, None]:
    """Eager attention for grouped-query models that never copies keys or values per head.

    Query head h reads KV head h // groups (as in `repeat_kv`), so the query heads of one KV head
    are stacked into one matrix and multiplied with that head's keys and values directly.
    Same arithmetic as the eager path, without its per-step copy of the cache.
    """
    import torch

    batch, heads, length, dim = query.shape
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    stacked = query.reshape(batch, kv_heads, groups * length, dim)
    scores = torch.matmul(stacked, key.transpose(2, 3)).mul_(scaling)
    scores = scores.view(batch, kv_heads, groups, length, -1)
    if attention_mask is not None:  # additive: 0 where attended, the dtype's minimum elsewhere
        scores = scores + attention_mask[:, :, None, :, : scores.shape[-1]]
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    out = torch.matmul(weights.view(batch, kv_heads, groups * length, -1), value)
    return out.view(batch, heads, length, dim).transpose(1, 2).contiguous(), None


class PrefixCache:
    """The KV cache of the prompt prefix every prompt starts with, computed on first use."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.cache: Any = None

    def start(self, model: Any, prompt: list[int]) -> tuple[Any, list[int]]:
        """A cache to continue `prompt` from, and the part of `prompt` it does not cover yet."""
        import torch
        from transformers import DynamicCache

        if not self.ids or prompt[: len(self.ids)] != self.ids:
            return DynamicCache(), prompt
        if self.cache is None:
            self.cache = DynamicCache()
            model(
                input_ids=torch.tensor([self.ids]),
                past_key_values=self.cache,
                use_cache=True,
                logits_to_keep=1,
            )
        return copy.deepcopy(self.cache), prompt[len(self.ids) :]


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: list[list[int]],
    *,
    settings: Any,
    prefix: PrefixCache,
) -> list[list[int]]:
    """Greedy answers (token ids, without padding) for `prompts`, decoded as one batch."""
    import torch
    from transformers import DynamicCache, StoppingCriteriaList

    width = max(len(ids) for ids in prompts)
    rows = []
    for ids in prompts:
        cache, rest = prefix.start(model, ids[:-1])
        if rest:
            model(
                input_ids=torch.tensor([rest]),
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=1,
            )
        rows.append(cache)
    batch_cache = DynamicCache()
    for layer in range(len(rows[0].layers)):
        keys = _left_padded([row.layers[layer].keys for row in rows], width - 1)
        values = _left_padded([row.layers[layer].values for row in rows], width - 1)
        batch_cache.update(keys, values, layer)
    pad = settings.pad_token_id
    input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompts])
    mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts])
    stop = StoppingCriteriaList([_StopAfterAnswer(tokenizer, width)])
    out = model.generate(
        input_ids=input_ids,
        attention_mask=mask,
        past_key_values=batch_cache,
        generation_config=settings,
        stopping_criteria=stop,
    )
    return [_written(row, settings.eos_token_id, pad) for row in out[:, width:].tolist()]


def _left_padded(tensors: list[Any], length: int) -> Any:
    """Stack per-row cache tensors (1, heads, L_i, dim) into (rows, heads, length, dim), with
    each row at the right end; the attention mask hides the zeros on the left."""
    first = tensors[0]
    out = first.new_zeros((len(tensors), first.shape[1], length, first.shape[3]))
    for index, tensor in enumerate(tensors):
        out[index, :, length - tensor.shape[2] :] = tensor[0]
    return out


def answer_complete(text: str) -> bool:
    """True once the recommendations are followed by a blank line: what comes after is chatter.

    >>> answer_complete("Score: 5\\nRecommendations:\\n- Say why.\\n\\n")
    True
    >>> answer_complete("Score: 5\\n\\nClarity: 7")
    False
    """
    head, blank, _ = text.rpartition("\n\n")
    return bool(blank) and inspect(head).has_recommendations


def _written(row: list[int], eos: int | None, pad: int) -> list[int]:
    """A generated row without the padding `generate` adds after a row has finished."""
    if eos is not None and eos in row:
        return row[: row.index(eos) + 1]
    while row and row[-1] == pad:
        row = row[:-1]
    return row


class _StopAfterAnswer:
    """Generation stopping criterion: per row, stop once `answer_complete` holds."""

    def __init__(self, tokenizer: Any, prompt_width: int) -> None:
        self.tokenizer = tokenizer
        self.prompt_width = prompt_width

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        texts = self.tokenizer.batch_decode(
            input_ids[:, self.prompt_width :], skip_special_tokens=True
        )
        return torch.tensor([answer_complete(text) for text in texts], dtype=torch.bool)


def common_prefix(first: list[int], second: list[int]) -> list[int]:
    """The longest run of ids both lists start with.

    >>> common_prefix([1, 4, 7, 9], [1, 4, 8])
    [1, 4]
    """
    length = 0
    while length < min(len(first), len(second)) and first[length] == second[length]:
        length += 1
    return first[:length]
