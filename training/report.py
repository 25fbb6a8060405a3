"""The retrain's report: the metrics table, the reward chart and the verdict, as Markdown.

The same text is the job summary and `reports/<date>-<run-id>.md` on the data branch. Nothing in
it comes from a review comment; names read from the data branch (the base model in a manifest)
go through `bot.reply.inline`, like everything the bot posts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from review_forge.bot.github.reply import inline

MAX_POINTS = 60  # a chart with more points than this shows every n-th step


def chart(steps: Sequence[int], values: Sequence[float], title: str) -> str:
    """A Mermaid `xychart-beta` line chart of `values` over `steps` (GitHub renders it).

    >>> print(chart([1, 2], [-1.125, 0.5], "Mean reward per GRPO step"))
    ```mermaid
    xychart-beta
        title "Mean reward per GRPO step"
        x-axis "training step" [1, 2]
        y-axis "mean reward"
        line [-1.125, 0.5]
    ```
    """
    every = max(1, math.ceil((len(steps) - 1) / (MAX_POINTS - 1)))  # with the last: <= MAX
    keep = sorted(set(range(0, len(steps), every)) | {len(steps) - 1})
    xs = ", ".join(str(steps[i]) for i in keep)
    ys = ", ".join(f"{values[i]:.4g}" for i in keep)
    return "\n".join([
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "training step" [{xs}]',
        '    y-axis "mean reward"',
        f"    line [{ys}]",
        "```",
    ])  # fmt: skip


def _cell(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if percent else f"{value:.2f}"


def metrics_table(evaluation: Mapping[str, Any], own_mae: Mapping[str, Any] | None) -> str:
    """The held-out metrics of the candidate and the scorer it was measured against."""
    a, b = evaluation["candidate"], evaluation["current"]
    rows = [
        ("held-out rows", str(a["rows"]), str(b["rows"])),
        ("format validity (answers that parsed)", _cell(a["format_validity"], True),
         _cell(b["format_validity"], True)),
        (f"MAE vs target scores (n={a['targets']}; fallbacks scored by the rubric)",
         _cell(a["mae"]), _cell(b["mae"])),
    ]  # fmt: skip
    if own_mae is not None:
        rows.append(("MAE of the model's own answers", _cell(own_mae["candidate"]),
                     _cell(own_mae["current"])))  # fmt: skip
    rows += [
        ("dimension MAE", _cell(a["dimension_mae"]), _cell(b["dimension_mae"])),
        (f"agreement with 👍/👎 (n={a['feedback']}, ±{evaluation['margin']:g} points)",
         _cell(a["agreement"], True), _cell(b["agreement"], True)),
    ]  # fmt: skip
    lines = [
        f"| metric | candidate: {inline(a['scorer'], 60)} | {inline(b['scorer'], 60)} |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {x} | {y} |" for name, x, y in rows]
    return "\n".join(lines)


def verdict(report: Mapping[str, Any]) -> list[str]:
    """Why the candidate was or was not promoted, in a few lines."""
    gate, branch = report["gate"], inline(report["data_branch"], 100)
    revision = report["candidate"]["revision"]
    if not gate["passed"]:
        lines = [f"**Not promoted.** {gate['rule']}; the candidate `{revision}` is worse:", ""]
        lines += [f"- {reason}" for reason in gate["reasons"]]
        return [*lines, "", f"`adapter/` on the data branch {branch} is unchanged."]
    where = (
        "Dry run: nothing was committed."
        if report["dry_run"]
        else f"`adapter/` on the data branch {branch} now holds revision `{revision}`; the next "
        "Action run with `adapter: data-branch` scores with it."
    )
    return [f"**Promoted.** {gate['rule']}; the candidate `{revision}` is not worse. {where}"]


def render(report: Mapping[str, Any]) -> str:
    """The whole report as Markdown."""
    gate = report["gate"]
    title = "adapter promoted" if gate["passed"] else "candidate not promoted"
    if report["dry_run"]:
        title += " (dry run)"
    lines = [f"## review-forge retrain: {title}", "", *verdict(report), ""]
    lines += ["### Held-out metrics", "", metrics_table(report["evaluation"], gate["own_mae"]), ""]
    curve = report["candidate"].get("reward_curve") or {}
    lines += ["### Mean reward over training steps", ""]
    if curve.get("steps"):
        lines += [chart(curve["steps"], curve["values"], "Mean reward per GRPO step"), ""]
    else:
        lines += ["No training curve: the candidate was given, not trained in this run.", ""]
    counts = report["data"]
    base = inline(report["base_model"], 120)
    lines += [
        "### Data",
        "",
        "| feedback snapshots | replies (train / held out) | with 👍/👎 majority (train / held "
        "out) | synthetic rows (train / held out) |",
        "|---:|---:|---:|---:|",
        f"| {counts['feedback_snapshots']} | {counts['train_replies']} / "
        f"{counts['heldout_replies']} | {counts['train_replies_with_votes']} / "
        f"{counts['heldout_replies_with_votes']} | {counts['synthetic_train']} / "
        f"{counts['synthetic_heldout']} |",
        "",
        f"Base model {base}; data branch commit `{report['data_commit'] or 'none yet'}`"
        + (" (no feedback yet: bootstrapped from synthetic rows)." if report["bootstrap"] else "."),
        "",
    ]
    return "\n".join(lines)
