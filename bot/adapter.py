"""LoRA adapter folders: what is accepted, and the content hash that names a revision.

An adapter comes from a data branch anyone with push access can write to, so it is loaded only in
the safe format: `adapter_config.json` plus `adapter_model.safetensors`. Pickle files (`.bin`,
`.pt`, ...) can run code when loaded and are refused outright, not skipped. An adapter trained on
another base model would load without error on some shapes and write nonsense, so its recorded
base and its tensor shapes are checked against the base model before it is attached.

This module imports no torch: the revision hash is also used by code that never scores.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, TypedDict

from review_forge.bot.errors import ModelUnavailable

CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
MANIFEST_FILE = "manifest.json"
PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt"})
_RESAVE = "re-save it with save_pretrained(safe_serialization=True)"
# A hub cache folder: .../models--TinyLlama--TinyLlama-1.1B-Chat-v1.0/snapshots/<hash>
_HUB_CACHE = re.compile(r"models--([^/\\]+)--([^/\\]+)")


def adapter_revision(folder: str | Path) -> str:
    """The adapter's content hash: the first 12 hex digits of the sha256 of its weights file
    followed by its config file (`cat adapter_model.safetensors adapter_config.json | sha256sum`).

    Checks the folder first: it must exist, hold both files, and hold no pickle file.
    """
    path = Path(folder)
    if not path.is_dir():
        raise ModelUnavailable(
            f"adapter folder {path} not found; pass a folder with {CONFIG_FILE} and {WEIGHTS_FILE}"
        )
    pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise ModelUnavailable(
            f"adapter {path} contains pickle weights ({', '.join(pickles)}), which can run code "
            f"when loaded; only safetensors adapters are accepted: {_RESAVE}"
        )
    missing = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if not (path / name).is_file()]
    if missing:
        raise ModelUnavailable(
            f"adapter {path} has no {' or '.join(missing)}; expected a PEFT adapter: {_RESAVE}"
        )
    digest = hashlib.sha256()
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        with (path / name).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def file_digests(folder: str | Path) -> dict[str, dict[str, Any]]:
    """{file name: {"sha256", "bytes"}} of the adapter's two files: what its manifest records,
    and what a copy downloaded from the data branch is checked against."""
    digests = {}
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        digest, size = hashlib.sha256(), 0
        with (Path(folder) / name).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        digests[name] = {"sha256": digest.hexdigest(), "bytes": size}
    return digests


def read_adapter_config(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelUnavailable(f"cannot read {folder / CONFIG_FILE}: {exc}") from None
    if not isinstance(data, dict):
        raise ModelUnavailable(f"{folder / CONFIG_FILE} is not a JSON object; {_RESAVE}")
    return data


def model_name(ref: str) -> str:
    """How a base model is named, whether given as a hub id or as a local folder.

    >>> model_name("TinyLlama/TinyLlama-1.1B-Chat-v1.0")
    'tinyllama-1.1b-chat-v1.0'
    >>> model_name("/models/TinyLlama-1.1B-Chat-v1.0/")
    'tinyllama-1.1b-chat-v1.0'
    >>> model_name("/cache/models--TinyLlama--TinyLlama-1.1B-Chat-v1.0/snapshots/fe8a4ea")
    'tinyllama-1.1b-chat-v1.0'
    """
    cached = _HUB_CACHE.search(ref)
    if cached:
        return cached.group(2).lower()
    return re.split(r"[/\\]", ref.rstrip("/\\"))[-1].lower()


def same_base(recorded: str, base: str) -> bool:
    """True when the adapter's recorded base and the base being loaded are the same model."""
    if recorded == base or model_name(recorded) == model_name(base):
        return True
    first, second = Path(recorded), Path(base)
    return first.exists() and second.exists() and first.resolve() == second.resolve()


def check_fits(folder: Path, base: str, model: Any) -> None:
    """Refuse an adapter made for another base: by recorded name, then by every tensor's shape.

    `model` is the loaded base (a torch module); each LoRA matrix must match the layer it adapts.
    """
    recorded = read_adapter_config(folder).get("base_model_name_or_path")
    if recorded and not same_base(str(recorded), base):
        raise ModelUnavailable(
            f"adapter {folder} was trained on {recorded}, not on {base}; "
            f"pass --base-model {recorded} or an adapter trained on {base}"
        )
    from safetensors import safe_open

    with safe_open(str(folder / WEIGHTS_FILE), framework="numpy") as weights:  # shapes only
        for key in weights.keys():  # noqa: SIM118 - safe_open has no __iter__
            _check_tensor(folder, base, model, key, weights.get_slice(key).get_shape())


def _check_tensor(folder: Path, base: str, model: Any, key: str, shape: list[int]) -> None:
    match = re.fullmatch(r"(?:base_model\.model\.)?(.+)\.(lora_[AB])(?:\.\w+)?\.weight", key)
    if match is None:
        return  # not a LoRA matrix (e.g. a saved embedding); PEFT checks those when loading
    module_path, kind = match.groups()
    try:
        layer = model.get_submodule(module_path)
    except AttributeError:
        layer = None
    expected = None
    if layer is not None and hasattr(layer, "in_features"):
        expected = layer.in_features if kind == "lora_A" else layer.out_features
    got = shape[1] if kind == "lora_A" else shape[0]
    if expected != got:
        raise ModelUnavailable(
            f"adapter {folder} does not fit the base model {base}: {module_path} "
            f"{'is missing' if expected is None else f'has size {expected}'}, the adapter "
            f"expects {got}; use the base model the adapter was trained on"
        )


class AdapterManifest(TypedDict, total=False):
    """`manifest.json` beside an adapter: written by the trainer, completed on promotion, read
    by the Action before it loads the adapter and by the next retrain."""

    schema: int
    revision: str  # `adapter_revision` of the files
    files: dict[str, dict[str, Any]]  # name: {"sha256", "bytes"}
    base_model: str
    kind: str  # TRL_GRPO or TRL_SFT
    parent_revision: str | None  # the adapter it replaced (on promotion) or continued (training)
    trained_from_revision: str | None
    data: dict[str, Any]
    reward_curve: dict[str, Any]
    training: dict[str, Any]
    created_at: str
    versions: dict[str, str]
    metrics: dict[str, Any]  # the held-out figures and the gate's decision (on promotion)
    best: dict[str, Any]  # the best gain over the rubric of any promoted adapter so far
    promotion: dict[str, Any]


def read_manifest(folder: str | Path) -> AdapterManifest:
    """The folder's manifest, or {} for an adapter saved without one (the one reader)."""
    file = Path(folder) / MANIFEST_FILE
    if not file.is_file():
        return AdapterManifest()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelUnavailable(f"cannot read {file}: {exc}; train or promote it again") from None
    if not isinstance(data, dict):
        raise ModelUnavailable(f"{file} must be a JSON object; train or promote it again")
    return AdapterManifest(**data)


def manifest_bytes(manifest: AdapterManifest) -> bytes:
    """The manifest as it is written, to a folder or to the data branch (the one writer)."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
