"""A tiny Llama with random weights: a stand-in for wiring and speed, never for quality.

No model can be downloaded in tests, in CI or on a machine without internet, so this module
builds one on the spot: a 2-layer Llama with random weights and a byte-level BPE tokenizer trained
on a small built-in corpus, with a Zephyr/TinyLlama-style chat template. It loads with
`AutoModelForCausalLM.from_pretrained` / `AutoTokenizer.from_pretrained` like the real base model,
so every code path (prompting, batching, adapters, training) can run against it. What it writes is
noise unless it has been taught a few answers (`teach`), which tests use to check the parser.

    python -m tests.support.tiny_model OUT_DIR
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path

import torch  # after the telemetry switches above
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)
from transformers.utils import logging as hf_logging

from review_forge.bot.scoring.prompt import SYSTEM_PROMPT, build_messages
from review_forge.bot.scoring.score import DIMENSIONS, Comment

SPECIAL_TOKENS = ("<unk>", "<s>", "</s>", "<pad>", "<|system|>", "<|user|>", "<|assistant|>")
# TinyLlama-1.1B-Chat's template (Zephyr style): prompts have the same shape as with the real base.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '<|user|>\n' + message['content'] + eos_token }}"
    "{% elif message['role'] == 'system' %}{{ '<|system|>\n' + message['content'] + eos_token }}"
    "{% elif message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\n' + message['content'] + eos_token }}{% endif %}"
    "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
    "{% endfor %}"
)
_REVIEW_TEXT = """\
This function returns None when the list is empty; callers index into it. Please return an empty
list instead, or raise ValueError with a message. Nit: rename tmp to pending_jobs. Why do we retry
here? The loop never ends when the server answers 503. Consider a timeout and a test for it.
LGTM. Looks good to me, thanks! Can you add a docstring that explains the units (seconds or ms)?
This breaks on Windows paths; use pathlib.Path instead of string concatenation. The lock is taken
twice in update() and save(), which deadlocks under load. Move the query out of the loop: it runs
once per row. Please split this PR, it mixes a refactor with a behaviour change. Typo in the error
message. Could we cache this result? It is computed for every request. Off-by-one: range(len(x) - 1)
skips the last item. I would prefer an early return here to reduce nesting. This is wrong.
Why? What does this do? Fix it. Add tests for the empty input, the unicode input and the error path.
def parse(text: str) -> dict: return {} if not text else json.loads(text)  # noqa
@@ -10,7 +10,9 @@ class Store:  - self.items = []  + self.items: list[Item] = []
diff --git a/src/app.py b/src/app.py index 3f2a..9c1b 100644 --- a/src/app.py +++ b/src/app.py
for i in range(10): total += values[i] if values else 0 while True: response = client.get(url)
"""


def _corpus() -> list[str]:
    """Review-ish text plus every word of the prompt and the completion format."""
    example = "\n".join(
        ["Score: 72"]
        + [
            f"{d.capitalize()}: {60 + 5 * i} - names the function and the failing input"
            for i, d in enumerate(DIMENSIONS)
        ]
        + ["Recommendations:", "- Say which input fails.", "- Propose the fix."]
    )
    numbers = " ".join(str(n) for n in range(101))
    labels = "File: Diff: Review comment:"
    return [SYSTEM_PROMPT, example, numbers, labels, *_REVIEW_TEXT.splitlines()]


def build_tokenizer(
    vocab_size: int = 1024, extra_corpus: Iterable[str] = ()
) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on the built-in corpus and `extra_corpus`.

    Deterministic: BPE training breaks ties by the pair itself, never at random.
    """
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(chain(_corpus(), extra_corpus), trainer=trainer)
    return wrap_tokenizer(tok, model_max_length=1024)


def wrap_tokenizer(tok: Tokenizer, model_max_length: int) -> PreTrainedTokenizerFast:
    """A trained `tokenizers.Tokenizer` as TinyLlama's: <s> first, its special tokens and chat
    template (shared by the tests' tiny model and the loop experiment's)."""

    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        additional_special_tokens=list(SPECIAL_TOKENS[4:]),
        model_max_length=model_max_length,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_config(tokenizer: PreTrainedTokenizerFast, **overrides: int) -> LlamaConfig:
    """A Llama config shaped like TinyLlama, scaled down to run in milliseconds."""
    shape = {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 1024,
        **overrides,
    }
    return LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        **shape,
    )


def build_tiny_model(out_dir: str | Path, seed: int = 0, **shape: int) -> Path:
    """Write a random-weight tiny Llama and its tokenizer to `out_dir`; return the folder."""
    out = Path(out_dir)
    tokenizer = build_tokenizer()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(tiny_config(tokenizer, **shape))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_adapter(
    base_dir: str | Path,
    out_dir: str | Path,
    seed: int = 0,
    modules: Sequence[str] = ("q_proj", "v_proj"),
) -> Path:
    """Save a LoRA adapter (rank 8 on `modules`, safetensors) for the model in `base_dir`.

    Both LoRA matrices are random (PEFT would start B at zero), so the adapter changes what the
    model writes and a different seed gives a different adapter, and a different content hash.
    """
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(base_dir)
    lora = LoraConfig(r=8, target_modules=list(modules), init_lora_weights=False)
    peft_model = get_peft_model(base, lora)
    peft_model.save_pretrained(out_dir, safe_serialization=True)
    return Path(out_dir)


def spoil_adapter(adapter_dir: str | Path, out_dir: str | Path, seed: int = 0) -> Path:
    """Copy an adapter with its LoRA B matrices replaced by noise: a deliberately worse candidate
    (it no longer writes what the original did) for tests of the evaluation gate."""
    from safetensors.torch import load_file, save_file

    source, out = Path(adapter_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter_config.json").write_bytes((source / "adapter_config.json").read_bytes())
    tensors = load_file(source / "adapter_model.safetensors")
    noise = torch.Generator().manual_seed(seed)
    spoiled = {
        name: torch.randn(tensor.shape, generator=noise) if "lora_B" in name else tensor
        for name, tensor in tensors.items()
    }
    save_file(spoiled, out / "adapter_model.safetensors")
    return out


def teach(
    model_dir: str | Path,
    examples: Sequence[tuple[str | Comment, str]],
    steps: int = 300,
    lr: float = 3e-3,
) -> Path:
    """Fine-tune the tiny model in place until it writes `completion` for each comment (a body,
    or a `Comment` with its diff hunk and path, prompted as the model scorer prompts it).

    Tests use this to get a model that really writes the canonical format, so the parsing path is
    exercised on generated text rather than on a string handed to the parser.
    """
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    torch.manual_seed(0)
    rows = []
    for body, completion in examples:
        comment = body if isinstance(body, Comment) else Comment(body)
        messages = build_messages(comment.body, comment.diff_hunk, comment.path)
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        prompt_ids = tokenizer(prompt)["input_ids"]
        # As with TinyLlama's template, the newline after <|assistant|> is the model's to write.
        answer_ids = tokenizer("\n" + completion, add_special_tokens=False)["input_ids"]
        ids = prompt_ids + answer_ids + [tokenizer.eos_token_id]
        rows.append((ids, [-100] * len(prompt_ids) + answer_ids + [tokenizer.eos_token_id]))
    width = max(len(ids) for ids, _ in rows)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in rows])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in rows])
    mask = (torch.arange(width)[None, :] < torch.tensor([len(i) for i, _ in rows])[:, None]).long()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(model_dir, safe_serialization=True)
    return Path(model_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.tiny_model",
        description=(
            "Write a tiny Llama with RANDOM weights and a tokenizer trained on the spot (with a "
            "chat template) to OUT_DIR. It is a stand-in for wiring and speed when no model can be "
            "downloaded, not for quality: its scores are noise."
        ),
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the model to")
    parser.add_argument("--seed", type=int, default=0, help="weight seed (default 0)")
    parser.add_argument(
        "--adapter", metavar="ADAPTER_DIR", help="also save a random LoRA adapter for it here"
    )
    args = parser.parse_args(argv)
    hf_logging.disable_progress_bar()
    out = build_tiny_model(args.out_dir, seed=args.seed)
    print(f"tiny model written to {out}")
    if args.adapter:
        print(f"tiny adapter written to {build_tiny_adapter(out, args.adapter, seed=args.seed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
