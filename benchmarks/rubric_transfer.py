"""Does a rubric rule carry over to data sets it was not chosen on? Leave one data set out.

    python -m benchmarks.rubric_transfer [DATA_DIR] [--json OUT]

DATA_DIR (default `../shared/eval/data`, relative to the repository root) holds the shared
evaluator's labelled data sets; nothing from it is copied into the repository. For every
candidate rule of the rubric (`rubric.CANDIDATE_RULES`) and every data set, the rule's effect is
the mean change of that data set's metrics when the rule is switched off from the full set.

Then, for each data set D in turn, the rules are chosen on the *other* data sets only (a rule is
chosen when its effects there add up to more than `HELPS` and lower none of them by more than
`HARMS`), D is scored with those rules, and D's figures are reported: what the rubric scores on a
data set it was not tuned on. A rule is kept (`rubric.RULES`) only when its mean effect on the
data sets left out, over the folds that chose it, is above `HELPS`: a rule that fits one data
set's rows is chosen only in folds that hold that set out, and there it does nothing. Metrics are
the shared evaluator's, with the same word-count baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from review_forge.bot.scoring.rubric import CANDIDATE_RULES, RULES, score_comment
from review_forge.bot.scoring.score import Comment

# (data set, field scored, label, value that counts as good or None for Spearman), as the
# shared evaluator measures them.
METRICS = (
    ("opendev", "score", "is_useful", 1),
    ("opendev", "score", "manual_rating", None),
    ("opendev", "actionability", "is_useful", 1),
    ("toxicr", "constructiveness", "is_toxic", 0),
    ("crscore", "score", "relevance", None),
    ("crscore", "completeness", "comprehensiveness", None),
    ("crscore", "clarity", "conciseness", None),
    ("clearcrc", "score", "relevance", 1),
    ("clearcrc", "completeness", "informativeness", 1),
    ("clearcrc", "clarity", "expression", 1),
    ("ferreira", "constructiveness", "uncivil", 0),
)
Rows = dict[str, list[dict[str, Any]]]
HELPS = 0.0005  # a mean metric change smaller than this is noise (a few rows of a thousand)
HARMS = -0.005


def ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def auc(scores: Sequence[float], good: Sequence[int]) -> float:
    """Probability that a good row outscores a bad one (ties count half).

    >>> auc([1, 2, 3, 4], [0, 0, 1, 1]), auc([1, 1], [0, 1])
    (1.0, 0.5)
    """
    r = ranks(scores)
    n1 = sum(good)
    n0 = len(good) - n1
    return (sum(ri for ri, g in zip(r, good, strict=True) if g) - n1 * (n1 + 1) / 2) / (n1 * n0)


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Rank correlation. >>> round(spearman([1, 2, 3], [1, 3, 2]), 2)
    0.5
    """
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb)


def measure(rows: Rows, values: dict[str, list[dict[str, int]]]) -> dict[tuple[str, ...], float]:
    """Each metric of METRICS whose data set is in `rows`, from per-row `values`."""
    out: dict[tuple[str, ...], float] = {}
    for name, field, label, good in METRICS:
        if name not in rows:
            continue
        s = [v[field] for v in values[name]]
        labels = [r["labels"][label] for r in rows[name]]
        key = (name, field, label)
        out[key] = (
            auc(s, [int(x == good) for x in labels]) if good is not None else spearman(s, labels)
        )
    return out


def score_rows(rows: Rows, rules: Collection[str]) -> dict[str, list[dict[str, int]]]:
    result = {}
    for name, data in rows.items():
        scores = [score_comment(Comment(r["body"], r.get("diff_hunk")), rules) for r in data]
        result[name] = [{"score": s.score, **s.dimensions} for s in scores]
    return result


def word_counts(rows: Rows) -> dict[str, list[dict[str, int]]]:
    fields = ("score", "clarity", "completeness", "actionability", "constructiveness")
    return {
        name: [dict.fromkeys(fields, len(r["body"].split())) for r in data]
        for name, data in rows.items()
    }


def per_set(metrics: dict[tuple[str, ...], float]) -> dict[str, float]:
    """The mean of each data set's metrics."""
    sets: dict[str, list[float]] = {}
    for (name, *_), value in metrics.items():
        sets.setdefault(name, []).append(value)
    return {name: statistics.fmean(values) for name, values in sets.items()}


def transfer(rows: Rows) -> dict[str, Any]:
    """Every rule's effect per data set, the rules each fold chooses, and the held-out figures."""
    full = frozenset(CANDIDATE_RULES)
    base = per_set(measure(rows, score_rows(rows, full)))
    effect = {
        rule: {
            name: base[name] - value
            for name, value in per_set(measure(rows, score_rows(rows, full - {rule}))).items()
        }
        for rule in CANDIDATE_RULES
    }
    folds: dict[str, list[str]] = {}
    held_out: dict[tuple[str, ...], float] = {}
    for name in rows:
        others = [n for n in rows if n != name]
        chosen = [
            rule
            for rule in CANDIDATE_RULES
            if sum(effect[rule][n] for n in others) > HELPS
            and min(effect[rule][n] for n in others) > HARMS
        ]
        folds[name] = chosen
        held_out.update(measure({name: rows[name]}, score_rows({name: rows[name]}, chosen)))
    verdict = {}
    for rule in CANDIDATE_RULES:
        outside = [effect[rule][name] for name in rows if rule in folds[name]]
        verdict[rule] = {
            "effect": effect[rule],
            "chosen_in": [name for name in rows if rule in folds[name]],
            "held_out_effect": statistics.fmean(outside) if outside else 0.0,
            "keep": bool(outside) and statistics.fmean(outside) > HELPS,
        }
    return {
        "rules": verdict,
        "folds": folds,
        "development": measure(rows, score_rows(rows, RULES)),
        "held_out": held_out,
        "word_count": measure(rows, word_counts(rows)),
    }


def report(result: dict[str, Any]) -> str:
    names = " ".join(f"{n:>9s}" for n in result["folds"])
    lines = [f"rule            {names}  held-out  keep"]
    for rule, v in result["rules"].items():
        effects = " ".join(f"{v['effect'][n]:+9.4f}" for n in result["folds"])
        lines.append(f"{rule:15s} {effects}  {v['held_out_effect']:+.4f}  {v['keep']}")
    lines += ["", f"{'metric':58s} development  left out  word count"]
    for key, value in result["development"].items():
        name = " ".join(key)
        lines.append(
            f"{name:58s} {value:11.3f} {result['held_out'][key]:9.3f} "
            f"{result['word_count'][key]:11.3f}"
        )
    return "\n".join(lines)


def load(data: Path) -> Rows:
    names = sorted({name for name, *_ in METRICS})
    files = {name: data / f"{name}.jsonl" for name in names}
    found = {name: path for name, path in files.items() if path.is_file()}
    if len(found) < 2:
        raise SystemExit(f"rubric_transfer: need at least two data sets of {names} in {data}")
    return {
        name: [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        for name, path in found.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=root / "../shared/eval/data")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    result = transfer(load(args.data))
    print(report(result))
    if args.json:
        flat = {k: {" ".join(m): v for m, v in result[k].items()} for k in ("development",
                "held_out", "word_count")}  # fmt: skip
        args.json.write_text(json.dumps({**result, **flat}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
