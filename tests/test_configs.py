"""Every recipe in training/configs parses with Oumi's own config classes and keeps its promises."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from oumi.core.configs import JobConfig, TrainingConfig
from oumi.core.configs.params.training_params import TrainerType
from oumi.core.registry import REGISTRY, RegistryType

import review_forge.training.oumi_registry  # noqa: F401 - the names the recipes use must be registered

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"
ALL = sorted(CONFIGS.glob("*.yaml"))


def is_job(path: Path) -> bool:
    return "resources" in yaml.safe_load(path.read_text(encoding="utf-8"))


def test_there_are_cpu_warmup_and_gpu_recipes():
    assert {p.name for p in ALL} >= {"grpo_cpu.yaml", "sft_warmup_cpu.yaml", "grpo_gpu_job.yaml"}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_config_parses_and_has_a_header(path):
    text = path.read_text(encoding="utf-8")
    header = text.split("\n\n")[0]
    assert header.startswith("# ") and "Usage" in header and "Purpose" in header
    if is_job(path):
        job = JobConfig.from_yaml(str(path))
        assert job.resources.accelerators and job.run and job.setup
    else:
        config = TrainingConfig.from_yaml(str(path))
        # Whatever a recipe names must exist in Oumi's registry once ours are imported.
        for dataset in config.data.train.datasets:
            assert REGISTRY.get_dataset(dataset.dataset_name) is not None, dataset.dataset_name
        for name in config.training.reward_functions or []:
            assert REGISTRY.get(name, RegistryType.REWARD_FUNCTION) is not None, name


@pytest.mark.parametrize("path", [p for p in ALL if not is_job(p)], ids=lambda p: p.name)
def test_cpu_recipes_keep_the_seed_defaults_and_cpu_settings(path):
    config = TrainingConfig.from_yaml(str(path))
    assert config.model.model_name == "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
    assert config.model.model_max_length == 512
    assert config.model.torch_dtype_str in ("bfloat16", "float32")  # never Oumi's "auto"
    assert config.model.chat_template == "auto"  # the model's own template, as the scorer uses
    assert config.peft.lora_r == 8 and config.training.use_peft
    assert config.training.trainer_kwargs["use_cpu"] is True
    assert not config.training.enable_tensorboard
    assert not config.training.enable_wandb and not config.training.enable_mlflow


def test_grpo_cpu_recipe():
    config = TrainingConfig.from_yaml(str(CONFIGS / "grpo_cpu.yaml"))
    training = config.training
    assert training.trainer_type == TrainerType.TRL_GRPO
    assert (training.num_train_epochs, training.learning_rate) == (3, 1e-5)
    assert training.grpo.max_prompt_length is None  # TRL 1.x has no such field any more
    assert not training.grpo.use_vllm
    assert training.trainer_kwargs["beta"] == 0.0  # no reference model
    assert (training.grpo.num_generations, training.grpo.max_completion_length) == (4, 96)
    # TRL needs the generation batch to hold whole groups.
    assert training.trainer_kwargs["generation_batch_size"] % training.grpo.num_generations == 0
    kwargs = config.data.train.datasets[0].dataset_kwargs
    assert kwargs["max_prompt_tokens"] + training.grpo.max_completion_length == 512
    # The seed's structural reward and closeness to the target: the people's judgement for a
    # reacted-to comment, a rubric label for a synthetic one (no direction-free feedback reward).
    assert set(training.reward_functions) == {"review_forge_format", "review_forge_target"}
    hf = training.to_hf()  # what TRL receives
    assert hf.use_cpu and hf.beta == 0.0 and hf.report_to == []


def test_sft_warmup_recipe_trains_lora_with_trl_sft():
    config = TrainingConfig.from_yaml(str(CONFIGS / "sft_warmup_cpu.yaml"))
    assert config.training.trainer_type == TrainerType.TRL_SFT
    assert config.data.train.datasets[0].dataset_name == "review_forge_sft"


def test_gpu_job_runs_the_trainer_with_overrides_the_recipe_accepts():
    job = JobConfig.from_yaml(str(CONFIGS / "grpo_gpu_job.yaml"))
    assert job.envs["DO_NOT_TRACK"] == "1" and job.envs["HF_HUB_DISABLE_TELEMETRY"] == "1"
    deps = CONFIGS.parent / "oumi_extra_deps.txt"
    assert job.envs["OUMI_EXTRA_DEPS_FILE"] == "training/oumi_extra_deps.txt" and deps.is_file()
    words = shlex.split(job.run.replace("\\\n", " "))
    assert "training/grpo_trainer.py" in words and "--train" in words
    overrides = [words[i + 1] for i, word in enumerate(words) if word == "--set"]
    config = TrainingConfig.from_yaml_and_arg_list(str(CONFIGS / "grpo_cpu.yaml"), overrides)
    assert config.training.trainer_kwargs["use_cpu"] is False
    hf = config.training.to_hf()
    assert hf.generation_batch_size % hf.num_generations == 0
