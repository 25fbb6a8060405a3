"""A Llama checkpoint and its LoRA adapter, from Hugging Face safetensors to GGUF for llama.cpp.

numpy and `gguf` only (no torch): the safetensors files are read through a memory map, one
tensor at a time, and streamed into the GGUF file, so a 1.1B model converts in about its own size
of memory. What is written:

- the base at F32 or F16 (`write_base`); Q8_0 and Q4_0 are made from the F16 file by llama.cpp's
  own quantiser (`quantize`), which is the code every GGUF quantisation goes through;
- no vocabulary: the tokenizer stays the Hugging Face one (prompts are token ids), so the file
  only records how many token rows the embedding has;
- the adapter (`write_lora`) as a GGUF LoRA that llama.cpp applies at load time; PEFT's scaling
  (alpha / r, or alpha / sqrt(r) with rsLoRA, per module when patterned) is folded into B.

Rotary embeddings: Hugging Face rotates the two halves of each head, llama.cpp adjacent pairs;
`_interleave_heads` reorders the rows of q and k (and of a LoRA B that adapts them) to match.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from review_forge.bot.errors import ModelUnavailable

ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0 = 0, 1, 2, 7  # llama.cpp's file types
FILE_TYPES = {"f32": ALL_F32, "f16": MOSTLY_F16, "q8_0": MOSTLY_Q8_0, "q4_0": MOSTLY_Q4_0}
_LAYER = re.compile(r"model\.layers\.(\d+)\.(.+)\.weight")
_LAYER_NAMES = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_TOP_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}


class LlamaShape:
    """The numbers of a Llama `config.json` that the GGUF file and the rotary reorder need."""

    def __init__(self, folder: Path) -> None:
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"cannot read {folder / 'config.json'}: {exc}") from None
        unsupported = _unsupported(config)
        if unsupported:
            raise ModelUnavailable(
                f"the llama.cpp engine converts plain Llama models only ({unsupported}); "
                "set engine: torch"
            )
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.kv_heads = int(config.get("num_key_value_heads") or self.heads)
        self.head_dim = int(config.get("head_dim") or self.hidden // self.heads)
        self.layers = int(config["num_hidden_layers"])
        self.intermediate = int(config["intermediate_size"])
        self.context = int(config.get("max_position_embeddings") or 2048)
        self.rms_eps = float(config.get("rms_norm_eps", 1e-6))
        rope = config.get("rope_parameters") or {}
        self.rope_theta = float(rope.get("rope_theta") or config.get("rope_theta") or 10000.0)


def _unsupported(config: dict[str, Any]) -> str | None:
    if config.get("model_type") != "llama":
        return f"model_type is {config.get('model_type')!r}"
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if rope.get("rope_type", rope.get("type", "default")) != "default":
        return f"rope scaling {rope.get('rope_type', rope.get('type'))!r}"
    if config.get("attention_bias") or config.get("mlp_bias"):
        return "bias terms"
    if config.get("hidden_act", "silu") != "silu":
        return f"activation {config.get('hidden_act')!r}"
    return None


def safetensors_tensors(folder: Path) -> Iterator[tuple[str, np.ndarray]]:
    """(name, float32 or float16 array) for every tensor of the folder's safetensors files,
    memory-mapped; bf16 is widened to float32 (numpy has no bf16)."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ModelUnavailable(f"no .safetensors weights in {folder}; save the model with them")
    for file in files:
        with file.open("rb") as handle:
            (size,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(size))
        data = np.memmap(file, dtype=np.uint8, mode="r", offset=8 + size)
        for name, info in header.items():
            if name == "__metadata__":
                continue
            start, end = info["data_offsets"]
            raw = data[start:end]
            if info["dtype"] == "BF16":
                array = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
            elif info["dtype"] in ("F16", "F32"):
                array = raw.view(np.float16 if info["dtype"] == "F16" else np.float32)
            else:
                raise ModelUnavailable(f"{file} holds {name} as {info['dtype']}; expected floats")
            yield name, array.reshape(info["shape"])


def _interleave_heads(rows: np.ndarray, heads: int) -> np.ndarray:
    """Reorder the rows of each head from (first half, second half) to (pair 0, pair 1, ...)."""
    per_head = rows.shape[0] // heads
    split = rows.reshape(heads, 2, per_head // 2, *rows.shape[1:])
    return split.swapaxes(1, 2).reshape(rows.shape)


def gguf_name(hf_name: str) -> str | None:
    """The GGUF tensor name of a Hugging Face Llama weight; None for what llama.cpp computes.

    >>> gguf_name("model.layers.3.self_attn.o_proj.weight"), gguf_name("lm_head.weight")
    ('blk.3.attn_output.weight', 'output.weight')
    """
    if hf_name in _TOP_NAMES:
        return _TOP_NAMES[hf_name]
    match = _LAYER.fullmatch(hf_name)
    if match is None or match.group(2) not in _LAYER_NAMES:
        return None
    return f"blk.{match.group(1)}.{_LAYER_NAMES[match.group(2)]}.weight"


def _for_llama_cpp(name: str, array: np.ndarray, shape: LlamaShape, f16: bool) -> np.ndarray:
    if name.endswith("attn_q.weight"):
        array = _interleave_heads(array, shape.heads)
    elif name.endswith("attn_k.weight"):
        array = _interleave_heads(array, shape.kv_heads)
    # llama.cpp keeps 1-D tensors (the norms) in F32 whatever the file type.
    wanted = np.float16 if f16 and array.ndim == 2 else np.float32
    return np.ascontiguousarray(array, dtype=wanted)


def write_base(folder: Path, kind: str, out: Path) -> Path:
    """Write the Llama checkpoint in `folder` to `out` as GGUF, `kind` "f32" or "f16"."""
    import gguf

    shape = LlamaShape(folder)
    f16 = kind == "f16"
    names = [(gguf_name(n), n, a) for n, a in safetensors_tensors(folder)]
    tensors = [(gname, a) for gname, _, a in names if gname is not None]
    rows = {gname: a.shape[0] for gname, a in tensors}
    if "token_embd.weight" not in rows:
        raise ModelUnavailable(f"{folder} has no model.embed_tokens.weight; not a Llama model")
    writer = gguf.GGUFWriter(out, "llama")
    writer.add_name(folder.name)
    writer.add_context_length(shape.context)
    writer.add_embedding_length(shape.hidden)
    writer.add_block_count(shape.layers)
    writer.add_feed_forward_length(shape.intermediate)
    writer.add_head_count(shape.heads)
    writer.add_head_count_kv(shape.kv_heads)
    writer.add_key_length(shape.head_dim)
    writer.add_value_length(shape.head_dim)
    writer.add_rope_dimension_count(shape.head_dim)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_layer_norm_rms_eps(shape.rms_eps)
    writer.add_vocab_size(rows["token_embd.weight"])
    writer.add_file_type(FILE_TYPES[kind])
    writer.add_tokenizer_model("none")  # token ids in, token ids out: see the module's doc
    for gname, array in tensors:
        dtype = np.float16 if f16 and array.ndim == 2 else np.float32
        writer.add_tensor_info(gname, array.shape, np.dtype(dtype), array.size * dtype().itemsize)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for gname, array in tensors:
        writer.write_tensor_data(_for_llama_cpp(gname, array, shape, f16))
    writer.close()
    return out


def quantize(source: Path, kind: str, threads: int, out: Path) -> Path:
    """`source` (F16 or F32 GGUF) quantised to `kind` ("q8_0", "q4_0") by llama.cpp."""
    import ctypes

    import llama_cpp

    from review_forge.bot.scoring.llamacpp.engine import llama_error, quiet_logs

    quiet_logs()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FILE_TYPES[kind]
    params.nthread = threads
    failed = llama_cpp.llama_model_quantize(
        str(source).encode(), str(out).encode(), ctypes.byref(params)
    )
    if failed:
        raise ModelUnavailable(f"llama.cpp could not quantise {source} to {kind}{llama_error()}")
    return out


def write_lora(adapter: Path, shape: LlamaShape, out: Path) -> Path:
    """Write the PEFT LoRA adapter in `adapter` to `out` as a GGUF LoRA for the base `shape`."""
    import gguf

    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    for flag, words in (("use_dora", "DoRA"), ("modules_to_save", "saved modules")):
        if config.get(flag):
            raise ModelUnavailable(
                f"adapter {adapter} uses {words}, which the llama.cpp engine cannot apply; "
                "set engine: torch"
            )
    pairs: dict[str, dict[str, np.ndarray]] = {}
    modules: dict[str, str] = {}
    for name, array in safetensors_tensors(adapter):
        match = re.fullmatch(r"(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.\w+)?\.weight", name)
        target = gguf_name(match.group(1) + ".weight") if match else None
        if match is None or target is None:
            raise ModelUnavailable(
                f"adapter {adapter} holds {name}, which the llama.cpp engine cannot apply; "
                "set engine: torch"
            )
        modules[target] = match.group(1)
        pairs.setdefault(target, {})[match.group(2)] = np.asarray(array, dtype=np.float32)
    writer = gguf.GGUFWriter(out, "llama")
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", 0.0)  # 0: scale 1, the scaling is in B already
    for target, pair in sorted(pairs.items()):
        a, b = pair["A"], pair["B"] * _scaling(config, modules[target], pair["A"].shape[0])
        if target.endswith("attn_q.weight"):
            b = _interleave_heads(b, shape.heads)
        elif target.endswith("attn_k.weight"):
            b = _interleave_heads(b, shape.kv_heads)
        writer.add_tensor(target + ".lora_a", np.ascontiguousarray(a))
        writer.add_tensor(target + ".lora_b", np.ascontiguousarray(b, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _scaling(config: dict[str, Any], module: str, rank: int) -> float:
    """PEFT's LoRA scaling of `module` (e.g. model.layers.0.self_attn.q_proj): alpha / rank, or
    alpha / sqrt(rank) with rsLoRA, alpha from `alpha_pattern` where a key names the module (as
    PEFT matches them: the module's name ends with the key). The rank is A's row count.

    >>> _scaling({"lora_alpha": 16, "alpha_pattern": {"layers.1.self_attn.q_proj": 4}},
    ...          "model.layers.1.self_attn.q_proj", 8)
    0.5
    >>> _scaling({"lora_alpha": 16, "use_rslora": True}, "model.layers.0.mlp.up_proj", 4)
    8.0
    """
    alpha = config.get("lora_alpha", 8)
    for key, value in (config.get("alpha_pattern") or {}).items():
        if re.fullmatch(rf"(?:.*\.)?(?:{key})", module):
            alpha = value
            break
    return float(alpha) / (math.sqrt(rank) if config.get("use_rslora") else rank)


def replace_atomically(build: Callable[..., Path], out: Path, *args: Any) -> Path:
    """Run `build(*args, tmp)` into a temporary file beside `out`, then move it into place, so
    a run that stops half-way never leaves a broken file under the final name."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        build(*args, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
