"""Model scorer latency on the CPU: our scorer against a naive baseline, same weights, one run.

    python benchmarks/score_latency.py

The model is TinyLlama-1.1B's shape (its real config: 22 layers, hidden 2048, intermediate 5632,
32 heads, 4 KV heads, vocab 32000, context 2048) with random weights, nothing downloaded. Its
tokenizer is a byte-level BPE with 32,000 tokens trained here on the Python standard library's
sources plus the prompt's words, with TinyLlama's chat template. The review is 10 comments with
diff hunks (`review_fixture.py`).

1. Setup, in a child process and not measured: the model is saved in bf16 (the dtype of
   TinyLlama's checkpoint) with a random rank-8 LoRA adapter (q_proj, v_proj), both safetensors.
2. Ours: `bot.model.load(base, adapter)` and `score_many` over the 10 comments: the real path
   (dtype check, adapter check and merge, prompts cut to the context, batches, stop criterion).
3. Naive baseline: the same checkpoint loaded in fp32, the base alone, the same prompts, one
   comment at a time, free-form `generate` of 128 new tokens.

Random weights never write the stop condition, so both paths run to their token limit: the
baseline to 128 (`min_new_tokens` forces it), ours to the answer budget that `answer_budget`
derives from the format (printed below). That is our worst case; a trained adapter stops earlier.

Both paths run in this one process, ours first, so the peak RSS read after ours is ours alone;
the peak read at the end is the process's, which the baseline's fp32 weights set. Other jobs on
the machine slow both paths alike; run it on a quiet machine for absolute numbers.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import torch  # after the telemetry switches above

from benchmarks.review_fixture import COMMENTS  # a sibling file, found through sys.path

BASELINE_NEW_TOKENS = 128
TINYLLAMA_SHAPE = {
    "vocab_size": 32000,
    "hidden_size": 2048,
    "intermediate_size": 5632,
    "num_hidden_layers": 22,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "max_position_embeddings": 2048,
    "rms_norm_eps": 1e-5,
}


def stdlib_sources(limit_bytes: int = 24_000_000) -> Iterator[str]:
    """Python sources, code and English docstrings: a stand-in for a code tokenizer's data."""
    root = Path(sysconfig.get_paths()["stdlib"])
    total = 0
    for path in sorted(root.rglob("*.py")):
        if "test" in path.parts or "site-packages" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        total += len(text)
        if total > limit_bytes:
            return
        yield text


def setup(folder: Path) -> None:
    """Write the bf16 TinyLlama-shaped model, its tokenizer and a LoRA adapter to `folder`."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    from tests.support.tiny_model import build_tokenizer

    hf_logging.disable_progress_bar()

    tokenizer = build_tokenizer(vocab_size=32000, extra_corpus=stdlib_sources())
    tokenizer.model_max_length = TINYLLAMA_SHAPE["max_position_embeddings"]
    config = LlamaConfig(
        **TINYLLAMA_SHAPE,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    model = model.to_empty(device="cpu")
    torch.set_default_dtype(torch.float32)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.fill_(1.0)
            else:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.02)
    base = folder / "base"
    model.save_pretrained(base, safe_serialization=True)
    tokenizer.save_pretrained(base)
    model.name_or_path = str(base)  # what the adapter records as its base
    lora = LoraConfig(r=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, lora).save_pretrained(folder / "adapter", safe_serialization=True)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def run_ours(base: Path, adapter: Path) -> dict[str, float | str]:
    from review_forge.bot.scoring.model import load

    start = time.perf_counter()
    scorer = load(str(base), str(adapter))
    loaded = time.perf_counter()
    prompt_tokens = [len(scorer.prompt_ids(c, i)) for i, c in enumerate(COMMENTS)]
    scored = time.perf_counter()
    scores = scorer.score_many(COMMENTS)
    done = time.perf_counter()
    fallbacks = sum(s.fallback_reason is not None for s in scores)
    result = {
        "load_s": loaded - start,
        "ms_per_comment": (done - scored) * 1000 / len(COMMENTS),
        "new_tokens": scorer.answer_tokens,
        "dtype": str(scorer.model.dtype).removeprefix("torch."),
        "peak_rss_gb": peak_rss_gb(),
        "prompt_tokens": f"{min(prompt_tokens)}-{max(prompt_tokens)}",
        "note": f"{fallbacks}/{len(scores)} answers fell back (random weights write noise)",
        "batch": min(scorer.batch_size, len(COMMENTS)),
    }
    del scorer, scores
    from review_forge.bot.scoring import model as model_module

    model_module._LOADED.clear()  # free the bf16 weights before the baseline loads its own
    return result


def run_baseline(base: Path) -> dict[str, float | str]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from review_forge.bot.scoring.prompt import build_messages

    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    loaded = time.perf_counter()
    for comment in COMMENTS:
        messages = build_messages(comment.body, comment.diff_hunk, comment.path)
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = tokenizer(text, return_tensors="pt")
        model.generate(
            **inputs,
            max_new_tokens=BASELINE_NEW_TOKENS,
            min_new_tokens=BASELINE_NEW_TOKENS,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
        )
    done = time.perf_counter()
    return {
        "load_s": loaded - start,
        "ms_per_comment": (done - loaded) * 1000 / len(COMMENTS),
        "new_tokens": BASELINE_NEW_TOKENS,
        "dtype": "float32",
        "peak_rss_gb": peak_rss_gb(),
        "batch": 1,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup-only", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_only:
        setup(Path(args.setup_only))
        return 0
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="score-latency-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "benchmarks.score_latency", "--setup-only", tmp], check=True
        )
        print(
            f"setup (tokenizer training, random TinyLlama-shaped model, adapter): "
            f"{time.perf_counter() - started:.0f} s, not measured"
        )
        ours = run_ours(folder / "base", folder / "adapter")
        print(f"ours: {ours}", flush=True)  # the baseline takes much longer
        baseline = run_baseline(folder / "base")
    print(
        f"review: {len(COMMENTS)} comments with diff hunks, prompt tokens {ours['prompt_tokens']}"
    )
    print(f"torch threads: {torch.get_num_threads()}, {ours['note']}")
    header = f"{'path':<34}{'dtype':>9}{'batch':>6}{'max new':>8}{'load s':>8}"
    print(header + f"{'ms/comment':>12}{'peak RSS GB':>13}")
    for name, row in (("naive baseline (1 at a time)", baseline), ("ours (bot.model)", ours)):
        print(
            f"{name:<34}{row['dtype']:>9}{row['batch']:>6}{row['new_tokens']:>8}"
            f"{row['load_s']:>8.1f}{row['ms_per_comment']:>12.0f}{row['peak_rss_gb']:>13.2f}"
        )
    ratio = baseline["ms_per_comment"] / ours["ms_per_comment"]
    print(
        f"speed-up per comment: {ratio:.1f}x (goal >= 8x); ours "
        f"{ours['ms_per_comment'] / 1000:.2f} s/comment (goal <= 3 s); ours' peak RSS "
        f"{ours['peak_rss_gb']:.2f} GB (goal < 4 GB)"
    )
    print("peak RSS is the process's maximum so far: ours ran first; the baseline's includes it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
