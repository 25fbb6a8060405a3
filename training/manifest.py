"""What a trained adapter folder holds and says about itself: files, checks and `manifest.json`.

An adapter folder is exactly `adapter_model.safetensors`, `adapter_config.json` and
`manifest.json` (base model, data hash and counts, reward curve, parent revision, versions): the
layout of the data branch's `adapter/`. No full model, no pickled `.bin`.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from review_forge.bot.adapter import (
    MANIFEST_FILE,
    AdapterManifest,
    adapter_revision,
    file_digests,
    manifest_bytes,
)
from review_forge.bot.errors import ReviewForgeError

ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")  # nothing else is kept
PACKAGES = ("review-forge", "oumi", "torch", "transformers", "trl", "peft", "datasets")


class AdapterCheckError(ReviewForgeError):
    """Training produced something other than one LoRA adapter: it is not saved."""


def tensor_names(folder: Path) -> set[str]:
    from safetensors import safe_open

    with safe_open(str(folder / ADAPTER_FILES[0]), framework="pt") as weights:
        return set(weights.keys())


def check_single_lora(trained: Path, parent: Path | None) -> None:
    """The trained folder holds one LoRA: LoRA tensors only and, when continuing, the parent's.

    A new LoRA stacked on the parent (Oumi's `use_peft: true` with `adapter_model`) shows up as
    extra or renamed tensors, or a different rank or target list in `adapter_config.json`.
    """
    names = tensor_names(trained)
    foreign = sorted(n for n in names if "lora_" not in n)
    if foreign or not names:
        raise AdapterCheckError(f"the trained adapter holds non-LoRA tensors: {foreign[:3]}")
    if parent is None:
        return
    parent_names = tensor_names(parent)
    if names != parent_names:
        extra = sorted(names ^ parent_names)[:3]
        raise AdapterCheckError(
            f"the trained adapter's tensors differ from its parent's ({extra}...): a second LoRA "
            "was stacked instead of continuing the first"
        )
    keys = ("r", "lora_alpha", "target_modules")
    mine, theirs = (_lora_shape(folder, keys) for folder in (trained, parent))
    if mine != theirs:
        raise AdapterCheckError(f"the trained adapter is {mine}, its parent {theirs}")


def _lora_shape(folder: Path, keys: Iterable[str]) -> dict[str, Any]:
    config = json.loads((folder / ADAPTER_FILES[1]).read_text(encoding="utf-8"))
    shape = {key: config.get(key) for key in keys}
    if isinstance(shape.get("target_modules"), list):
        shape["target_modules"] = sorted(shape["target_modules"])
    return shape


def curve(log_history: Iterable[Mapping[str, Any]], key: str) -> dict[str, Any]:
    """Per-step values of `key` (the trainer's logged mean `reward`, or `loss`) and a summary.

    >>> c = curve([{"step": 1, "reward": 0.1}, {"step": 2, "reward": 0.5}, {"step": 2}], "reward")
    >>> c["steps"], c["values"], c["first"], c["last"], c["best"]
    ([1, 2], [0.1, 0.5], 0.1, 0.5, 0.5)
    """
    points = [
        (int(e["step"]), round(float(e[key]), 6)) for e in log_history if key in e and "step" in e
    ]
    values = [v for _, v in points]
    best = (min if key == "loss" else max)(values) if values else None
    return {
        "metric": key,
        "steps": [s for s, _ in points],
        "values": values,
        "first": values[0] if values else None,
        "last": values[-1] if values else None,
        "best": best,
    }


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_manifest(folder: Path, **fields: Any) -> Path:
    """Write `manifest.json` beside the adapter, with its revision (the content hash the model
    scorer reports as `model_revision`), each file's sha256 (checked when the Action downloads
    it), the time and the package versions."""
    manifest = AdapterManifest(
        schema=1,
        revision=adapter_revision(folder),
        files=file_digests(folder),
        **fields,  # type: ignore[typeddict-item]
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=package_versions(),
    )
    file = folder / MANIFEST_FILE
    file.write_bytes(manifest_bytes(manifest))
    return file
