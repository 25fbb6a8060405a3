"""`review-lint`: score review drafts before they are posted (a pre-commit hook).

A draft file holds one or more review comments separated by a line of ``---``. Each comment may
start with a ``path:line`` line naming the code it is about::

    src/app.py:42
    `parse_date("2024-02-30")` returns March 1st; raise ValueError instead.
    ---
    Nit: `tmp` could be `retries`.

>>> [(s.line, s.target, s.body) for s in split_draft("src/app.py:42\\nRaise.\\n---\\n\\nNit.")]
[(1, 'src/app.py:42', 'Raise.'), (5, None, 'Nit.')]

Each comment is scored like on GitHub; the hook exits 1 when any comment scores below the
threshold, when a draft or a section is empty, or when a file cannot be read as text. It never
changes a file. Only the rubric's light imports are on this path: the model scorer (torch) is
imported only when `--scorer model` (or `scorer: model` in `.review-forge.yml`) asks for it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from review_forge.bot.errors import InputError, ReviewForgeError
from review_forge.bot.scoring.score import Comment, Score
from review_forge.bot.scoring.scorer import make_scorer
from review_forge.bot.settings import CONFIG_FILE, Config, load_config

DEFAULT_MIN_SCORE = 60
# The two worst dimensions are what to fix first; listing all four is noise in a terminal.
WEAKEST_SHOWN = 2

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")  # a Markdown code fence may hold a `---` line
_TARGET_RE = re.compile(r"^([^\s\x00-\x1f\x7f-\x9f]+):(\d+)$")  # src/app.py:42
# Drafts, file names and model notes are text we did not write: no terminal escapes from them.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Section:
    """One review comment of a draft."""

    line: int  # 1-based line of the draft where the comment starts
    target: str | None  # the `path:line` the comment is about, when the section names one
    body: str

    @property
    def path(self) -> str | None:
        return self.target.rsplit(":", 1)[0] if self.target else None


def split_draft(text: str) -> list[Section]:
    """The comments of a draft, in order; an empty section is kept (with an empty body)."""
    sections: list[Section] = []
    start, lines, fence = 1, [], ""
    for number, line in enumerate(text.splitlines(), start=1):
        marker = _FENCE_RE.match(line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)
        if not fence and line.strip() == "---":
            sections.append(_section(start, lines))
            start, lines = number + 1, []
        else:
            lines.append(line)
    sections.append(_section(start, lines))
    return sections


def _section(start: int, lines: list[str]) -> Section:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return Section(start, None, "")
    first = filled[0]
    target = _TARGET_RE.match(lines[first].strip())
    body_lines = lines[first + 1 :] if target else lines[first:]
    return Section(
        start + first, target.group(0) if target else None, "\n".join(body_lines).strip()
    )


def read_draft(path: str) -> str:
    """The text of a draft; InputError when it is not readable UTF-8 text."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror or exc})") from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(f"binary file (NUL byte at offset {nul}), not a draft")
    try:
        return data.decode("utf-8-sig")  # drops the BOM some Windows editors write
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8"
        ) from None


def weakest(score: Score, min_score: int) -> list[str]:
    """The dimensions to work on: those below the threshold (worst first), else the lowest one."""
    ranked = sorted(score.dimensions, key=lambda d: score.dimensions[d])
    below = [d for d in ranked if score.dimensions[d] < min_score]
    return below[:WEAKEST_SHOWN] or ranked[:1]


def format_comment(
    name: str, section: Section, score: Score, min_score: int, color: bool = False
) -> list[str]:
    """The terminal lines for one scored comment: `file:line:` first, so editors can jump."""
    passed = score.score >= min_score
    verdict = (
        _paint("ok", "32", color) if passed else _paint(f"FAIL (min {min_score})", "31", color)
    )
    about = f" on {section.target}" if section.target else ""
    about += " (rubric fallback)" if score.fallback_reason else ""  # the reason is in the summary
    lines = [f"{name}:{section.line}: {score.score}/100 {verdict}{about}"]
    for dim in weakest(score, min_score):
        note = _printable(score.notes.get(dim, ""))
        lines.append(f"    {dim} {score.dimensions[dim]}" + (f": {note}" if note else ""))
    lines.extend(f"    - {_printable(rec)}" for rec in score.recommendations)
    return lines


def use_color(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (no-color.org) or TERM=dumb."""
    return stream.isatty() and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


def _printable(text: str) -> str:
    return _CONTROL_RE.sub("?", text)


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def hook_config(overrides: Mapping[str, str | int | None], config_path: str | None) -> Config:
    """The configuration, read from `.review-forge.yml` where the hook runs (the repo root).

    The hook's default scorer is the rubric: "auto" with the Action's adapter setting (often
    "data-branch", which needs GitHub) would make every commit load a model.
    """
    if config_path is None and Path(CONFIG_FILE).is_file():
        config_path = CONFIG_FILE
    config = load_config(overrides, config_path=config_path)
    if config.scorer == "auto":
        config = dataclasses.replace(config, scorer="rubric")
    return config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="review-lint",
        description="Score review drafts (comments separated by `---`, each optionally headed by "
        "`path:line`) and fail when one scores below the threshold.",
    )
    parser.add_argument("filenames", nargs="*", help="draft files to lint")
    parser.add_argument(
        "--min-score",
        type=int,
        help=f"lowest passing score (default: min_score in {CONFIG_FILE}, "
        f"else {DEFAULT_MIN_SCORE})",
    )
    parser.add_argument(
        "--scorer",
        choices=("rubric", "model"),
        help=f"rubric (default) or model (needs the model extra; base_model and adapter from "
        f"{CONFIG_FILE} or the flags below)",
    )
    parser.add_argument("--base-model", help="for --scorer model: a local folder or hub id")
    parser.add_argument("--adapter", help="for --scorer model: the LoRA adapter folder")
    parser.add_argument("--config", help=f"settings file (default: ./{CONFIG_FILE} if present)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    drafts: list[tuple[str, list[Section] | str]] = []
    for name in args.filenames:
        try:
            drafts.append((name, split_draft(read_draft(name))))
        except InputError as exc:  # reported by name below, and the run fails
            drafts.append((name, str(exc)))
    sections = [s for _, d in drafts if isinstance(d, list) for s in d if s.body]
    try:
        settings = ("scorer", "min_score", "base_model", "adapter")
        config = hook_config({k: getattr(args, k) for k in settings}, args.config)
        scores = _score(config, sections)
    except ReviewForgeError as exc:
        print(f"review-lint: error: {exc}", file=sys.stderr)
        return exc.exit_code
    min_score = DEFAULT_MIN_SCORE if config.min_score is None else config.min_score
    return _report(drafts, iter(scores), min_score)


def _score(config: Config, sections: list[Section]) -> list[Score]:
    if not sections:
        return []  # nothing to score: do not load a model for it
    comments = [Comment(s.body, path=s.path) for s in sections]
    return make_scorer(config).score_many(comments)


def _report(
    drafts: list[tuple[str, list[Section] | str]], scores: Iterator[Score], min_score: int
) -> int:
    """Print every finding; 1 when any comment is below `min_score`, empty or unreadable.

    `scores` holds one score per non-empty section, in the drafts' order.
    """
    color = use_color(sys.stdout, os.environ)
    scored = below = empty = skipped = 0
    fallbacks: Counter[str] = Counter()
    for path, draft in drafts:
        name = _printable(path)
        if isinstance(draft, str):
            print(f"{name}: skipped: {draft}")
            skipped += 1
            continue
        for section in draft:
            if not section.body:
                empty += 1
                why = _empty(section, draft)
                print(f"{name}:{section.line}: {_paint('empty', '31', color)}: {why}")
                continue
            score = next(scores)
            scored += 1
            below += score.score < min_score
            fallbacks.update([score.fallback_reason] if score.fallback_reason else [])
            print("\n".join(format_comment(name, section, score, min_score, color)))
    for reason, count in fallbacks.items():  # asked for the model, got the rubric: say why
        print(f"review-lint: the rubric scored {count} comment(s): {_printable(reason)}")
    if drafts:
        print(
            f"review-lint: {scored} comment(s) scored, {below} below {min_score}, "
            f"{empty} empty, {skipped} file(s) skipped"
        )
    return 1 if below or empty or skipped else 0


def _empty(section: Section, draft: list[Section]) -> str:
    if section.target:
        return f"no comment text under {section.target}"
    if len(draft) == 1:
        return "the draft has no comment; write one or remove the file"
    if section is draft[0]:
        where = "before the first `---`"
    else:
        where = "after the last `---`" if section is draft[-1] else "between two `---`"
    return f"nothing {where}; write the comment or remove the extra `---`"


if __name__ == "__main__":
    raise SystemExit(main())
