"""What keeps the retrain's memory down without changing what it learns: the SFT recipe's chunked
loss (the same loss as the full one) and the allocator setting the trainer makes (freed
activations go back to the system). No memory or time is asserted: those are measured in
`benchmarks/retrain_run.py`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from oumi.core.configs import TrainingConfig

from review_forge.training.data_synthesis import synthesize, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
SFT_RECIPE = ROOT / "training" / "configs" / "sft_warmup_cpu.yaml"

# In a child process (the setting holds for the whole process): glibc's mallinfo2 counts the bytes
# in blocks served by their own mappings (hblkhd). Freeing a 16 MiB mapped block raises glibc's
# moving threshold to 16 MiB, so 2 MiB blocks come from the heap; a fixed threshold maps them. A
# block that fits a free chunk the heap already holds comes from there whatever the threshold, so
# the probe asks for 128 such blocks at once (256 MiB, more than a test's heap keeps free) and
# reports whether most were mapped.
PROBE = """
import ctypes, ctypes.util, json, sys

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena ordblks smblks hblks hblkhd usmblks "
                                               "fsmblks uordblks fordblks keepcost").split()]

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]

def mapped_2mib():
    before = libc.mallinfo2().hblkhd
    blocks = [libc.malloc(2 << 20) for _ in range(128)]
    grew = libc.mallinfo2().hblkhd - before > 64 * (2 << 20)
    for block in blocks:
        libc.free(block)
    return grew

libc.free(libc.malloc(16 << 20))
before = mapped_2mib()
exec(sys.argv[1])
libc.free(libc.malloc(16 << 20))
print(json.dumps([before, mapped_2mib()]))
"""


def glibc_probe(code: str) -> list[bool]:
    try:
        import ctypes

        ctypes.CDLL(None).mallinfo2  # noqa: B018 - glibc 2.33 or later
    except (OSError, AttributeError):
        pytest.skip("needs glibc's mallinfo2")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_freed_blocks_of_a_mebibyte_or_more_are_unmapped_after_the_setting():
    assert glibc_probe("pass") == [False, False]  # glibc alone: 2 MiB blocks stay in the heap
    code = "from review_forge.training.allocator import map_large_blocks; map_large_blocks()"
    assert glibc_probe(code) == [False, True]


def test_training_sets_it_before_the_model_loads(tiny_model_dir: Path, tmp_path: Path):
    data = write_jsonl(synthesize(8, seed=1), tmp_path / "rows.jsonl")
    code = (
        "from review_forge.training.grpo_trainer import train; "
        f"train([{str(data)!r}], {str(tmp_path / 'out')!r}, base_model={str(tiny_model_dir)!r}, "
        "max_steps=1, sft_warmup=True)"
    )
    assert glibc_probe(code) == [False, True]


def test_the_sft_recipe_computes_its_loss_in_chunks():
    config = TrainingConfig.from_yaml(str(SFT_RECIPE))
    assert config.training.trainer_kwargs["loss_type"] == "chunked_nll"


def test_the_chunked_loss_is_the_full_loss(tiny_model_dir: Path, tmp_path: Path):
    """The same rows and model: the same loss at every step, as with TRL's full-logits loss."""
    from review_forge.training.grpo_trainer import train

    data = write_jsonl(synthesize(16, seed=2), tmp_path / "rows.jsonl")
    curves = {}
    for loss in ("nll", "chunked_nll"):
        out = train(
            [data], tmp_path / loss, base_model=str(tiny_model_dir), max_steps=2, sft_warmup=True,
            overrides=[f"training.trainer_kwargs.loss_type={loss}"],
        )  # fmt: skip
        curves[loss] = json.loads((out / "manifest.json").read_text())["reward_curve"]["values"]
    assert len(curves["nll"]) == 2
    assert curves["chunked_nll"] == pytest.approx(curves["nll"], rel=1e-5)


def test_a_stage_frees_its_model_before_returning(tiny_model_dir: Path, tmp_path: Path):
    """No model outlives `train`: the next stage converts and loads its own copy of the weights
    beside it otherwise. Automatic collection is off in the child, so what is freed, `train`
    freed."""
    data = write_jsonl(synthesize(8, seed=1), tmp_path / "rows.jsonl")
    code = f"""
import gc
gc.disable()
from transformers import PreTrainedModel
from review_forge.training.grpo_trainer import train
train([{str(data)!r}], {str(tmp_path / "out")!r}, base_model={str(tiny_model_dir)!r},
      max_steps=1, sft_warmup=True)
print(sum(isinstance(o, PreTrainedModel) for o in gc.get_objects()))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "0"
