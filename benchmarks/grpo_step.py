"""One GRPO step on a TinyLlama-shaped model: our CPU recipe against TRL's defaults, equal work.

    python -m benchmarks.grpo_step                  # both rows, ~10 minutes on 2 cores
    python -m benchmarks.grpo_step --set training.enable_gradient_checkpointing=false

The model has TinyLlama-1.1B's shape (22 layers, hidden 2048, intermediate 5632, 32 heads, 4 KV
heads, vocab 32000) with random weights, since no weights can be downloaded; LoRA on the recipe's
modules; our reward functions; the median-length synthetic prompt, built by our GRPO dataset.
Random weights rarely stop on their own, so generation is forced to full length
(`min_new_tokens`), the worst case a real model can hit.

Both rows do the same work: the same prompt, the recipe's generations x completion tokens, the
dtype `grpo_trainer.py` trains in on this CPU (the recipe's bfloat16 only where the CPU computes it
natively; float32 elsewhere, as on GitHub's AMD EPYC 7763 runners).

- "TRL defaults": `GRPOConfig` as TRL ships it (batch 8, so two prompt groups a step; gradient
  checkpointing on; no reference model, beta 0), with only the generations and tokens set to ours.
- "ours": the `GRPOConfig` Oumi builds from `training/configs/grpo_cpu.yaml` (`to_hf()`) with
  `--set` applied: what `review-forge retrain` trains with.

Each row is its own process, so its peak RSS (the model included) is its own. Printed per prompt
group (one group is one GRPO step of ours: generation, rewards, loss, backward, optimizer):
wall-clock and CPU seconds of all threads (their ratio shows the share of the cores the run got),
generated tokens per second, peak RSS. The tokenizer is the tests' stand-in
(`tests/support/tiny_model.py`): it cuts text finer than TinyLlama's, so the prompt is capped by
the recipe's prompt budget rather than being TinyLlama's ~420 tokens.
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

from benchmarks.score_latency import cpu_line

ROOT = Path(__file__).resolve().parents[1]

RECIPE = ROOT / "training" / "configs" / "grpo_cpu.yaml"
RUNS = ("trl-defaults", "ours")
GROUPS = 2  # prompt groups in the dataset: TRL's default batch of 8 takes two groups of 4


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


def median_prompt(tokenizer, folder: Path, max_prompt_tokens: int):
    """A GRPO dataset (our dataset class) of the median-length synthetic prompt, `GROUPS` times."""
    from review_forge.training.data_synthesis import synthesize, write_jsonl
    from review_forge.training.oumi_data import ReviewForgeGrpoDataset

    rows = synthesize(60, seed=0)
    full = ReviewForgeGrpoDataset(
        dataset_path=str(write_jsonl(rows, folder / "all.jsonl")),
        tokenizer=tokenizer,
        max_prompt_tokens=max_prompt_tokens,
    )
    lengths = [full._count_tokens(full[i]["prompt"]) for i in range(len(full))]
    median = sorted(range(len(lengths)), key=lengths.__getitem__)[len(lengths) // 2]
    same = write_jsonl([rows[median]] * GROUPS, folder / "same.jsonl")
    dataset = ReviewForgeGrpoDataset(
        dataset_path=str(same), tokenizer=tokenizer, max_prompt_tokens=max_prompt_tokens
    )
    return dataset.to_hf(), lengths[median]


def grpo_args(run: str, out: str, overrides: list[str]):
    """A row's GRPOConfig, dtype, LoRA, prompt budget and rollout (the recipe's dtype and LoRA)."""
    import oumi.builders  # noqa: F401 - before oumi.core.*, or a circular import fails
    import torch
    from oumi.core.configs import TrainingConfig
    from peft import LoraConfig
    from trl import GRPOConfig

    from review_forge.training.grpo_trainer import fit_to_cpu

    config = TrainingConfig.from_yaml_and_arg_list(str(RECIPE), overrides)
    fit_to_cpu(config)
    dtype = getattr(torch, config.model.torch_dtype_str)
    lora = LoraConfig(
        r=config.peft.lora_r,
        lora_alpha=config.peft.lora_alpha,
        lora_dropout=config.peft.lora_dropout,
        target_modules=list(config.peft.lora_target_modules or []),
        task_type="CAUSAL_LM",
    )
    grpo = config.training.grpo
    forced = {"min_new_tokens": grpo.max_completion_length}  # random weights rarely write EOS
    if run == "trl-defaults":
        args = GRPOConfig(
            output_dir=out,
            use_cpu=True,
            bf16=dtype is torch.bfloat16,
            max_steps=1,
            report_to=[],
            save_strategy="no",
            num_generations=grpo.num_generations,
            max_completion_length=grpo.max_completion_length,
            generation_kwargs=forced,
        )
    else:
        config.training.output_dir = out
        config.training.max_steps = 1
        config.training.trainer_kwargs["generation_kwargs"] = forced
        args = config.training.to_hf()  # exactly what Oumi hands TRL for this recipe
    prompt_budget = (config.model.model_max_length or 512) - grpo.max_completion_length
    rollout = None  # TRL's own generation
    if run == "ours" and grpo.rollout_function:  # as Oumi hands it to TRL
        from oumi.core.registry import REGISTRY

        import review_forge.training.oumi_registry  # noqa: F401 - registers it

        rollout = REGISTRY.get_rollout_function(grpo.rollout_function)
    return args, dtype, lora, prompt_budget, rollout


def measure(run: str, overrides: list[str]) -> dict:
    """One GRPO step in this process; returns its timings and this process's peak RSS."""
    import torch
    from transformers import AutoModelForCausalLM, TrainerCallback
    from transformers.utils import logging as hf_logging
    from trl import GRPOTrainer

    from review_forge.training.rewards import format_reward, target_score_reward
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
        args, dtype, lora, budget, rollout = grpo_args(run, folder, overrides)
        dataset, prompt_tokens = median_prompt(tokenizer, Path(folder), budget)
        torch.manual_seed(0)
        shape = tinyllama_shape(
            32000, tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id
        )
        model = AutoModelForCausalLM.from_config(shape, dtype=dtype)
        step = StepClock()
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=[format_reward, target_score_reward],
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=lora,
            callbacks=[step],
            rollout_func=rollout,
        )
        trainer.train()
    groups = args.generation_batch_size // args.num_generations
    return {
        "run": run,
        "dtype": str(dtype).removeprefix("torch."),
        "generations": args.num_generations,
        "completion_tokens": args.max_completion_length,
        "prompt_tokens": min(prompt_tokens, budget),
        "groups": groups,
        "batch": args.per_device_train_batch_size,
        "checkpointing": bool(args.gradient_checkpointing),
        "rollout": "ours" if rollout else "TRL's",
        "seconds_per_group": step.seconds / groups,
        "cpu_seconds_per_group": step.cpu_seconds / groups,
        "tokens_per_second": groups
        * args.num_generations
        * args.max_completion_length
        / step.seconds,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "torch_threads": torch.get_num_threads(),
    }


def _first_to_go_when_memory_runs_out() -> None:
    """On a shared machine a large run must be what the kernel stops, not a neighbour."""
    with contextlib.suppress(OSError):  # not Linux, or not allowed: nothing to adjust
        Path("/proc/self/oom_score_adj").write_text("1000", encoding="ascii")


def table(results: list[dict], load: float, overrides: list[str]) -> str:
    """The rows side by side, as printed."""
    ours = next(r for r in results if r["run"] == "ours")
    lines = [
        cpu_line(),
        f"GRPO step, TinyLlama-shaped model (1.1B, random weights), {ours['dtype']}, "
        f"{ours['generations']} generations x {ours['completion_tokens']} tokens, "
        f"{ours['prompt_tokens']}-token prompt, {ours['torch_threads']} torch threads, "
        f"load average before/after: {load:.1f}/{os.getloadavg()[0]:.1f}"
        + (f"; recipe with {' '.join(overrides)}" if overrides else ""),
        f"{'run':<14}{'batch':>6}{'checkpointing':>15}{'s / prompt group':>18}"
        f"{'CPU s / group':>15}{'gen tokens/s':>14}{'peak RSS':>11}",
    ]
    for r in results:
        lines.append(
            f"{r['run']:<14}{r['batch']:>6}{'on' if r['checkpointing'] else 'off':>15}"
            f"{r['seconds_per_group']:>18.1f}{r['cpu_seconds_per_group']:>15.1f}"
            f"{r['tokens_per_second']:>14.1f}{r['peak_rss_gib']:>7.1f} GiB"
        )
    if len(results) == 2:
        base = next(r for r in results if r["run"] == "trl-defaults")
        speedup = base["seconds_per_group"] / ours["seconds_per_group"]
        lines.append(f"ours per prompt group: {speedup:.2f}x TRL defaults' speed (wall-clock)")
    share = ours["cpu_seconds_per_group"] / (ours["seconds_per_group"] * ours["torch_threads"])
    lines.append(f"ours got {share:.0%} of {ours['torch_threads']} cores' time")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a field of the recipe (Oumi's dotted names), for both rows",
    )  # fmt: skip
    parser.add_argument("--run", choices=RUNS, help=argparse.SUPPRESS)  # one row, as JSON
    args = parser.parse_args(argv)
    if args.run:
        _first_to_go_when_memory_runs_out()
        print(json.dumps(measure(args.run, args.set)))
        return 0
    load = os.getloadavg()[0]
    results = []
    for run in args.runs:
        print(f"measuring {run} (its own process)...", file=sys.stderr, flush=True)
        sets = [f"--set={s}" for s in args.set]
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.grpo_step", "--run", run, *sets],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            return child.returncode
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(table(results, load, args.set))
    return 0


if __name__ == "__main__":
    sys.exit(main())
