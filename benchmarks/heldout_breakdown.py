"""Where a candidate wins and loses on the gate's yardstick, per kind of comment.

    python -m benchmarks.heldout_breakdown WORK/seed-3/round-4 --base WORK/base

A loop round's folder (`benchmarks/loop_simulation.py --work WORK` keeps `heldout.jsonl` and
`candidate/` for each round) holds the held-out replies the gate judged and the candidate it
judged. Against the simulated team (`--people FILE`, whose judgement the real gate never sees),
per kind of comment (`simulation.people.group`): the replies with a reaction, the surprise at
their reactions (the gate's yardstick, nats a reply) under the rubric and under the candidate,
the candidate's total gain, the mean |score - team| of each, and the candidate's mean move from
the rubric; then the replies that cost the candidate most. A candidate can be closer to the team
on most comments and still tie on the yardstick when a few large moves land on replies that many
people approved.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

DEFAULT_PEOPLE = "benchmarks/teams/default.py"


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

    kinds: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0.0, 0.0])
    costs = []
    for row, score in zip(rows, candidate, strict=True):
        rubric, team_score = score_comment(row.comment).score, team.judgement(row.comment)
        loss = reaction_surprise(score, row) - reaction_surprise(rubric, row)
        tally = kinds[group(row.comment.body)]
        tally[0] += 1
        tally[1] += reaction_surprise(rubric, row)
        tally[2] += reaction_surprise(score, row)
        tally[3] += abs(rubric - team_score)
        tally[4] += abs(score - team_score)
        tally[5] += score - rubric
        costs.append((loss, row, rubric, score, team_score))

    print(f"{len(rows)} held-out replies with a reaction; team {team.name}")
    print(f"{'kind':<16}{'replies':>8}{'surprise: rubric':>18}{'candidate':>10}{'gain':>8}"
          f"{'|score - team|: rubric':>24}{'candidate':>10}{'move':>7}")  # fmt: skip
    for kind, (n, s_rubric, s_cand, e_rubric, e_cand, move) in sorted(kinds.items()):
        print(f"{kind:<16}{n:>8.0f}{s_rubric / n:>18.3f}{s_cand / n:>10.3f}"
              f"{s_rubric - s_cand:>+8.1f}{e_rubric / n:>24.1f}{e_cand / n:>10.1f}"
              f"{move / n:>+7.1f}")  # fmt: skip
    print(f"\nthe {args.worst} replies that cost the candidate most (nats):")
    for loss, row, rubric, score, team_score in sorted(costs, key=lambda c: -c[0])[: args.worst]:
        votes = f"{row.up}x👍 {row.down}x👎"
        print(f"  {loss:+5.2f}  posted {row.posted:>3} {votes}  rubric {rubric:>3}  candidate "
              f"{score:>3}  team {team_score:>3}  {row.comment.body[:60]!r}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
