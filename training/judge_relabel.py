"""Relabel synthetic rows with an LLM judge through Oumi's judge API (`oumi.judges.SimpleJudge`).

The judge config is an ordinary Oumi `JudgeConfig` YAML: `judge_params` (prompt, response format)
and `inference_config` (any Oumi inference engine: NATIVE for a local model, VLLM, or a remote
API). Its prompt template may use `{body}`, `{diff_hunk}`, `{path}` and `{comment}` (the user turn
the model scorer sends, `bot.prompt.user_prompt`). A judgement is read as a number 0-100 from the
`judgment` field (`judgment_type: INT` or `FLOAT`) or, failing that, as a whole completion in the
canonical format (`response_format: RAW`, read by `bot.score.parse`), which also gives dimensions.
A judgement that cannot be read leaves the rubric's label in place and is counted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from review_forge.bot.errors import ConfigError, FormatError, InputError
from review_forge.bot.scoring.prompt import user_prompt
from review_forge.bot.scoring.score import Score, parse, render


def read_judgement(value: Any, raw_output: str) -> Score | int | None:
    """The judge's verdict: a whole Score, an overall score, or None when it cannot be read.

    >>> read_judgement(72, "<judgment>72</judgment>"), read_judgement(None, "no idea")
    (72, None)
    >>> read_judgement(None, "Score: 40\\nClarity: 1\\nCompleteness: 2\\nActionability: 3\\n"
    ...                "Constructiveness: 4").dimensions["actionability"]
    3
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100:
        return round(value)
    try:
        return parse(raw_output, scorer="model", model_revision="judge")
    except FormatError:
        return None


def _judge_inputs(row: dict[str, Any]) -> dict[str, str]:
    body, hunk, path = row["body"], row.get("diff_hunk"), row.get("path")
    return {
        "body": body,
        "diff_hunk": hunk or "",
        "path": path or "",
        "comment": user_prompt(body, hunk, path),
    }


def _load_judge(config_path: str | Path) -> Any:
    path = Path(config_path)
    if not path.is_file():  # Oumi would look it up in its online config repository instead
        raise InputError(f"judge config {path} not found; give the path of a JudgeConfig YAML")
    try:
        import oumi.builders  # noqa: F401 - before oumi.core.*, or a circular import fails
        from oumi.core.configs.judge_config import JudgeConfig
        from oumi.judges import SimpleJudge
    except ImportError as exc:
        raise ConfigError(
            f"--judge-config needs Oumi ({exc.name} is missing): pip install 'review-forge[train]'"
        ) from None
    logging.getLogger("oumi").setLevel(logging.WARNING)  # its INFO lines would fill stdout
    try:
        return SimpleJudge(JudgeConfig.from_yaml(str(path)))
    except Exception as exc:  # Oumi raises many kinds for a bad config or an unloadable model
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"cannot build the judge from {path}: {first}") from None


def relabel_with_judge(rows: Sequence[dict[str, Any]], config_path: str | Path) -> dict[str, int]:
    """Replace the rows' labels (in place) with the judge's; count what happened."""
    judge = _load_judge(config_path)
    outputs = judge.judge([_judge_inputs(row) for row in rows])
    stats = {"judged": len(outputs), "relabelled": 0, "unparseable": 0}
    for row, output in zip(rows, outputs, strict=True):
        verdict = read_judgement(output.field_values.get("judgment"), output.raw_output)
        if verdict is None:
            stats["unparseable"] += 1
            continue
        if isinstance(verdict, int):  # only an overall score: keep the rubric's dimensions
            verdict = replace(parse(row["completion"]), score=verdict)
        row["target_score"] = verdict.score
        row["target_dimensions"] = dict(verdict.dimensions)
        row["completion"] = render(verdict)
        row["label_source"] = "judge"
        stats["relabelled"] += 1
    return stats
