"""Model scorer latency on this CPU: torch float32 against llama.cpp, one factor per row.

    python -m benchmarks.score_latency                # every row
    python -m benchmarks.score_latency --rows llama.cpp/q8_0/1/full,torch/f32/1/full

The model is TinyLlama-1.1B's shape (its real config: 22 layers, hidden 2048, intermediate 5632,
32 heads, 4 KV heads, vocab 32000, context 2048) with random weights, nothing downloaded. Its
tokenizer is a byte-level BPE with 32,000 tokens trained here on the Python standard library's
sources plus the prompt's words, with TinyLlama's chat template. The review is 10 comments with
diff hunks (`review_fixture.py`); "1 comment" is its comment with the median prompt length.

Setup, not measured: the model saved in bf16 (TinyLlama's checkpoint dtype) with a random rank-8
LoRA adapter (q_proj, v_proj); then each llama.cpp quantisation converted once and its system
prompt state written, as the Action's first run on a new adapter does (timed, printed apart).

Each row is a child process, so its peak RSS is its own: load the scorer the way the Action does
from a warm cache (`torch`: `bot.scoring.model.load`, bf16 checkpoint to float32 and the adapter
merged; `llama.cpp`: `load_llama` on the converted files, the adapter applied at load) and score.
"process s" is the whole child as the parent timed it: Python's start, the imports, the load and
the score. Rows differ from their neighbour in one factor: the engine and its weights, one
comment or the review (batch), or the answer length. Random weights never write the stop
condition, so a row runs to its budget: "full" is the scorer's budget (`answer_budget`), "short"
the median length of the completions the retrain teaches (`training.data_synthesis`) through
this tokenizer up to the end of their first recommendation. Random weights never match the
drafts (`llamacpp/drafts.py`) either: a trained adapter's answers take fewer steps than these.
Threads: OMP_NUM_THREADS for both engines (unset: every core). Other jobs on the machine slow
every row; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.review_fixture import COMMENTS
from review_forge.bot.settings import disable_telemetry

ALL_ROWS = (
    "torch/f32/10/full",
    "torch/f32/1/full",
    "llama.cpp/f16/1/full",
    "llama.cpp/q8_0/1/full",
    "llama.cpp/q4_0/1/full",
    "llama.cpp/q8_0/10/full",
    "llama.cpp/q8_0/1/short",
    "llama.cpp/q8_0/10/short",
)
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
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from tests.support.tiny_model import build_tokenizer

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


def convert(folder: Path, kinds: list[str]) -> dict[str, float]:
    """Convert the base for each quantisation and write the prompt state: seconds per kind."""
    from review_forge.bot.scoring.llamacpp.load import load_llama

    seconds = {}
    for kind in kinds:
        start = time.perf_counter()
        scorer = load_llama(str(folder / "base"), str(folder / "adapter"), folder / "cache", kind)
        scorer.generate_ids([COMMENTS[0]])  # a first run: the system prompt's state is saved
        seconds[kind] = time.perf_counter() - start
    return seconds


def single_comment(scorer) -> int:
    """The index of the fixture's comment with the median prompt length."""
    lengths = sorted((len(scorer.prompt_ids(c)), i) for i, c in enumerate(COMMENTS))
    return lengths[len(lengths) // 2][1]


def answer_lengths(tokenizer) -> dict[str, int]:
    """Tokens of the retrain's canonical completions (`training.data_synthesis`, 300 rows) with
    the newline before and the EOS after: the median whole answer, and the median and longest
    answer through its first recommendation (the part the reply needs)."""
    from review_forge.training.data_synthesis import synthesize

    def tokens(text: str) -> int:
        return len(tokenizer("\n" + text, add_special_tokens=False)["input_ids"]) + 1

    completions = [r["completion"] for r in synthesize(300, seed=0)]
    firsts = []
    for text in completions:
        head, _, recommendations = text.partition("Recommendations:\n")
        firsts.append(tokens(head + "Recommendations:\n" + recommendations.split("\n")[0]))
    return {
        "whole median": int(statistics.median(tokens(t) for t in completions)),
        "first recommendation median": int(statistics.median(firsts)),
        "first recommendation max": max(firsts),
    }


def run_row(folder: Path, row: str) -> dict[str, object]:
    """One row, in this (child) process: load as the Action does, then score."""
    engine, kind, count, length = row.split("/")
    start = time.perf_counter()
    if engine == "torch":
        from review_forge.bot.scoring.model import load

        scorer = load(str(folder / "base"), str(folder / "adapter"))
        dtype = str(scorer.model.dtype).removeprefix("torch.")
    else:
        from review_forge.bot.scoring.llamacpp.load import load_llama

        scorer = load_llama(str(folder / "base"), str(folder / "adapter"), folder / "cache", kind)
        dtype = kind
    loaded = time.perf_counter()
    lengths = answer_lengths(scorer.tokenizer)
    budget = scorer.answer_tokens
    if length == "short":
        scorer.answer_tokens = lengths["first recommendation median"]
    comments = list(COMMENTS) if count == "10" else [COMMENTS[single_comment(scorer)]]
    prompts = [len(scorer.prompt_ids(c)) for c in comments]
    begin = time.perf_counter()
    answers = scorer.generate_ids(comments)
    done = time.perf_counter()
    return {
        "row": row,
        "weights": dtype,
        "load_s": loaded - start,
        "score_s": done - begin,
        "s_per_comment": (done - begin) / len(comments),
        "new_tokens": max(len(a) for a in answers),
        "prompt_tokens": f"{min(prompts)}-{max(prompts)}" if count == "10" else str(prompts[0]),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "lengths": {"budget": budget, **lengths},
    }


def cpu_line() -> str:
    """The CPU's model and whether it computes bf16 natively (AVX512-BF16 or AMX)."""
    info = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    model = next(
        (ln.split(":", 1)[1].strip() for ln in info.splitlines() if "model name" in ln), "?"
    )
    flags = next(
        (ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), []
    )
    bf16 = "avx512_bf16" in flags or "amx_bf16" in flags
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"CPU: {model}, {os.cpu_count()} cores, {simd}, native bf16: {'yes' if bf16 else 'no'}"


def child(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.score_latency", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"score_latency: {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", default=",".join(ALL_ROWS), help="engine/weights/comments/answer,..."
    )
    parser.add_argument("--keep", metavar="DIR", help="set up in DIR and reuse it on later runs")
    parser.add_argument("--setup-only", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--convert-only", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--row", nargs=2, metavar=("DIR", "ROW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    disable_telemetry()  # before any hub client import, here and (inherited) in the children
    if args.setup_only:
        setup(Path(args.setup_only))
        return 0
    if args.convert_only:
        kinds = sorted({r.split("/")[1] for r in args.rows.split(",") if r.startswith("llama")})
        print(json.dumps(convert(Path(args.convert_only), kinds)))
        return 0
    if args.row:
        print(json.dumps(run_row(Path(args.row[0]), args.row[1])))
        return 0
    rows = args.rows.split(",")
    unknown = [r for r in rows if len(r.split("/")) != 4]
    if unknown:
        parser.error(f"rows look like torch/f32/10/full; got {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="score-latency-") as tmp:
        folder = Path(args.keep or tmp)
        print(cpu_line())
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not (folder / "adapter").is_dir():
            started = time.perf_counter()
            child("--setup-only", str(folder))
            print(
                f"setup (tokenizer, random model, adapter): {time.perf_counter() - started:.0f} s"
            )
        converted = json.loads(child("--rows", ",".join(rows), "--convert-only", str(folder)))
        for kind, seconds in converted.items():
            print(f"llama.cpp {kind}: first run with this base and adapter (convert, quantise, "
                  f"prompt state) {seconds:.1f} s; later runs reuse the files")  # fmt: skip
        results = []
        for row in rows:
            started = time.perf_counter()
            results.append({**json.loads(child("--row", str(folder), row)),
                            "process_s": time.perf_counter() - started})  # fmt: skip
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    lengths = ", ".join(f"{k} {v}" for k, v in results[0]["lengths"].items())
    print(
        f"answer tokens (budget, and the retrain's completions through this tokenizer): {lengths}"
    )
    print(f"{'engine/weights/comments/answer':<30}{'prompt tok':>11}{'new tok':>8}{'load s':>8}"
          f"{'score s':>9}{'s/comment':>10}{'load+score':>11}{'process s':>10}"
          f"{'peak RSS GiB':>13}")  # fmt: skip
    for r in results:
        print(f"{r['row']:<30}{r['prompt_tokens']:>11}{r['new_tokens']:>8}{r['load_s']:>8.1f}"
              f"{r['score_s']:>9.1f}{r['s_per_comment']:>10.2f}{r['load_s'] + r['score_s']:>11.1f}"
              f"{r['process_s']:>10.1f}{r['peak_rss_gib']:>13.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
