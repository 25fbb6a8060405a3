"""Training rows for Oumi: GRPO prompts (synthetic and feedback) and SFT warm-up conversations.

Two kinds of JSONL lines are read, from files or folders (a folder such as the data branch's
`feedback/` tree is read recursively in path order, which is chronological):

- synthetic rows (`training/data_synthesis.py`): `id, body, diff_hunk, path, target_score,
  target_dimensions, completion`;
- feedback records (the design's contract): `body, diff_hunk, path, posted, up, down,
  reply_comment_id, collected_at, ...`. The newest snapshot per `reply_comment_id` wins.

Each becomes a row with the conversational `prompt` TRL's GRPO trainer accepts, built by
`bot.prompt.build_messages` (the prompt the model scorer sends), and the columns the reward
functions (`training/rewards.py`) read: `target_score` and `target_dimensions` (synthetic labels,
or None), `posted_score` (the score people reacted to, or None) and `feedback` (👍 minus 👎: its
sign says whether people agreed with the posted score). A record whose reactions cancel out, or
that has none, carries no signal and is left out (and counted).

Registered with Oumi as `review_forge_grpo` and `review_forge_sft`: import this module (or list
`training/oumi_registry.py` in `OUMI_EXTRA_DEPS_FILE` for the `oumi` CLI) before training.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import datasets
import oumi.builders  # noqa: F401 - must precede oumi.core.datasets, or a circular import fails
from oumi.core.datasets import BaseMapDataset
from oumi.core.registry import REGISTRY, RegistryType

from bot.errors import InputError
from bot.prompt import build_messages
from bot.score import DIMENSIONS, Score

GRPO_DATASET = "review_forge_grpo"
SFT_DATASET = "review_forge_sft"
# model_max_length 512 minus max_completion_length 96 (configs/grpo_cpu.yaml). TRL 1.x no longer
# truncates prompts, and Oumi ignores model_max_length for GRPO, so the dataset keeps the budget.
DEFAULT_MAX_PROMPT_TOKENS = 416

_MESSAGES = datasets.List({"role": datasets.Value("string"), "content": datasets.Value("string")})
# Fixed features: synthetic rows have no posted score and feedback rows no target, and Arrow would
# otherwise infer a null column from a batch holding only one kind.
GRPO_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "prompt": _MESSAGES,
        "target_score": datasets.Value("float64"),
        "target_dimensions": {d: datasets.Value("float64") for d in DIMENSIONS},
        "posted_score": datasets.Value("float64"),
        "feedback": datasets.Value("int64"),
    }
)
SFT_FEATURES = datasets.Features(
    {"id": datasets.Value("string"), "prompt": _MESSAGES, "completion": _MESSAGES}
)


@dataclass(frozen=True)
class TrainingData:
    """What a set of data paths holds once read: the rows and how they were counted."""

    rows: list[dict[str, Any]]
    synthetic: int
    feedback_snapshots: int
    feedback_used: int
    feedback_without_signal: int

    def digest(self) -> str:
        """sha256 of the rows as read (text and labels): the manifest's data hash."""
        blob = json.dumps(self.rows, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "synthetic": self.synthetic,
            "feedback_snapshots": self.feedback_snapshots,
            "feedback_used": self.feedback_used,
            "feedback_without_signal": self.feedback_without_signal,
        }


def read_training_data(paths: Sequence[str | Path]) -> TrainingData:
    """Read synthetic rows and feedback records from JSONL files or folders of them.

    >>> import tempfile, json, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> posted = {"score": 30, "dimensions": dict.fromkeys(DIMENSIONS, 30)}
    >>> old = {"reply_comment_id": 7, "body": "Fix it.", "posted": posted, "up": 0, "down": 1,
    ...        "collected_at": "2026-01-01T00:00:00Z"}
    >>> new = dict(old, up=2, down=1, collected_at="2026-01-02T00:00:00Z")
    >>> _ = (d / "f.jsonl").write_text(json.dumps(new) + "\\n" + json.dumps(old) + "\\n")
    >>> data = read_training_data([d])
    >>> data.feedback_snapshots, [(r["posted_score"], r["feedback"]) for r in data.rows]
    (2, [(30.0, 1)])
    """
    synthetic: list[dict[str, Any]] = []
    newest: dict[str, tuple[datetime, dict[str, Any]]] = {}
    snapshots = 0
    for file in _jsonl_files(paths):
        for number, record in _read_jsonl(file):
            where = f"{file}:{number}"
            if "posted" in record:
                snapshots += 1
                key = str(_required(record, "reply_comment_id", where))
                when = _collected_at(record, where)
                if key not in newest or when >= newest[key][0]:
                    newest[key] = (when, _feedback_row(record, where))
            else:
                synthetic.append(_synthetic_row(record, where))
    feedback = [row for _, row in newest.values()]
    used = [row for row in feedback if row["feedback"] != 0]
    rows = synthetic + used
    if not rows:
        raise InputError(
            f"no training rows in {', '.join(map(str, paths))}: give synthetic rows "
            "(training/data_synthesis.py) or feedback records with 👍/👎 reactions"
        )
    return TrainingData(rows, len(synthetic), snapshots, len(used), len(feedback) - len(used))


def fit_prompt(
    row: dict[str, Any], count_tokens: Callable[[list[dict[str, str]]], int], budget: int
) -> list[dict[str, str]]:
    """The row's chat prompt, shortened until `count_tokens` says it fits in `budget`.

    The diff hunk goes first, oldest lines first (GitHub's hunk ends at the commented line); then
    the comment is cut at its end. A comment body can be 65,536 characters; the model has 512
    tokens for prompt and answer together.

    >>> row = {"body": "Off by one?", "diff_hunk": "\\n".join(f"+line {i}" for i in range(300))}
    >>> words = lambda messages: sum(len(m["content"].split()) for m in messages)
    >>> user = fit_prompt(row, words, budget=200)[1]["content"]
    >>> "+line 299" in user, "+line 0\\n" in user, words(fit_prompt(row, words, budget=200)) <= 200
    (True, False, True)
    """
    body, diff, path = row["body"], row.get("diff_hunk") or "", row.get("path")
    keep = len(body)
    messages = build_messages(body, diff or None, path)
    size = count_tokens(messages)
    while size > budget and (diff or keep > 0):
        if diff:
            lines = diff.splitlines()
            diff = "\n".join(lines[len(lines) // 2 + 1 :])
        else:
            keep = max(0, min(keep - 1, keep * budget // size - 16))
        shown = body if keep == len(body) else body[:keep] + "…"
        messages = build_messages(shown, diff or None, path)
        size = count_tokens(messages)
    return messages


def sft_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with a canonical completion (synthetic ones): the SFT warm-up's examples."""
    chosen = [r for r in rows if r.get("completion")]
    if not chosen:
        raise InputError("the SFT warm-up needs synthetic rows with a `completion` field")
    return chosen


def _jsonl_files(paths: Sequence[str | Path]) -> Iterable[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(path.rglob("*.jsonl"))
        elif path.is_file():
            yield path
        else:
            raise InputError(f"training data {path} not found; give a JSONL file or a folder")


def _read_jsonl(file: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{file}:{number} is not JSON ({exc.msg}); fix or remove it") from None
        if not isinstance(record, dict):
            raise InputError(f"{file}:{number} must be a JSON object")
        yield number, record


def _required(record: dict[str, Any], key: str, where: str) -> Any:
    if record.get(key) in (None, ""):
        raise InputError(f"{where} has no `{key}`")
    return record[key]


def _number(value: Any, name: str, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {name} {value!r} is not a number") from None


def _collected_at(record: dict[str, Any], where: str) -> datetime:
    raw = str(record.get("collected_at") or "1970-01-01T00:00:00+00:00")
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: collected_at {raw!r} is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _text(record: dict[str, Any], where: str) -> dict[str, Any]:
    return {
        "body": str(_required(record, "body", where)),
        "diff_hunk": str(record.get("diff_hunk") or ""),
        "path": str(record.get("path") or "") or None,
    }


def _synthetic_row(record: dict[str, Any], where: str) -> dict[str, Any]:
    dims = record.get("target_dimensions") or {}
    if not isinstance(dims, dict):
        raise InputError(f"{where}: target_dimensions must be an object of dimension: score")
    return {
        "id": str(record.get("id") or where),
        **_text(record, where),
        "target_score": _number(_required(record, "target_score", where), "target_score", where),
        "target_dimensions": {
            d: None if dims.get(d) is None else _number(dims[d], d, where) for d in DIMENSIONS
        },
        "posted_score": None,
        "feedback": 0,
        "completion": record.get("completion") or None,
    }


def _feedback_row(record: dict[str, Any], where: str) -> dict[str, Any]:
    posted = Score.from_dict(_required(record, "posted", where))
    up, down = (_number(record.get(k) or 0, k, where) for k in ("up", "down"))
    return {
        "id": f"feedback-{record['reply_comment_id']}",
        **_text(record, where),
        "target_score": None,
        "target_dimensions": None,
        "posted_score": float(posted.score),
        "feedback": int(up - down),
        "completion": None,
    }


def _register(name: str) -> Callable[[type], type]:
    """Register a dataset class once, even if this file is imported under a second name."""

    def decorate(cls: type) -> type:
        if not REGISTRY.contains(name, RegistryType.DATASET):
            REGISTRY.register(name, RegistryType.DATASET, cls)
        return cls

    return decorate


class _RowsDataset(BaseMapDataset):
    """An Oumi map dataset over `read_training_data` rows, with fixed Arrow features.

    `dataset_path` is a JSONL file or folder; `dataset_kwargs` may add `extra_paths` (read
    together, so the newest-snapshot rule holds across them) and `max_prompt_tokens`.
    """

    default_dataset: str
    features: datasets.Features

    def __init__(
        self,
        *,
        dataset_name: str | None = None,
        dataset_path: str | None = None,
        extra_paths: Sequence[str] = (),
        tokenizer: Any = None,
        max_prompt_tokens: int = DEFAULT_MAX_PROMPT_TOKENS,
        **kwargs: Any,
    ) -> None:
        name = dataset_name or self.default_dataset
        super().__init__(dataset_name=name, dataset_path=dataset_path, **kwargs)
        if not dataset_path:
            raise InputError(f"dataset {name} needs a dataset_path (a JSONL file or a folder)")
        if tokenizer is None:
            raise InputError(f"dataset {name} needs the model's tokenizer to fit prompts")
        self._tokenizer = tokenizer
        self._budget = max_prompt_tokens
        # A plain list, not the base class's DataFrame: pandas would turn None scores into NaN.
        self._rows = self.select(read_training_data([dataset_path, *extra_paths]).rows)

    def select(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return rows

    def _count_tokens(self, messages: list[dict[str, str]]) -> int:
        text = self._tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        return self.transform(self._rows[idx])

    def transform(self, sample: Any) -> dict[str, Any]:
        row = dict(sample)
        row["prompt"] = fit_prompt(row, self._count_tokens, self._budget)
        if "completion" in self.features:
            row["completion"] = [{"role": "assistant", "content": row["completion"]}]
        return {name: row[name] for name in self.features}

    def to_hf(self, return_iterable: bool = False) -> datasets.Dataset | datasets.IterableDataset:
        rows = [self[i] for i in range(len(self))]
        result = datasets.Dataset.from_list(rows, features=self.features)
        return result.to_iterable_dataset() if return_iterable else result


@_register(GRPO_DATASET)
class ReviewForgeGrpoDataset(_RowsDataset):
    """GRPO prompts with the reward columns (targets, posted score, feedback)."""

    default_dataset = GRPO_DATASET
    features = GRPO_FEATURES


@_register(SFT_DATASET)
class ReviewForgeSftDataset(_RowsDataset):
    """Prompt/completion conversations for the SFT warm-up (TRL trains on the completion only)."""

    default_dataset = SFT_DATASET
    features = SFT_FEATURES

    def select(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sft_rows(rows)
