"""Can pooled 👍/👎 say which way people lean? The retrain's targets per kind of comment.

    python -m benchmarks.judgement_direction                  # default team, offsets 0 and 5
    python -m benchmarks.judgement_direction --people benchmarks/teams/critics.py --offsets 0 10

The retrain aims the candidate at the judgement model's targets (`training/judgement.py`,
`judged_rows`), and the gate measures candidates against the same model fitted on the held-out
side. Both need the direction of the people's departure from the posted score, and a 👎 alone
does not carry it. This measures, without any language model, whether the fitted judgements
depart from the rubric the way the team does:

1. `--comments` synthetic review comments per seed (the loop experiment's, `simulation/people.py`);
2. the posted score is the rubric's as the Action posts it with `explore: OFFSET`
   (`bot/feedback/explore.py`; 0: the rubric's as it is);
3. the team (`--people FILE`) reacts to each posted score as in the loop experiment;
4. `judgement.fit` on all the records; per kind of comment (`people.group`), the mean departure
   from the rubric of the fitted judgement and of the team's true judgement, and whether the
   signs agree.

Printed per offset: the share of (seed, kind) cells whose fitted departure has the team's sign
(kinds where the team departs by 5 points or more), the mean absolute error against the team of
the fitted judgements and of the rubric, and the share of 👍 among the reactions (what the
offset costs in agreement).

Then the gate's side (`yardsticks`): on the held-out replies of the retrain's split
(`training.dataset.split_feedback`), would a scorer that knew the team's judgement beat the
rubric? Per seed, the team's and the rubric's mean surprise at the held-out reactions (the gate's
yardstick, `bot/gate.py`) with the bootstrap's lower bound of the team's gain, and, for
comparison, their errors against a judgement fitted on the held-out reactions alone with the
earlier fixed penalty per record (0.002; the gate's earlier yardstick).
"""

from __future__ import annotations

import argparse
import random
import statistics
from typing import Any

from benchmarks.simulation.people import Team, group, load_team, reaction, review_comments

DEFAULT_PEOPLE = "benchmarks/teams/default.py"


def records(team: Team, comments: int, seed: int, offset: int) -> list[dict[str, Any]]:
    """Feedback records as `collect` writes them, the posted score moved by up to `offset`."""
    from review_forge.bot.feedback import explore
    from review_forge.bot.scoring.rubric import score_comment
    from review_forge.bot.scoring.score import Comment

    rng = random.Random(seed)
    rows = []
    for number, row in enumerate(review_comments(comments, seed=seed)):
        comment = Comment(row["body"], row["diff_hunk"], row.get("path"))
        rubric = score_comment(comment)
        posted = explore.posted(rubric, number, offset)  # what the Action would post
        judged = team.judgement(comment)
        votes = [reaction(person, posted.score, judged, rng) for person in team.people]
        rows.append({
            "reply_comment_id": number, "body": row["body"], "diff_hunk": row["diff_hunk"],
            "path": row.get("path"), "posted": posted.to_dict(),
            "up": votes.count("+1"), "down": votes.count("-1"),
            "rubric": rubric.score, "judged": judged,
        })  # fmt: skip
    return rows


def departures(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per kind of comment: mean fitted and true departure from the rubric, and the errors."""
    from review_forge.bot.scoring.score import Comment
    from review_forge.training.judgement import fit

    model = fit(rows)
    kinds: dict[str, list[tuple[int, int, int]]] = {}
    for r in rows:
        fitted = model.predict(Comment(r["body"], r["diff_hunk"], r["path"]))
        kinds.setdefault(group(r["body"]), []).append((fitted, r["judged"], r["rubric"]))
    return {
        kind: {
            "fitted": statistics.fmean(f - b for f, _, b in cells),
            "team": statistics.fmean(j - b for _, j, b in cells),
            "fitted_error": statistics.fmean(abs(f - j) for f, j, _ in cells),
            "rubric_error": statistics.fmean(abs(b - j) for _, j, b in cells),
            "n": len(cells),
        }
        for kind, cells in sorted(kinds.items())
    }


def yardsticks(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The team's and the rubric's figures on the held-out side of `rows` (see the module)."""
    from review_forge.bot.gate import HeldOutRow, bootstrap_gain, reaction_surprise
    from review_forge.bot.scoring.score import Comment
    from review_forge.training.dataset import split_feedback
    from review_forge.training.judgement import fit, voted

    held = [r for r in split_feedback(rows)[1] if voted(r)]
    cells = [
        (HeldOutRow(str(r["reply_comment_id"]), Comment(r["body"], r["diff_hunk"], r["path"]),
                    posted=r["posted"]["score"], up=r["up"], down=r["down"]), r)
        for r in held
    ]  # fmt: skip
    team = [reaction_surprise(r["judged"], row) for row, r in cells]
    rubric = [reaction_surprise(r["rubric"], row) for row, r in cells]
    _, lower = bootstrap_gain(rubric, team, 1000, 0.95)
    earlier = fit(held, prior=0.002 * len(held))
    pairs = [(earlier.predict(row.comment), r) for row, r in cells]
    return {
        "replies": len(held),
        "surprise_team": statistics.fmean(team),
        "surprise_rubric": statistics.fmean(rubric),
        "gain_lower": lower,
        "fitted_error_team": statistics.fmean(abs(j - r["judged"]) for j, r in pairs),
        "fitted_error_rubric": statistics.fmean(abs(j - r["rubric"]) for j, r in pairs),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--people", default=DEFAULT_PEOPLE, help="the team's Python file")
    p.add_argument("--comments", type=int, default=400, help="comments per seed (400)")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--offsets", type=int, nargs="+", default=[0, 5], help="posted score offsets")
    args = p.parse_args(argv)
    team = load_team(args.people)
    print(f"team {team.name}, {args.comments} comments x {args.seeds} seeds")
    print("offset | kind | fitted departure | team's departure | error: fitted / rubric")
    for offset in args.offsets:
        signs, fitted_errors, rubric_errors, up, votes = [], [], [], 0, 0
        for seed in range(args.seeds):
            rows = records(team, args.comments, seed, offset)
            up += sum(r["up"] for r in rows)
            votes += sum(r["up"] + r["down"] for r in rows)
            for kind, d in departures(rows).items():
                print(
                    f"±{offset} | seed {seed} {kind} (n={d['n']}) | {d['fitted']:+.1f} | "
                    f"{d['team']:+.1f} | {d['fitted_error']:.1f} / {d['rubric_error']:.1f}"
                )
                if abs(d["team"]) >= 5:
                    signs.append((d["fitted"] > 0) == (d["team"] > 0))
                fitted_errors.append(d["fitted_error"] * d["n"])
                rubric_errors.append(d["rubric_error"] * d["n"])
            y = yardsticks(rows)
            print(
                f"±{offset} | seed {seed} held out (n={y['replies']}) | surprise, nats: team "
                f"{y['surprise_team']:.2f}, rubric {y['surprise_rubric']:.2f} (the team's gain's "
                f"lower bound {y['gain_lower']:+.2f}) | error vs a judgement fitted there with "
                f"the earlier penalty: team {y['fitted_error_team']:.2f}, rubric "
                f"{y['fitted_error_rubric']:.2f}"
            )
        total = args.comments * args.seeds
        print(
            f"±{offset}: the team's direction in {sum(signs)} of {len(signs)} departing kinds; "
            f"error vs the team {sum(fitted_errors) / total:.2f} (fitted) "
            f"{sum(rubric_errors) / total:.2f} (rubric); 👍 {up / votes:.0%} of {votes} reactions"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
