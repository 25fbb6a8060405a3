"""Where a candidate wins and loses on the gate's yardstick, per kind of comment.

    python -m benchmarks.heldout_breakdown WORK/seed-3/round-4 --base WORK/base

A loop round's folder (`benchmarks/loop_simulation.py --work WORK` keeps `heldout.jsonl` and
`candidate/` for each round) holds the held-out replies the gate judged and the candidate it
judged. Against the simulated team (`--people FILE`, whose judgement the real gate never sees),
per kind of comment (`simulation.people.group`): the replies with a reaction, the surprise at
their reactions (the gate's yardstick, nats a reply) under the rubric and under the candidate,
the candidate's total gain, the mean |score - team| of each, how many replies the candidate
moved from the rubric's score and its mean move; then the replies that cost the candidate most.
A candidate can be closer to the team on most comments and still tie on the yardstick when a few
large moves land on replies that many people approved.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NamedTuple

DEFAULT_PEOPLE = "benchmarks/teams/default.py"


class Cell(NamedTuple):
    """One held-out reply: its kind, the reply, and the rubric's, candidate's and team's scores."""

    kind: str
    row: Any
    rubric: int
    score: int
    team: int


def main(argv: list[str] | None = None) -> int:
    from benchmarks.simulation.people import group, load_team
    from review_forge.bot.gate import reacted, reaction_surprise
    from review_forge.bot.heldout import load_heldout
    from review_forge.bot.scoring.rubric import score_comment
    from review_forge.bot.scoring.scorer import make_scorer
    from review_forge.bot.settings import load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("round_dir", type=Path, help="a loop round's folder")
    parser.add_argument("--base", required=True, help="the loop's base model folder")
    parser.add_argument("--people", default=DEFAULT_PEOPLE, help="the team's Python file")
    parser.add_argument("--worst", type=int, default=8, help="costliest replies to list")
    args = parser.parse_args(argv)

    team = load_team(args.people)
    rows = [r for r in load_heldout(args.round_dir / "heldout.jsonl") if reacted(r)]
    overrides = {"scorer": "model", "adapter": str(args.round_dir / "candidate")}
    scorer = make_scorer(load_config(overrides | {"base_model": args.base}))
    candidate = [s.score for s in scorer.score_many([r.comment for r in rows])]

    cells = []
    for row, score in zip(rows, candidate, strict=True):
        rubric = score_comment(row.comment).score
        cells.append(Cell(group(row.comment.body), row, rubric, score, team.judgement(row.comment)))

    print(f"{len(rows)} held-out replies with a reaction; team {team.name}")
    print(f"{'kind':<16}{'replies':>8}{'moved':>6}{'surprise: rubric':>18}{'candidate':>10}"
          f"{'gain':>8}{'|score - team|: rubric':>24}{'candidate':>10}{'move':>7}")  # fmt: skip
    for kind in [*sorted({c.kind for c in cells}), "all"]:
        mine = [c for c in cells if kind in (c.kind, "all")]
        n = len(mine)
        s_rubric = sum(reaction_surprise(c.rubric, c.row) for c in mine)
        s_cand = sum(reaction_surprise(c.score, c.row) for c in mine)
        e_rubric = sum(abs(c.rubric - c.team) for c in mine) / n
        e_cand = sum(abs(c.score - c.team) for c in mine) / n
        moved = sum(c.score != c.rubric for c in mine)
        move = sum(c.score - c.rubric for c in mine) / n
        print(f"{kind:<16}{n:>8}{moved:>6}{s_rubric / n:>18.3f}{s_cand / n:>10.3f}"
              f"{s_rubric - s_cand:>+8.1f}{e_rubric:>24.2f}{e_cand:>10.2f}"
              f"{move:>+7.1f}")  # fmt: skip
    print(f"\nthe {args.worst} replies that cost the candidate most (nats):")
    costs = [
        (reaction_surprise(c.score, c.row) - reaction_surprise(c.rubric, c.row), c) for c in cells
    ]
    for loss, c in sorted(costs, key=lambda pair: -pair[0])[: args.worst]:
        votes = f"{c.row.up}x👍 {c.row.down}x👎"
        print(f"  {loss:+5.2f}  posted {c.row.posted:>3} {votes}  rubric {c.rubric:>3}  candidate "
              f"{c.score:>3}  team {c.team:>3}  {c.row.comment.body[:60]!r}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
