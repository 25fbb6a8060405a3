"""One GRPO step on a TinyLlama-shaped model: TRL's default settings against our CPU recipe.

    python benchmarks/grpo_step.py            # both runs, ~5-10 minutes on 2 cores, ~21 GB free

The model has TinyLlama-1.1B's shape (22 layers, hidden 2048, intermediate 5632, 32 heads, 4 KV
heads, vocab 32000) with random weights, since no weights can be downloaded; LoRA r 8 on the
recipe's modules; our reward functions; one prompt group (the same median-length synthetic prompt
in both runs, built by our GRPO dataset). Random weights rarely stop on their own, so generation
is forced to full length (`min_new_tokens`), which is the worst case a real model can hit.

- "TRL defaults": `GRPOConfig` as TRL ships it (8 generations x 256 tokens, batch 8, gradient
  checkpointing on), float32 weights and no mixed precision.
- "ours": the `GRPOConfig` Oumi builds from `training/configs/grpo_cpu.yaml` (`to_hf()`), with
  that recipe's dtype and LoRA: what `grpo_trainer.py` trains with.

Each run is its own process, so its peak RSS is its own. Printed: seconds per prompt group (one
GRPO step: generation, rewards, loss, backward, optimizer), wall-clock and CPU time of all
threads (their ratio shows how much of the cores the run got on a shared machine), generated
tokens per second of that step, peak RSS, and what 200 feedback records x 1 epoch would take on
this machine at the measured speed. The tokenizer
is the test stand-in's (training/tiny_model.py); it cuts text finer than TinyLlama's, so prompts
are ~30% longer than they would be: the projection errs on the slow side.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RECIPE = ROOT / "training" / "configs" / "grpo_cpu.yaml"
RUNS = ("trl-defaults", "ours")
RECORDS = 200  # the projection: feedback records, one epoch


def tinyllama_shape(vocab_size: int, pad_id: int, bos_id: int, eos_id: int):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=2048,
        intermediate_size=5632,
        num_hidden_layers=22,
        num_attention_heads=32,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        pad_token_id=pad_id,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
    )


def one_prompt(tokenizer, folder: Path):
    """A one-row GRPO dataset (our dataset class): the median-length synthetic prompt."""
    from review_forge.training.data_synthesis import synthesize, write_jsonl
    from review_forge.training.oumi_data import ReviewForgeGrpoDataset

    rows = synthesize(60, seed=0)
    full = ReviewForgeGrpoDataset(
        dataset_path=str(write_jsonl(rows, folder / "all.jsonl")), tokenizer=tokenizer
    )
    lengths = [full._count_tokens(full[i]["prompt"]) for i in range(len(full))]
    median = sorted(range(len(lengths)), key=lengths.__getitem__)[len(lengths) // 2]
    one = write_jsonl([rows[median]], folder / "one.jsonl")
    return ReviewForgeGrpoDataset(dataset_path=str(one), tokenizer=tokenizer).to_hf(), lengths[
        median
    ]


def grpo_args(run: str, out: str):
    """The GRPOConfig and model dtype for a run, and the LoRA config (the recipe's for both)."""
    import torch
    from oumi.core.configs import TrainingConfig
    from peft import LoraConfig
    from trl import GRPOConfig

    config = TrainingConfig.from_yaml(str(RECIPE))
    lora = LoraConfig(
        r=config.peft.lora_r,
        lora_alpha=config.peft.lora_alpha,
        lora_dropout=config.peft.lora_dropout,
        target_modules=list(config.peft.lora_target_modules or []),
        task_type="CAUSAL_LM",
    )
    # Random weights rarely write EOS: force every completion to full length, in both runs.
    if run == "trl-defaults":
        default_length = GRPOConfig.__dataclass_fields__["max_completion_length"].default
        args = GRPOConfig(
            output_dir=out,
            use_cpu=True,
            bf16=False,
            max_steps=1,
            report_to=[],
            save_strategy="no",
            generation_kwargs={"min_new_tokens": default_length},
        )
        dtype = torch.float32
    else:
        config.training.output_dir = out
        config.training.max_steps = 1
        forced = {"min_new_tokens": config.training.grpo.max_completion_length}
        config.training.trainer_kwargs["generation_kwargs"] = forced
        args = config.training.to_hf()  # exactly what Oumi hands TRL for this recipe
        dtype = getattr(torch, config.model.torch_dtype_str)
    return args, dtype, lora


def measure(run: str) -> dict:
    """One GRPO step in this process; returns its timings and this process's peak RSS."""
    import torch
    from transformers import AutoModelForCausalLM, TrainerCallback
    from transformers.utils import logging as hf_logging
    from trl import GRPOTrainer

    import review_forge.training.oumi_registry  # noqa: F401 - registers the rewards
    from review_forge.training.rewards import feedback_reward, format_reward, target_score_reward
    from tests.support.tiny_model import build_tokenizer

    class StepClock(TrainerCallback):
        """Times the training step only (not model building or trainer setup)."""

        seconds = cpu_seconds = 0.0
        start = cpu_start = 0.0

        def on_step_begin(self, *args, **kwargs) -> None:
            self.start, self.cpu_start = time.perf_counter(), time.process_time()

        def on_step_end(self, *args, **kwargs) -> None:
            self.seconds += time.perf_counter() - self.start
            self.cpu_seconds += time.process_time() - self.cpu_start  # all threads

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tokenizer = build_tokenizer()
    with tempfile.TemporaryDirectory() as folder:
        dataset, prompt_tokens = one_prompt(tokenizer, Path(folder))
        args, dtype, lora = grpo_args(run, folder)
        torch.manual_seed(0)
        shape = tinyllama_shape(
            32000, tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id
        )
        started = time.perf_counter()
        model = AutoModelForCausalLM.from_config(shape, dtype=dtype)
        build_seconds = time.perf_counter() - started
        step = StepClock()
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=[format_reward, target_score_reward, feedback_reward],
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=lora,
            callbacks=[step],
        )
        trainer.train()
    groups = args.per_device_train_batch_size * args.gradient_accumulation_steps
    groups //= args.num_generations
    generated = args.num_generations * args.max_completion_length * groups
    return {
        "run": run,
        "dtype": str(dtype).removeprefix("torch."),
        "generations": args.num_generations,
        "completion_tokens": args.max_completion_length,
        "prompt_tokens": prompt_tokens,
        "prompt_groups": groups,
        "step_seconds": step.seconds,
        "seconds_per_group": step.seconds / groups,
        "cpu_seconds_per_group": step.cpu_seconds / groups,
        "tokens_per_second": generated / step.seconds,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "model_build_seconds": build_seconds,
        "torch_threads": torch.get_num_threads(),
    }


def _first_to_go_when_memory_runs_out() -> None:
    """On a shared machine the ~20 GB default run must be what the kernel stops, not a neighbour."""
    with contextlib.suppress(OSError):  # not Linux, or not allowed: nothing to adjust
        Path("/proc/self/oom_score_adj").write_text("1000", encoding="ascii")


def table(results: list[dict], load: float) -> str:
    """The comparison, the projection and the checks, as printed.

    Wall-clock seconds are what the run took here. CPU seconds (all threads) over wall-clock
    times threads is the share of the cores the run got: below ~90% the machine was shared and
    every figure is slower than on a quiet one (contention inflates CPU time too: cache, memory
    bandwidth and spinning threads, so CPU seconds are no clean estimate either).
    """
    base, ours = (next(r for r in results if r["run"] == name) for name in RUNS)
    threads = ours["torch_threads"]
    lines = [
        f"GRPO step, TinyLlama-shaped model (1.1B, random weights), LoRA r 8, one prompt group "
        f"({ours['prompt_tokens']}-token prompt), {threads} torch threads, "
        f"load average before/after: {load:.1f}/{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        f"{'run':<14}{'dtype':<10}{'gens x tokens':<15}{'s / prompt group':>17}"
        f"{'CPU s / group':>15}{'gen tokens/s':>14}{'peak RSS':>11}{'200 x 1 epoch':>15}",
    ]
    for r in (base, ours):
        hours = RECORDS * r["seconds_per_group"] / 3600
        lines.append(
            f"{r['run']:<14}{r['dtype']:<10}{r['generations']} x {r['completion_tokens']:<11}"
            f"{r['seconds_per_group']:>17.1f}{r['cpu_seconds_per_group']:>15.1f}"
            f"{r['tokens_per_second']:>14.1f}{r['peak_rss_gb']:>8.1f} GB{hours:>13.2f} h"
        )
    speedup = base["seconds_per_group"] / ours["seconds_per_group"]
    cpu_speedup = base["cpu_seconds_per_group"] / ours["cpu_seconds_per_group"]
    hours = RECORDS * ours["seconds_per_group"] / 3600
    share = ours["cpu_seconds_per_group"] / (ours["seconds_per_group"] * threads)
    lines.append(
        f"speed-up per prompt group: {speedup:.1f}x wall-clock, {cpu_speedup:.1f}x CPU time"
    )
    lines.append(f"ours got {share:.0%} of {threads} cores' time (the rest: other processes)")
    checks = {
        "ours >= 3x faster per prompt group (wall-clock)": speedup >= 3,
        "our peak RSS < 12 GB": ours["peak_rss_gb"] < 12,
        f"{RECORDS} records x 1 epoch < 3 h (wall-clock, as measured)": hours < 3,
    }
    lines.extend(f"{'PASS' if ok else 'FAIL'}  {name}" for name, ok in checks.items())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", choices=RUNS, help="(internal) measure one run, print JSON")
    args = parser.parse_args(argv)
    if args.run:
        _first_to_go_when_memory_runs_out()
        print(json.dumps(measure(args.run)))
        return 0
    load = os.getloadavg()[0]
    results = []
    for run in RUNS:
        print(f"measuring {run} (its own process)...", file=sys.stderr, flush=True)
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.grpo_step", "--run", run],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            return child.returncode
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    report = table(results, load)
    print(report)
    return 0 if "FAIL" not in report else 1


if __name__ == "__main__":
    sys.exit(main())
