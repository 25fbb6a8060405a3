"""The GRPO rollout (training/rollout.py) against TRL's own generation, on the tiny local model.

Greedy decoding makes both deterministic: for every prompt of a step, repeats included, the
rollout must hand TRL the same prompt ids and the same completions as TRL's generation would,
and leave the model in the mode it found it in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from review_forge.training.data_synthesis import synthesize, write_jsonl
from review_forge.training.rollout import cpu_rollout


@pytest.fixture(scope="module")
def trainer(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from review_forge.training.oumi_data import ReviewForgeGrpoDataset
    from review_forge.training.rewards import format_reward

    folder = tmp_path_factory.mktemp("rollout")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = write_jsonl(synthesize(4, seed=5), folder / "rows.jsonl")
    dataset = ReviewForgeGrpoDataset(dataset_path=str(rows), tokenizer=tokenizer)
    args = GRPOConfig(
        output_dir=str(folder), use_cpu=True, bf16=False, report_to=[], save_strategy="no",
        num_generations=2, per_device_train_batch_size=2, max_completion_length=12,
        gradient_checkpointing=True, generation_kwargs={"do_sample": False},
    )  # fmt: skip
    return GRPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(tiny_model_dir),
        reward_funcs=[format_reward],
        args=args,
        train_dataset=dataset.to_hf(),
        processing_class=tokenizer,
        peft_config=LoraConfig(r=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"),
    )


def test_the_rollout_gives_what_trl_generates_and_restores_the_model(trainer):
    import torch

    data = trainer.train_dataset
    prompts = [data[0]["prompt"], data[0]["prompt"], data[1]["prompt"], data[1]["prompt"]]
    trainer.model.train()
    out = cpu_rollout(prompts, trainer)

    ids, _, _ = trainer._tokenize_prompts(prompts)
    trainer.model.eval()  # TRL's generation, without dropout and with its cache, as the reference
    with torch.no_grad():
        expected, _ = trainer._generate_single_turn(ids, None, {})
    assert out["prompt_ids"] == [list(p) for p in ids]
    assert out["completion_ids"] == expected
    assert len(out["completion_ids"]) == 4 and out["logprobs"] is None
    assert out["prompt_ids"][0] != out["prompt_ids"][2]  # two distinct prompts, in their order

    for training in (True, False):
        trainer.model.train(training)
        cpu_rollout(prompts[:2], trainer)
        assert trainer.model.training is training
