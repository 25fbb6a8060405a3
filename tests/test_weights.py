"""The float32 copy of a 16-bit base (training/weights.py): the same model, without the conversion
in memory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from review_forge.training.weights import float32_copy, needs_copy


@pytest.fixture(scope="module")
def bf16_base(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("bf16") / "base"
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    for file in tiny_model_dir.iterdir():  # the tokenizer and its chat template
        if not (out / file.name).exists():
            shutil.copyfile(file, out / file.name)
    return out


def test_the_copy_is_the_model_as_transformers_converts_it(bf16_base: Path, tmp_path: Path):
    import torch
    from transformers import AutoModelForCausalLM

    copy = float32_copy(str(bf16_base), tmp_path / "copy")
    assert copy is not None and not needs_copy(copy) and needs_copy(bf16_base)
    config = json.loads((copy / "config.json").read_text())
    assert config == json.loads((bf16_base / "config.json").read_text())

    converted = AutoModelForCausalLM.from_pretrained(bf16_base, dtype=torch.float32)
    loaded = AutoModelForCausalLM.from_pretrained(copy, dtype=torch.float32)
    expected, got = converted.state_dict(), loaded.state_dict()
    assert expected.keys() == got.keys()
    for name, tensor in expected.items():
        assert got[name].dtype == torch.float32 and torch.equal(got[name], tensor), name
    ids = torch.tensor([[1, 5, 9, 42]])
    assert torch.equal(converted(ids).logits, loaded(ids).logits)


def test_a_float32_base_is_used_as_it_is(tiny_model_dir: Path, tmp_path: Path):
    assert not needs_copy(tiny_model_dir)
    assert float32_copy(str(tiny_model_dir), tmp_path / "copy") is None
    assert not (tmp_path / "copy").exists()


def test_training_on_a_16_bit_base_names_the_base_not_the_copy(bf16_base: Path, tmp_path: Path):
    from review_forge.bot.adapter import read_manifest
    from review_forge.training.data_synthesis import synthesize, write_jsonl
    from review_forge.training.grpo_trainer import train

    data = write_jsonl(synthesize(4, seed=1), tmp_path / "rows.jsonl")
    out = train([data], tmp_path / "adapter", base_model=str(bf16_base), max_steps=1,
                sft_warmup=True, overrides=["model.torch_dtype_str=float32"])  # fmt: skip
    settings = json.loads((out / "adapter_config.json").read_text())
    assert settings["base_model_name_or_path"] == str(bf16_base)
    assert read_manifest(out)["base_model"] == str(bf16_base)
    assert read_manifest(out)["training"]["dtype"] == "float32"


def test_the_gate_scores_with_a_copy_named_as_the_base(bf16_base: Path, tmp_path: Path):
    from review_forge.bot.adapter import model_name
    from review_forge.training.weights import evaluation_base

    copy = Path(evaluation_base(str(bf16_base), tmp_path))
    assert copy != bf16_base and not needs_copy(copy)
    assert model_name(str(copy)) == model_name(str(bf16_base))
    assert (copy / "tokenizer.json").read_bytes() == (bf16_base / "tokenizer.json").read_bytes()


def test_on_a_cpu_without_bf16_oumi_builds_the_base_in_float32(bf16_base: Path):
    import torch
    from oumi.builders.models import build_model

    from review_forge.bot.scoring.model import pick_dtype
    from review_forge.training.grpo_trainer import SFT_RECIPE, _load_recipe, fit_to_cpu

    if pick_dtype() is torch.bfloat16:
        pytest.skip("this CPU computes bfloat16 natively: the recipe's dtype stays")
    config = _load_recipe(SFT_RECIPE, [f"model.model_name={bf16_base}"])
    assert config.model.torch_dtype_str == "bfloat16"  # the recipe's, for CPUs that have it
    fit_to_cpu(config)
    model = build_model(model_params=config.model)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
