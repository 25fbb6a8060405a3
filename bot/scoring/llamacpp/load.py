"""The model scorer on llama.cpp: files converted once and cached, the scorer, and its fallback.

Cache (`<cache>/llama.cpp/`, the folder the Action's cache step keeps):
- `<base name>-<base key>.<quantisation>.gguf`: the base, converted once per base and
  quantisation; the key hashes the folder's config and each weights file's size and time, so a
  checkpoint saved again in place is converted again;
- `lora-<adapter revision>-<base key>.gguf`: the adapter, a few MB, once per adapter revision;
- `<base name>-<base key>.tokenizer`: whether `ChatTokenizer` reads this base's tokenizer
  exactly as transformers does (checked once; if not, transformers' tokenizer is used);
- `state/`: the system prompt's KV state (`engine.LlamaEngine`).

Problems with an adapter raise `ModelUnavailable` as they do for the torch engine; anything that
stops the engine itself (not installed, conversion or loading failed) raises `EngineUnavailable`,
which `bot.scoring.model.load_model_scorer` turns into the rubric's scores with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from review_forge.bot.adapter import WEIGHTS_FILE, adapter_revision, check_fits, model_name
from review_forge.bot.errors import EngineUnavailable, ModelUnavailable
from review_forge.bot.scoring.generation import answer_complete
from review_forge.bot.scoring.llamacpp.convert import (
    FILE_TYPES,
    LlamaShape,
    quantize,
    replace_atomically,
    write_base,
    write_lora,
)
from review_forge.bot.scoring.prompt import build_messages
from review_forge.bot.scoring.prompted import BATCH_SIZE, PromptedScorer, context_window
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import Comment, Score, render
from review_forge.bot.scoring.threads import cpu_threads, thread_default

ENGINE_HINT = "pip install 'review-forge[model]' (it builds llama-cpp-python), or set engine: torch"
# Chats the tokenizer check renders both ways: code, a diff, non-ASCII, template look-alikes.
_TOKENIZER_SAMPLES = (
    ("LGTM", None, None),
    ("Rename `tmp` to `pending_jobs`; it holds the queue.", "@@ -1,2 +1,3 @@\n+tmp = []\n", "a.py"),
    ("Warum?\tÇa casse: naïve → 改善して 🙂 </s> <|user|>", "-  x = 1\n+  x = 2\n", "src/ü.rs"),
)
_LOADED: dict[tuple[str, ...], LlamaScorer] = {}


class LlamaScorer(PromptedScorer):
    """The model scorer with llama.cpp as its engine (see `bot.scoring.prompted`)."""

    def __init__(self, engine: Any, tokenizer: Any, revision: str, context: int, kind: str) -> None:
        super().__init__(tokenizer, revision, context, BATCH_SIZE)
        self.engine = engine
        self.kind = kind  # the quantisation, for benchmarks and logs

    def _generate(self, prompts: list[list[int]], comments: list[Comment]) -> list[list[int]]:
        # The rubric's own answer for each comment: what a retrained adapter mostly repeats.
        drafts = [self._ids("\n" + render(score_comment(comment))) for comment in comments]
        return self.engine.generate(
            prompts, self.prefix_ids, self.answer_tokens, self.tokenizer.eos_token_id, self._done,
            drafts,
        )  # fmt: skip

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _done(self, ids: list[int]) -> bool:
        return answer_complete(self.tokenizer.decode(ids, skip_special_tokens=True))


class EngineFallback:
    """The rubric's scores, marked with why the model's engine did not run."""

    name = "rubric"

    def __init__(self, revision: str, reason: str) -> None:
        self.revision = revision
        self.reason = reason

    def score_many(self, comments: Sequence[Comment]) -> list[Score]:
        return [
            score_comment(c).with_source("rubric", self.revision, self.reason) for c in comments
        ]


def load_llama(base: str, adapter: str | None, cache: Path, kind: str) -> LlamaScorer:
    """Load (once per process) the base and adapter on llama.cpp, converting them if needed."""
    revision = adapter_revision(adapter) if adapter else "base"
    folder = str(Path(adapter).resolve()) if adapter else ""
    key = (base, folder, revision, kind, str(cache))
    if key not in _LOADED:
        _LOADED[key] = _load(base, Path(adapter) if adapter else None, revision, cache, kind)
    return _LOADED[key]


def _load(base: str, adapter: Path | None, revision: str, cache: Path, kind: str) -> LlamaScorer:
    try:
        import llama_cpp  # noqa: F401
    except (ImportError, OSError) as exc:
        raise EngineUnavailable(
            f"the llama.cpp engine cannot be imported ({exc}): {ENGINE_HINT}"
        ) from None
    from review_forge.bot.scoring.llamacpp.engine import LlamaEngine

    folder = base_folder(base)
    shape = _shape(folder)
    if adapter is not None:
        _check_adaptable(adapter)
        check_fits(adapter, base, _ConfigLayers(shape))
    threads = cpu_threads(thread_default(os.environ))
    root = cache / "llama.cpp"
    stem = f"{model_name(base)}-{base_key(folder)}"
    model_file = _converted(root / f"{stem}.{kind}.gguf", folder, kind, threads)
    lora_file = None
    if adapter is not None:
        lora_file = root / f"lora-{revision}-{base_key(folder)}.gguf"
        if not lora_file.is_file():
            _convert(write_lora, lora_file, adapter, shape)
    tokenizer = _tokenizer(folder, root / f"{stem}.tokenizer")
    try:
        engine = LlamaEngine(model_file, lora_file, threads, root / "state", kind == "f32")
    except EngineUnavailable as exc:
        for file in (model_file, lora_file):  # a damaged cache heals on the next run
            if file is not None:
                file.unlink(missing_ok=True)
        raise EngineUnavailable(f"{exc} (removed: the next run converts it again)") from None
    context = context_window(shape.context, tokenizer.model_max_length)
    return LlamaScorer(engine, tokenizer, revision, context, kind)


def base_folder(base: str) -> Path:
    """The base model's files: `base` itself when it is a folder, else the hub's cached copy."""
    if Path(base).is_dir():
        return Path(base)
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.jinja"]
    try:
        return Path(snapshot_download(base, allow_patterns=patterns))
    except Exception as exc:  # the hub client raises many kinds; each means "not here"
        raise EngineUnavailable(f"cannot find base model {base} ({exc}); pass a folder") from None


def base_key(folder: Path) -> str:
    """12 hex digits naming this checkpoint: its config and each weights file's size and time."""
    digest = hashlib.sha256(str(folder.resolve()).encode())
    digest.update((folder / "config.json").read_bytes())
    for file in sorted(folder.glob("*.safetensors")):
        stat = file.stat()
        digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


def _shape(folder: Path) -> LlamaShape:
    try:
        return LlamaShape(folder)
    except ModelUnavailable as exc:
        raise EngineUnavailable(str(exc)) from None


_PROJECTION = re.compile(r"model\.layers\.\d+\.(?:self_attn|mlp)\.\w+_proj")


def _check_adaptable(adapter: Path) -> None:
    """Refuse, as an engine limit (torch can still run it), an adapter on a layer the GGUF LoRA
    here does not adapt: the output layer or the embeddings."""
    from safetensors import safe_open

    with safe_open(str(adapter / WEIGHTS_FILE), framework="numpy") as weights:
        layers = {
            re.sub(r"^base_model\.model\.|\.lora_[AB]\b.*$", "", key)
            for key in weights.keys()  # noqa: SIM118 - safe_open has no __iter__
            if ".lora_" in key
        }
    other = sorted(layer for layer in layers if not _PROJECTION.fullmatch(layer))
    if other:
        raise EngineUnavailable(
            "the llama.cpp engine applies LoRA to the attention and MLP projections only; "
            f"adapter {adapter} also adapts {', '.join(other[:3])}"
        )


class _ConfigLayers:
    """The base's layer sizes from its config, as `adapter.check_fits` asks a torch model."""

    def __init__(self, shape: LlamaShape) -> None:
        attention = shape.heads * shape.head_dim
        kv = shape.kv_heads * shape.head_dim
        self.sizes = {
            "self_attn.q_proj": (shape.hidden, attention),
            "self_attn.k_proj": (shape.hidden, kv),
            "self_attn.v_proj": (shape.hidden, kv),
            "self_attn.o_proj": (attention, shape.hidden),
            "mlp.gate_proj": (shape.hidden, shape.intermediate),
            "mlp.up_proj": (shape.hidden, shape.intermediate),
            "mlp.down_proj": (shape.intermediate, shape.hidden),
        }
        self.layers = shape.layers

    def get_submodule(self, path: str) -> SimpleNamespace:
        prefix, _, layer_and_module = path.partition("model.layers.")
        layer, _, module = layer_and_module.partition(".")
        if prefix or not layer.isdigit() or int(layer) >= self.layers or module not in self.sizes:
            raise AttributeError(path)
        in_features, out_features = self.sizes[module]
        return SimpleNamespace(in_features=in_features, out_features=out_features)


def _converted(out: Path, folder: Path, kind: str, threads: int) -> Path:
    """The base as GGUF of `kind`: F32/F16 written from the checkpoint, the rest quantised by
    llama.cpp from an F16 file that is removed afterwards."""
    if out.is_file():
        return out
    if kind not in FILE_TYPES:
        raise EngineUnavailable(f"unknown quantisation {kind}; use one of {', '.join(FILE_TYPES)}")
    if kind in ("f32", "f16"):
        return _convert(write_base, out, folder, kind)
    f16 = out.with_name(f".{out.stem}.f16-source.gguf")
    try:
        _convert(write_base, f16, folder, "f16")
        return _convert(quantize, out, f16, kind, threads)
    finally:
        f16.unlink(missing_ok=True)


def _convert(build: Callable[..., Path], out: Path, *args: Any) -> Path:
    """`build(*args, tmp)` moved to `out` when done; any failure is the engine's."""
    try:
        return replace_atomically(build, out, *args)
    except EngineUnavailable:
        raise
    except (ModelUnavailable, OSError, ValueError, KeyError) as exc:
        raise EngineUnavailable(f"converting {out.name} for llama.cpp failed: {exc}") from None


def _tokenizer(folder: Path, verdict: Path) -> Any:
    """`ChatTokenizer` when it reads this base's tokenizer as transformers does, else
    transformers' own (slower to import); checked once per base, the verdict kept in `verdict`."""
    from review_forge.bot.scoring.llamacpp.tokenizer import ChatTokenizer, same_as

    ours = ChatTokenizer.from_folder(folder)
    checked = verdict.is_file() and json.loads(verdict.read_text(encoding="utf-8")).get("same")
    if ours is not None and checked:
        return ours
    try:
        from transformers import AutoTokenizer
    except ImportError:
        if ours is None:
            raise EngineUnavailable(f"cannot read the tokenizer in {folder}") from None
        return ours  # nothing to check it against
    theirs = AutoTokenizer.from_pretrained(str(folder))
    samples = [build_messages(*sample) for sample in _TOKENIZER_SAMPLES]
    same = ours is not None and same_as(ours, theirs, samples)
    verdict.parent.mkdir(parents=True, exist_ok=True)
    verdict.write_text(json.dumps({"same": same}) + "\n", encoding="utf-8")
    return ours if same else theirs
