"""Batch scoring over JSONL: the design's batch contract.

Rows `{"id", "body", "diff_hunk"?, "path"?}` in; one score object with its `"id"` per row out, in
input order. Rows stream through in chunks (the model scorer batches a chunk at once), so memory
stays flat however long the file is. Output goes to a temporary file beside the target and is
renamed over it only when every row scored: a bad row leaves no partial output behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from review_forge.bot.errors import InputError
from review_forge.bot.scoring.score import Comment, Scorer

CHUNK_SIZE = 64  # rows per `score_many` call: enough for the model to batch, small for memory


@dataclass(frozen=True)
class BatchResult:
    """What a batch run produced, for the command's summary and its exit code."""

    rows: int
    below_threshold: int


def read_rows(lines: Iterable[bytes], source: str) -> Iterator[tuple[str | int, Comment]]:
    """The (id, comment) of each row; blank lines are skipped, a bad row is an InputError.

    >>> list(read_rows([b'{"id": 7, "body": "Use a set here."}', b""], "in.jsonl"))
    [(7, Comment(body='Use a set here.', diff_hunk=None, path=None))]
    >>> try:
    ...     list(read_rows([b'{"id": 7}'], "in.jsonl"))
    ... except InputError as exc:
    ...     print(exc)
    in.jsonl line 1: missing "body" (rows are {"id", "body", ...})
    """
    for number, raw in enumerate(lines, start=1):
        where = f"{source} line {number}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: not valid UTF-8 (byte {exc.start + 1})") from None
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
        yield _row(row, where)


def _row(row: Any, where: str) -> tuple[str | int, Comment]:
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}")
    for key in ("id", "body"):
        if key not in row:
            raise InputError(f'{where}: missing "{key}" (rows are {{"id", "body", ...}})')
    row_id = row["id"]
    if isinstance(row_id, bool) or not isinstance(row_id, str | int):
        raise InputError(f'{where}: "id" must be a string or an integer')
    if not isinstance(row["body"], str):
        raise InputError(f'{where}: "body" must be a string')
    optional = {}
    for key in ("diff_hunk", "path"):
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f'{where}: "{key}" must be a string or null')
        optional[key] = value or None
    return row_id, Comment(row["body"], optional["diff_hunk"], optional["path"])


def _chunks(rows: Iterator[tuple[str | int, Comment]], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def score_jsonl(
    input_path: str,
    output_path: str,
    scorer: Scorer,
    min_score: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> BatchResult:
    """Score every row of `input_path` into `output_path`, all or nothing."""
    target = Path(output_path)
    if target.is_dir():
        raise InputError(f"--output {output_path} is a directory; give a file name")
    if not target.parent.is_dir():
        raise InputError(f"--output {output_path}: folder {target.parent} does not exist")
    try:
        source = open(input_path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InputError(f"cannot read --input {input_path}: {exc.strerror}") from None
    with source:
        try:
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as exc:
            raise InputError(f"cannot write --output {output_path}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                result = _stream(source, input_path, out, scorer, min_score, chunk_size)
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
    return result


def _stream(
    source: BinaryIO,
    name: str,
    out: Any,
    scorer: Scorer,
    min_score: int | None,
    chunk_size: int,
) -> BatchResult:
    rows = below = 0
    for chunk in _chunks(read_rows(source, name), chunk_size):
        scores = scorer.score_many([comment for _, comment in chunk])
        for (row_id, _), score in zip(chunk, scores, strict=True):
            out.write(json.dumps({"id": row_id, **score.to_dict()}) + "\n")
            below += min_score is not None and score.score < min_score
        rows += len(chunk)
    return BatchResult(rows=rows, below_threshold=below)
