"""Synthetic review comments with rubric labels: training rows for SFT and GRPO.

    python training/data_synthesis.py --num-examples 100 --output ./data/training_data.jsonl

Good, moderate and poor comments in equal shares (row i is `QUALITIES[i % 3]`, so every prefix is
balanced), composed from `training/synthetic_templates.py`: six languages, seven kinds of issue,
tones from kind to hostile, lengths from "LGTM" to a paragraph, with and without a diff hunk. Each
row carries the rubric's label (`target_score`, `target_dimensions`) and, for SFT, the completion
the model should write (`bot.score.render` of that label). Same seed, same rows; no two rows share
a body and hunk. `--judge-config` relabels the scores with an LLM judge through Oumi.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review_forge.bot.errors import InputError, ReviewForgeError
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import Comment, render
from review_forge.bot.settings import disable_telemetry
from review_forge.training import synthetic_templates as tpl

QUALITIES = ("good", "moderate", "poor")
KINDS = tuple(tpl.CODE)
MAX_TRIES = 200  # per row, to find a body+hunk not produced before


@dataclass(frozen=True)
class Scene:
    """The code a comment is about: names in the language's style, the file and the hunk."""

    language: str
    kind: str
    names: dict[str, str]
    path: str
    hunk: str


def _ident(parts: Sequence[str], snake: bool) -> str:
    if snake:
        return "_".join(parts)
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def _fill(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace(f"<{key}>", value)
    return text


def _scene(rng: random.Random) -> Scene:
    language = rng.choice(tuple(tpl.LANGUAGES))
    lang = tpl.LANGUAGES[language]
    kind = rng.choice(KINDS)
    noun = rng.choice(tpl.NOUNS)
    names = {
        "fn": _ident((rng.choice(tpl.VERBS), noun), lang.snake),
        "var": _ident(rng.choice(tpl.VARS), lang.snake),
        "helper": _ident(rng.choice(tpl.HELPERS), lang.snake),
        "bad": rng.choice(tpl.BAD_NAMES),
        "noun": noun,
        "ind": lang.indent,
    }
    directory = rng.choice(lang.dirs)
    stem = noun.capitalize() + "Service" if language == "java" else noun
    names["dir"] = directory
    changed = [_fill(line, names) for line in tpl.CODE[kind][language]]
    # Like GitHub's `diff_hunk`: it ends at the line the comment is on.
    lines = changed if kind == "docs" else [" " + _fill(lang.header, names), *changed]
    start = rng.randint(3, 240)
    old = sum(1 for line in lines if not line.startswith("+"))
    new = sum(1 for line in lines if not line.startswith("-"))
    hunk = "\n".join([f"@@ -{start},{old} +{start},{new} @@", *lines])
    return Scene(language, kind, names, f"{directory}/{stem}.{lang.ext}", hunk)


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p.strip())


def _good(rng: random.Random, scene: Scene) -> tuple[str, str]:
    tone = rng.choice(("kind", "neutral"))
    kind = scene.kind
    problem = rng.choice(tpl.PROBLEMS[kind])
    reason = rng.choice(tpl.REASONS[kind])
    if rng.random() < 0.8:
        problem = problem.rstrip(".") + ", " + reason
    body = _join(
        rng.choice(tpl.OPENERS[tone]),
        problem,
        rng.choice(tpl.FIXES[kind]),
        rng.choice(tpl.CLOSERS[tone]),
    )
    if rng.random() < 0.35:  # the careful reviewer's paragraph
        body += "\n\n" + rng.choice(tpl.ELABORATIONS)
        if scene.language == "python":
            body += f"\n\n```suggestion\n{tpl.CODE_HINTS[kind]}\n```"
    return _fill(body, scene.names), tone


def _moderate(rng: random.Random, scene: Scene) -> tuple[str, str]:
    tone = rng.choice(("kind", "neutral", "curt"))
    kind = scene.kind
    shape = rng.randrange(4)
    if shape == 0:  # names the problem, says neither why nor what to do
        body = rng.choice(tpl.PROBLEMS[kind])
    elif shape == 1:  # a request without the reason
        body = rng.choice(tpl.FIXES[kind])
    elif shape == 2:  # a vague worry with a reason attached
        body = _join(rng.choice(tpl.VAGUE[kind]), rng.choice(tpl.REASONS[kind]).capitalize())
    else:  # vague, wrapped in the tone
        body = _join(rng.choice(tpl.OPENERS[tone]), rng.choice(tpl.VAGUE[kind]))
    return _fill(_join(body, rng.choice(tpl.CLOSERS[tone]) if shape else ""), scene.names), tone


def _poor(rng: random.Random, scene: Scene) -> tuple[str, str]:
    shape = rng.randrange(3)
    if shape == 0:
        return rng.choice(tpl.GENERIC), rng.choice(("neutral", "curt"))
    if shape == 1:
        opener = rng.choice(tpl.OPENERS["hostile"]) if rng.random() < 0.4 else ""
        return _fill(_join(opener, rng.choice(tpl.HOSTILE)), scene.names), "hostile"
    return _fill(rng.choice(tpl.RAMBLING), scene.names), "neutral"


_WRITERS = {"good": _good, "moderate": _moderate, "poor": _poor}


def _row(rng: random.Random, quality: str) -> dict[str, Any]:
    scene = _scene(rng)
    body, tone = _WRITERS[quality](rng, scene)
    with_hunk = rng.random() < 0.75
    path = scene.path if with_hunk or rng.random() < 0.5 else None
    return {
        "body": body,
        "diff_hunk": scene.hunk if with_hunk else None,
        "path": path,
        "language": scene.language,
        "kind": scene.kind,
        "tone": tone,
        "quality": quality,
    }


def label(row: dict[str, Any]) -> dict[str, Any]:
    """Set the row's targets and SFT completion from the rubric's score of it."""
    score = score_comment(Comment(row["body"], row["diff_hunk"], row["path"]))
    row["target_score"] = score.score
    row["target_dimensions"] = dict(score.dimensions)
    row["completion"] = render(score)
    row["label_source"] = "rubric"
    return row


def synthesize(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` distinct labelled rows, the same for the same seed.

    >>> rows = synthesize(6, seed=1)
    >>> [r["quality"] for r in rows], rows == synthesize(6, seed=1)
    (['good', 'moderate', 'poor', 'good', 'moderate', 'poor'], True)
    """
    if n < 1:
        raise InputError(f"the number of examples must be at least 1, got {n}")
    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    rows = []
    for i in range(n):
        quality = QUALITIES[i % len(QUALITIES)]
        for _ in range(MAX_TRIES):
            row = _row(rng, quality)
            key = (row["body"], row["diff_hunk"] or "")
            if key not in seen:
                break
        else:
            raise InputError(f"could not make {n} distinct rows; ask for fewer")
        seen.add(key)
        rows.append({"id": f"syn-{seed}-{i:05d}", **label(row)})
    return rows


def write_jsonl(rows: Sequence[dict[str, Any]], output: str | Path) -> Path:
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def summary(rows: Sequence[dict[str, Any]]) -> str:
    """One line per quality: how many rows and their mean target score."""
    counts = Counter(r["quality"] for r in rows)
    lines = []
    for quality in QUALITIES:
        scores = [r["target_score"] for r in rows if r["quality"] == quality]
        mean = sum(scores) / len(scores) if scores else float("nan")
        lines.append(f"  {quality:<8} {counts[quality]:>6} rows, mean target score {mean:5.1f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python training/data_synthesis.py",
        description="Write synthetic review comments with rubric labels as JSONL.",
    )
    parser.add_argument("--num-examples", type=int, default=100, help="rows to write (100)")
    parser.add_argument("--output", default="./data/training_data.jsonl", help="JSONL to write")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same rows (0)")
    parser.add_argument(
        "--judge-config",
        metavar="FILE",
        help="relabel the scores with an Oumi judge config (judge_params + inference_config)",
    )
    args = parser.parse_args(argv)
    disable_telemetry()
    try:
        rows = synthesize(args.num_examples, args.seed)
        if args.judge_config:
            from review_forge.training.judge_relabel import relabel_with_judge

            stats = relabel_with_judge(rows, args.judge_config)
            print(
                f"judge relabelled {stats['relabelled']} rows; kept the rubric label for "
                f"{stats['unparseable']} whose judgement could not be read"
            )
        path = write_jsonl(rows, args.output)
    except ReviewForgeError as exc:
        print(f"data_synthesis: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"wrote {len(rows)} rows to {path}\n{summary(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
