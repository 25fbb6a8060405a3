"""Train the scorer's LoRA adapter with GRPO (or an SFT warm-up) through Oumi, on a CPU.

    python training/grpo_trainer.py --train --data-path data/training_data.jsonl --model-path out/a
    python training/grpo_trainer.py --train --adapter out/a --data-path feedback/ --model-path out/b
    python training/grpo_trainer.py --train --sft-warmup --data-path data/training_data.jsonl \\
        --model-path out/warmup
    python training/grpo_trainer.py --inference "Score this review: 'LGTM'" --model-path out/a

The recipe is `training/configs/grpo_cpu.yaml` (`--sft-warmup`: `sft_warmup_cpu.yaml`); the flags
fill in base model, data, steps, and `--set key=value` any other field (Oumi's dotted names).
`--adapter` continues training that adapter (Oumi's `adapter_model` + `adapter_trainable`, no new
LoRA on top). `--model-path` receives only `adapter_model.safetensors`, `adapter_config.json` and
`manifest.json`; Oumi's working files stay in a temporary folder.

No telemetry leaves the process: the entry points (`main` here, `review-forge`) set
`DO_NOT_TRACK=1` (Oumi's usage analytics) and `HF_HUB_DISABLE_TELEMETRY=1` before Oumi or the
Hugging Face hub client is imported, and the recipes turn TensorBoard, W&B and MLflow off.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from review_forge.bot.adapter import adapter_revision, read_manifest, same_base
from review_forge.bot.errors import ConfigError, InputError, ReviewForgeError
from review_forge.bot.settings import disable_telemetry
from review_forge.training.allocator import map_large_blocks
from review_forge.training.manifest import (
    ADAPTER_FILES,
    check_single_lora,
    curve,
    write_manifest,
)
from review_forge.training.rows import read_training_data
from review_forge.training.weights import float32_copy

CONFIGS = Path(__file__).resolve().parent / "configs"
GRPO_RECIPE = CONFIGS / "grpo_cpu.yaml"
SFT_RECIPE = CONFIGS / "sft_warmup_cpu.yaml"


def train(
    data_paths: Sequence[str | Path],
    model_path: str | Path,
    *,
    base_model: str | None = None,
    max_steps: int | None = None,
    config_path: str | Path | None = None,
    sft_warmup: bool = False,
    parent: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> Path:
    """Train an adapter on `data_paths` (JSONL files or folders) and save it to `model_path`.

    Returns the adapter folder. Raises a `ReviewForgeError` for bad input or configuration.
    """
    out = Path(model_path)
    parent_dir = Path(parent) if parent else None
    parent_revision = adapter_revision(parent_dir) if parent_dir else None  # checks the folder
    if parent_dir is not None and out.resolve() == parent_dir.resolve():
        raise InputError("--model-path must differ from --adapter: the parent is kept as is")
    if not data_paths:
        raise InputError("give training data with --data-path (a JSONL file or a folder)")
    data = read_training_data(data_paths)
    recipe = Path(config_path) if config_path else SFT_RECIPE if sft_warmup else GRPO_RECIPE
    config = _load_recipe(recipe, overrides)
    config.model.model_name = _base_model(base_model, parent_dir, config.model.model_name)
    fit_to_cpu(config)
    _point_at_data(config, data_paths)
    if parent_dir is not None:
        # Continue the parent's LoRA: loaded trainable, and no new LoRA built on top of it.
        config.model.adapter_model = str(parent_dir)
        config.model.adapter_trainable = True
        config.training.use_peft = False
    if max_steps is not None:
        config.training.max_steps = max_steps
    kind = config.training.trainer_type.name
    print(
        f"review-forge: {kind} on {len(data.rows)} rows ({data.synthetic} synthetic, "
        f"{data.feedback_used} feedback) from {config.model.model_name}"
        + (f", continuing {parent_dir}" if parent_dir else "")
        + f", {config.model.torch_dtype_str}; progress below",
        file=sys.stderr,
        flush=True,
    )
    base = config.model.model_name
    with (
        tempfile.TemporaryDirectory(prefix="review-forge-train-") as work_dir,
        tempfile.TemporaryDirectory(prefix="review-forge-base-") as copy_dir,
    ):
        work = Path(work_dir)
        config.training.output_dir = str(work)
        started = time.monotonic()
        map_large_blocks()  # else freed activations stay with the process (training/allocator.py)
        if config.model.torch_dtype_str == "float32" and (
            copy := float32_copy(base, Path(copy_dir))
        ):  # loads without a converted copy in memory (training/weights.py)
            config.model.tokenizer_name = config.model.tokenizer_name or base
            config.model.model_name = str(copy)
        _run_oumi(config)
        seconds = time.monotonic() - started
        check_single_lora(work, parent_dir)
        history = json.loads((work / "trainer_state.json").read_text(encoding="utf-8"))
        out.mkdir(parents=True, exist_ok=True)
        for name in ADAPTER_FILES:
            shutil.copyfile(work / name, out / name)
    _record_base(out, base)
    write_manifest(
        out,
        kind=kind,
        base_model=base,
        parent_revision=parent_revision,
        data={"sha256": data.digest(), "paths": [str(p) for p in data_paths], **data.counts()},
        reward_curve=curve(history["log_history"], "loss" if kind == "TRL_SFT" else "reward"),
        training={
            "recipe": str(recipe),
            "steps": history.get("global_step"),
            "epochs": history.get("epoch"),
            "seconds": round(seconds, 1),
            "dtype": config.model.torch_dtype_str,
            "learning_rate": config.training.learning_rate,
            "num_generations": config.training.grpo.num_generations,
            "max_completion_length": config.training.grpo.max_completion_length,
        },
    )
    print(f"review-forge: adapter saved to {out}", file=sys.stderr)
    return out


def _record_base(adapter: Path, base: str) -> None:
    """The adapter's config names the base it was trained on, not the float32 copy it loaded."""
    file = adapter / ADAPTER_FILES[1]
    settings = json.loads(file.read_text(encoding="utf-8"))
    if settings.get("base_model_name_or_path") != base:
        settings["base_model_name_or_path"] = base
        file.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


def _load_recipe(recipe: Path, overrides: Sequence[str]) -> Any:
    if not recipe.is_file():
        raise ConfigError(f"recipe {recipe} not found; see training/configs/")
    import oumi.builders  # noqa: F401 - before oumi.core.*, or a circular import fails
    from oumi.core.configs import TrainingConfig
    from oumi.exceptions import OumiConfigError

    try:
        return TrainingConfig.from_yaml_and_arg_list(str(recipe), list(overrides))
    except (OumiConfigError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"recipe {recipe} with {list(overrides)}: {first}") from None


def _base_model(explicit: str | None, parent: Path | None, recipe_base: str) -> str:
    """The base the parent was trained on wins over the recipe's; a different explicit one errs."""
    if parent is None:
        return explicit or recipe_base
    trained_on = read_manifest(parent).get("base_model") or json.loads(
        (parent / ADAPTER_FILES[1]).read_text(encoding="utf-8")
    ).get("base_model_name_or_path")
    if explicit and trained_on and not same_base(str(trained_on), explicit):
        raise InputError(f"{parent} was trained on {trained_on}, not {explicit}: drop --base-model")
    return explicit or trained_on or recipe_base


def fit_to_cpu(config: Any) -> None:
    """bfloat16 only where the CPU computes it natively (the model scorer's own test).

    Oumi reads the dtype it loads the model in from `model.torch_dtype`, which it derives from
    `torch_dtype_str` when the config is built: both change here (changing the string alone left
    the base weights in emulated bfloat16 on these CPUs)."""
    import torch

    from review_forge.bot.scoring.model import pick_dtype

    bf16 = config.model.torch_dtype_str in ("bfloat16", "bf16")
    if bf16 and not torch.cuda.is_available() and pick_dtype() is not torch.bfloat16:
        print("review-forge: no native bfloat16 on this CPU; training in float32", file=sys.stderr)
        config.model.torch_dtype_str = "float32"
        config.model.torch_dtype = torch.float32


def _point_at_data(config: Any, data_paths: Sequence[str | Path]) -> None:
    """One dataset over all paths (the newest-snapshot rule holds across them)."""
    from oumi.core.configs import DatasetParams
    from oumi.core.configs.params.training_params import TrainerType

    datasets = config.data.train.datasets
    sft = config.training.trainer_type == TrainerType.TRL_SFT
    default = "review_forge_sft" if sft else "review_forge_grpo"
    name = datasets[0].dataset_name if datasets else default
    kwargs = dict(datasets[0].dataset_kwargs) if datasets else {}
    kwargs["extra_paths"] = [str(p) for p in data_paths[1:]]
    if not sft:
        completion = config.training.grpo.max_completion_length or 256
        kwargs["max_prompt_tokens"] = (config.model.model_max_length or 512) - completion
    config.data.train.datasets = [
        DatasetParams(dataset_name=name, dataset_path=str(data_paths[0]), dataset_kwargs=kwargs)
    ]


def _run_oumi(config: Any) -> None:
    # Not `from oumi import train`: that function runs `import oumi.train`, which rebinds the
    # package attribute to the module, so a second training in one process would get a module.
    from oumi.exceptions import OumiConfigError
    from oumi.train import train as oumi_train

    import review_forge.training.oumi_registry  # noqa: F401 - datasets and rewards, before Oumi looks them up

    logging.getLogger("oumi").setLevel(logging.WARNING)  # the recipe's log_level takes over later
    try:
        config.finalize_and_validate()
    except (OumiConfigError, ValueError) as exc:
        raise ConfigError(f"the training configuration is invalid: {exc}") from None
    oumi_train(config)
    # Trainer and model sit in reference cycles: unmap the weights before the next stage loads.
    gc.collect()


_SEED_PROMPT = re.compile(r"^\s*score this review:\s*(['\"])(.*)\1\s*$", re.I | re.S)


def infer(text: str, model_path: str | Path, base_model: str | None = None) -> str:
    """Score one comment with the adapter (through the model scorer) and describe the result.

    The seed's phrasing is accepted: in `Score this review: 'LGTM'` the quoted part is the comment.
    """
    from review_forge.bot.scoring.score import Comment, render
    from review_forge.bot.scoring.scorer import make_scorer
    from review_forge.bot.settings import load_config

    folder = Path(model_path)
    seed = _SEED_PROMPT.match(text)
    body = seed.group(2) if seed else text
    base = base_model or read_manifest(folder).get("base_model")
    config = load_config({"scorer": "model", "adapter": str(folder), "base_model": base})
    score = make_scorer(config).score_many([Comment(body)])[0]
    if score.fallback_reason:
        source = f"fallback: the rubric scored it ({score.fallback_reason})"
    else:
        source = f"scorer: {score.scorer} (adapter revision {score.model_revision})"
    return f"{render(score)}\n{source}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python training/grpo_trainer.py",
        description="Train the scorer's LoRA adapter with GRPO through Oumi (CPU), or try one.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--train", action="store_true", help="train an adapter")
    mode.add_argument("--inference", metavar="TEXT", help="score one review comment with it")
    parser.add_argument("--model-path", required=True, help="adapter folder to write (or read)")
    parser.add_argument(
        "--data-path", action="append", default=[], help="JSONL file or folder (repeatable)"
    )
    parser.add_argument("--base-model", help="base model id or folder (default: the recipe's)")
    parser.add_argument("--max-steps", type=int, help="stop after this many steps")
    parser.add_argument(
        "--config", help="Oumi TrainingConfig YAML (default: configs/grpo_cpu.yaml)"
    )
    parser.add_argument("--sft-warmup", action="store_true", help="SFT on canonical completions")
    parser.add_argument("--adapter", metavar="PARENT", help="continue training this adapter")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe field"
    )
    args = parser.parse_args(argv)
    disable_telemetry()
    try:
        if args.inference is not None:
            print(infer(args.inference, args.model_path, args.base_model))
        else:
            train(
                args.data_path,
                args.model_path,
                base_model=args.base_model,
                max_steps=args.max_steps,
                config_path=args.config,
                sft_warmup=args.sft_warmup,
                parent=args.adapter,
                overrides=args.set,
            )
    except ReviewForgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
