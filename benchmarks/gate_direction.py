"""Does the gate promote a candidate that moved the wrong way? Rule 3 alone against rules 3 and 4.

    python -m benchmarks.gate_direction                       # 100 draws of 75 and 200 replies
    python -m benchmarks.gate_direction --people benchmarks/teams/critics.py

A 👎 is as likely wherever a score lies beyond the agreement margin, so where the rubric is far
from the people, a candidate that moves away from it the wrong way also lowers the surprise at
the reactions (the gate's yardstick, `bot/gate.py`). Rule 4 asks that a candidate also beat its
mirror image (its departures made the other way). Without any language model, per draw:

1. held-out replies: the loop experiment's review comments (`simulation/people.py`), each posted
   at the rubric's score moved by `explore`'s offset (10 points) and reacted to by the team
   (`--people FILE`), only replies with a reaction kept, as the retrain's held-out file does;
2. candidate scorers, each the rubric's score moved per kind of comment (`people.group`) by a
   fixed shift plus Gaussian scatter: the team's own judgement, shifts the wrong way, and shifts
   like the loop's candidates;
3. `gate.decide` against the rubric, and whether it would have passed on rule 3 alone (the
   bootstrap's lower bound of the gain over the rubric above zero).

Printed per candidate: its mean absolute error against the team, and in how many draws rule 3
alone and the whole gate let it through.
"""

from __future__ import annotations

import argparse
import random

from benchmarks.simulation.people import group, load_team, reaction, review_comments

DEFAULT_PEOPLE = "benchmarks/teams/default.py"
# name: (shift per kind, points of scatter); None: the team's own judgement.
CANDIDATES: dict[str, tuple[dict[str, float], float] | None] = {
    "the team's judgement": None,
    "like the loop's week 4: nits -11, tests +4": ({"bare nit": -11, "tests/security": 4}, 2.0),
    "halfway: nits -5, tests +2": ({"bare nit": -5, "tests/security": 2}, 2.0),
    "wrong way: nits +20": ({"bare nit": 20}, 0.0),
    "wrong way: tests -20": ({"tests/security": -20}, 0.0),
    "mixed: nits +7, tests +1.6, other +1.4": (
        {"bare nit": 7, "tests/security": 1.6, "other": 1.4}, 3.0,
    ),
    "the rubric with scatter": ({}, 6.0),
}  # fmt: skip


def draw(team, replies: int, seed: int) -> list[tuple[object, int, int, str]]:
    """`replies` reacted held-out rows: (HeldOutRow, rubric score, team score, kind)."""
    from review_forge.bot.feedback.explore import offset
    from review_forge.bot.gate import HeldOutRow
    from review_forge.bot.scoring.rubric import score_comment
    from review_forge.bot.scoring.score import Comment

    rng, out, batch = random.Random(seed), [], 0
    while len(out) < replies:
        for index, row in enumerate(review_comments(replies, seed=seed * 1000 + batch)):
            number = batch * replies + index  # the reply's id, which `explore` hashes
            comment = Comment(row["body"], row["diff_hunk"], row["path"])
            rubric, judged = score_comment(comment).score, team.judgement(comment)
            posted = max(0, min(100, rubric + offset(seed * 100_000 + number, 10)))
            votes = [reaction(p, posted, judged, rng) for p in team.people]
            up, down = votes.count("+1"), votes.count("-1")
            if up + down and len(out) < replies:
                held = HeldOutRow(str(number), comment, posted=posted, up=up, down=down)
                out.append((held, rubric, judged, group(row["body"])))
        batch += 1
    return out


def scores(rows, candidate, rng: random.Random) -> list[int]:
    if candidate is None:
        return [judged for _, _, judged, _ in rows]
    shift, scatter = candidate
    return [
        max(0, min(100, round(rubric + shift.get(kind, 0) + rng.gauss(0, scatter))))
        for _, rubric, _, kind in rows
    ]


def main(argv: list[str] | None = None) -> int:
    from review_forge.bot.gate import decide, measure
    from review_forge.bot.scoring.score import DIMENSIONS, Score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default=DEFAULT_PEOPLE, help="the team's Python file")
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--replies", type=int, nargs="+", default=[75, 200])
    args = parser.parse_args(argv)
    team = load_team(args.people)

    def as_scores(values: list[int]) -> list[Score]:
        return [Score(v, dict.fromkeys(DIMENSIONS, v)) for v in values]

    print(f"team {team.name}, {args.draws} draws; passed: rule 3 alone / the whole gate")
    for replies in args.replies:
        tally = {name: [0.0, 0, 0] for name in CANDIDATES}
        rubric_error = 0.0
        for seed in range(args.draws):
            rows = draw(team, replies, seed)
            rubric_error += sum(abs(r - j) for _, r, j, _ in rows) / len(rows) / args.draws
            held = [r for r, *_ in rows]
            rubric = measure("rubric", held, as_scores([r for _, r, _, _ in rows]))
            for name, candidate in CANDIDATES.items():
                values = scores(rows, candidate, random.Random(seed))
                cand = measure(name, held, as_scores(values))
                decision = decide(cand, rubric)
                error = sum(abs(v - j) for v, (_, _, j, _) in zip(values, rows, strict=True))
                tally[name][0] += error / len(rows) / args.draws
                tally[name][1] += decision.gains["rubric"]["lower"] > 0
                tally[name][2] += decision.passed
        print(f"\n{replies} held-out replies (the rubric's error vs the team: {rubric_error:.1f})")
        for name, (error, rule3, passed) in tally.items():
            print(f"  {name:<42} error {error:5.1f}   passed {rule3:3d} / {passed:3d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
