"""The base model's weights in float32 on disk, for training on a CPU without native bfloat16.

TinyLlama is published in bfloat16. Loading it as float32 reads the 2.2 GB file through a memory
map and converts every tensor into 4.4 GB of new memory, so a process peaks at about 7 GB before
training starts (measured: `from_pretrained(..., dtype=float32)` of the TinyLlama shape, VmHWM
6.97 GB), above what a private repository's 7 GB runner can hold beside the training. A float32
file loads without any conversion: transformers maps it and the weights stay pages of that file,
read when first used, which the kernel can drop and read again (they are never written: LoRA
trains only its own matrices).

So before training or evaluating in float32, `float32_copy` writes the base's safetensors files
converted to float32 into the run's working folder, one tensor at a time (the largest, the
embedding, is 262 MB), beside a copy of its other files (config, tokenizer, chat template).
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

HUB_FILES = ["*.safetensors", "*.json", "tokenizer.model", "*.jinja"]
CONVERTED = {"BF16", "F16"}


def local_folder(base: str) -> Path:
    """The base's folder: itself when it is one, else its snapshot from the hub (downloaded or
    cached: weights, config and tokenizer)."""
    folder = Path(base)
    if folder.is_dir():
        return folder
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(base, allow_patterns=HUB_FILES))


def needs_copy(folder: Path) -> bool:
    """Whether any tensor of the folder's safetensors files is stored in 16 bits."""
    return any(
        entry.get("dtype") in CONVERTED
        for file in folder.glob("*.safetensors")
        for name, entry in _header(file).items()
        if name != "__metadata__"
    )


def float32_copy(base: str, out: Path) -> Path | None:
    """`out` holding the base converted to float32, or None when it is float32 already (or has
    no safetensors files: then transformers loads it as it is)."""
    source = local_folder(base)
    if not needs_copy(source):
        return None
    out.mkdir(parents=True, exist_ok=True)
    for file in sorted(source.iterdir()):
        if file.suffix == ".safetensors":
            convert(file, out / file.name)
        elif file.is_file():
            shutil.copyfile(file, out / file.name)
    return out


def evaluation_base(base: str, work: Path) -> str:
    """The base to score with in this run: its float32 copy under `work` where the scorer runs in
    float32 and the base is 16-bit, named as the base is (adapters record their base's name)."""
    import torch

    from review_forge.bot.scoring.model import pick_dtype

    if pick_dtype() is not torch.float32:
        return base
    return str(float32_copy(base, work / "float32" / Path(base).name) or base)


def convert(source: Path, target: Path) -> None:
    """Write `source` with every 16-bit floating tensor as float32, one tensor in memory at a
    time (safetensors: an 8-byte header length, a JSON header of offsets, the raw data)."""
    import torch
    from safetensors import safe_open

    header = _header(source)
    metadata = header.pop("__metadata__", None)
    layout: dict[str, dict] = {} if metadata is None else {"__metadata__": metadata}
    offset = 0
    for name, entry in header.items():  # keep the file's order of tensors
        start, end = entry["data_offsets"]
        wide = entry["dtype"] in CONVERTED  # 2 bytes a value become 4
        size = (end - start) * (2 if wide else 1)
        dtype = "F32" if wide else entry["dtype"]
        layout[name] = {
            "dtype": dtype,
            "shape": entry["shape"],
            "data_offsets": [offset, offset + size],
        }
        offset += size
    text = json.dumps(layout, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    with safe_open(str(source), framework="pt") as tensors, target.open("wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for name in header:
            tensor = tensors.get_tensor(name)
            if header[name]["dtype"] in CONVERTED:
                tensor = tensor.to(torch.float32)
            out.write(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())


def _header(file: Path) -> dict:
    with file.open("rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        return json.loads(handle.read(length))
