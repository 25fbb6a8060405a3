"""The loop experiment, shortened: the simulated teams' rules, their figures, the team files a
maintainer can write, and two rounds of the whole loop (Action → reactions → collect → retrain)
on the fake GitHub.

The full experiment (`python -m benchmarks.loop_simulation`) is not run here. The rounds below
use the tests' tiny Llama and a review of 8 comments a week: too few held-out reactions for the
gate, so the retrain trains nothing and says how many more it needs (that the product's retrain
learns is tests/test_closed_loop.py's subject).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from benchmarks.simulation.people import (
    BARE_NIT,
    TESTS_SECURITY,
    Person,
    Taste,
    Team,
    adjustment,
    agreement,
    judgement,
    load_team,
    reaction,
    review_comments,
    spread,
)
from review_forge.bot.github.data_branch import DataStore, latest_per_reply
from review_forge.bot.github.marker import find_marker
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, render

ANSWER = render(
    Score(64, dict.fromkeys(DIMENSIONS, 64), dict.fromkeys(DIMENSIONS, "names the code"),
          ["Say what should happen instead."])
)  # fmt: skip
TEAM = (Person("ana", 0, 1.0), Person("ben", 5, 1.0), Person("eli", 0, 0.0))
BOT = "github-actions[bot]"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Please add a test for the empty list.", 15),
        ("`path` goes into the query unescaped, which allows injection.", 15),
        ("Nit: rename `tmp` to `pending_jobs`.", -20),
        ("nit - run the formatter", -20),
        ("Nit: rename `tmp`, because it hides what it holds.", 0),  # a reason: not a bare nit
        ("Nit: this needs a test.", -5),  # both rules
        ("Rename `tmp` to `pending_jobs`.", 0),
        ("word " * 60, 0),  # up to 60 words: the rubric's own view of length stands
        ("word " * 75, 5),
        ("word " * 200, 10),  # given back up to 10 points
        ("Attestation is fine.", 0),  # words, not substrings
    ],
)
def test_the_teams_taste_departs_from_the_rubric_as_stated(body, expected):
    assert adjustment(body) == expected


def test_judgement_is_the_rubric_moved_by_the_taste_and_stays_within_0_100():
    comment = Comment("Please add a test for the empty list: `load` returns None there.")
    assert judgement(comment) == score_comment(comment).score + 15
    assert judgement(comment, Taste(tests_security=0)) == score_comment(comment).score
    assert judgement(comment, Taste(tests_security=200)) == 100
    assert judgement(Comment("nit"), Taste(bare_nit=-200)) == 0


@pytest.mark.parametrize(
    ("person", "posted", "judged", "flip", "expected"),
    [
        (Person("a", 0, 1.0), 60, 50, 0.0, "+1"),  # exactly at the tolerance
        (Person("a", 0, 1.0), 61, 50, 0.0, "-1"),
        (Person("a", 0, 1.0), 39, 50, 0.0, "-1"),
        (Person("a", 5, 1.0), 64, 50, 0.0, "+1"),  # their lean: they judge it 55
        (Person("a", -5, 1.0), 36, 50, 0.0, "+1"),  # they judge it 45
        (Person("a", -5, 1.0), 58, 50, 0.0, "-1"),
        (Person("a", 0, 1.0), 60, 50, 1.0, "-1"),  # always flipped
        (Person("a", 0, 0.0), 60, 50, 0.0, None),  # never reacts
    ],
)
def test_a_person_reacts_by_the_distance_to_their_own_judgement(
    person, posted, judged, flip, expected
):
    person = Person(person.login, person.lean, person.reacts, tolerance=10, noise=flip)
    assert reaction(person, posted, judged, random.Random(1)) == expected


def test_noise_and_silence_happen_at_their_stated_rates():
    rng = random.Random(7)
    someone = Person("a", 0, 0.5, noise=0.2)
    answers = [reaction(someone, 50, 50, rng) for _ in range(4000)]
    reacted = [a for a in answers if a is not None]
    assert abs(len(reacted) / 4000 - 0.5) < 0.03
    assert abs(reacted.count("-1") / len(reacted) - 0.2) < 0.03


def test_a_critic_reacts_mostly_when_they_disagree_and_scale_quietens_everyone():
    rng = random.Random(3)
    critic = Person("c", 0, 0.1, reacts_disagreeing=0.8, noise=0.0)
    agreeing = [reaction(critic, 50, 52, rng) for _ in range(4000)]
    disagreeing = [reaction(critic, 50, 80, rng) for _ in range(4000)]
    quiet = [reaction(critic, 50, 80, rng, scale=0.25) for _ in range(4000)]
    assert abs(sum(a is not None for a in agreeing) / 4000 - 0.1) < 0.02
    assert abs(sum(a is not None for a in disagreeing) / 4000 - 0.8) < 0.03
    assert abs(sum(a is not None for a in quiet) / 4000 - 0.2) < 0.03
    assert set(agreeing) - {None} == {"+1"} and set(disagreeing) - {None} == {"-1"}


TEAMS = Path(__file__).resolve().parents[1] / "benchmarks" / "teams"


@pytest.mark.parametrize("name", ["default", "own_rules", "critics"])
def test_the_shipped_teams_load_and_judge_within_0_100(name):
    team = load_team(TEAMS / f"{name}.py")
    scores = [team.judgement(Comment(r["body"], r["diff_hunk"], r["path"]))
              for r in review_comments(60, seed=2)]  # fmt: skip
    assert team.name == name and team.people and all(0 <= s <= 100 for s in scores)
    assert len(set(scores)) >= 5  # a judgement that depends on the comment


def test_the_own_rules_team_is_not_the_rubric_plus_departures():
    own, default = load_team(TEAMS / "own_rules.py"), load_team(TEAMS / "default.py")
    rows = review_comments(200, seed=4)
    comments = [Comment(r["body"], r["diff_hunk"], r["path"]) for r in rows]
    gaps = [own.judgement(c) - default.judgement(c) for c in comments]
    assert max(gaps) - min(gaps) > 40  # not a constant shift of the default team's judgement


@pytest.mark.parametrize(
    ("source", "message"),
    [("TEAM = ()\n", "must define judge"), ("def judge(b, h, p):\n    return 50\n", "TEAM")],
)
def test_a_team_file_without_a_judge_or_people_is_refused(tmp_path, source, message):
    file = tmp_path / "team.py"
    file.write_text(source, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_team(file)


def _score(value: int, scorer: str = "model", fallback: str | None = None) -> Score:
    dims = dict.fromkeys(DIMENSIONS, value)
    return Score(value, dims, scorer=scorer, fallback_reason=fallback)


def test_agreement_figures_on_a_constructed_case():
    scores = [
        _score(50),  # off by 5: a 👍
        _score(80),  # off by 10: still a 👍
        _score(30, "rubric", "the model's answer did not parse"),  # off by 21
        _score(90),  # off by 0
    ]
    result = agreement(scores, [55, 70, 51, 90], tolerance=10)
    assert result.mae == pytest.approx((5 + 10 + 21 + 0) / 4, abs=1e-3)
    assert (result.thumbs_up, result.validity, result.model_answered) == (0.75, 0.75, 0.75)
    rubric = agreement([_score(55, "rubric")], [55])
    assert (rubric.mae, rubric.thumbs_up, rubric.validity, rubric.model_answered) == (0, 1, 1, 0)
    with pytest.raises(ValueError, match="as many scores"):
        agreement(scores, [1, 2])


def test_spread_over_seeds():
    assert spread([4.0, 8.0]) == {"mean": 6.0, "sd": 2.828, "min": 4.0, "max": 8.0, "n": 2}
    assert spread([3.0])["sd"] == 0.0
    with pytest.raises(ValueError):
        spread([])


def test_review_comments_mix_the_stated_shares_reproducibly():
    rows = review_comments(40, seed=3)
    assert rows == review_comments(40, seed=3) and rows != review_comments(40, seed=4)
    bodies = [r["body"] for r in rows]
    assert sum(bool(TESTS_SECURITY.search(b)) for b in bodies) >= 12  # 30%, nits may mention tests
    assert sum(r["quality"] == "nit" for r in rows) == 6  # 15% written as bare nits
    assert sum(bool(BARE_NIT.search(b)) for b in bodies) >= 6  # (and "nit" alone is a comment)
    assert all(r["diff_hunk"] and r["path"] for r in rows)  # review comments sit on a diff
    assert len({(r["body"], r["diff_hunk"]) for r in rows}) == 40
    nit = next(r for r in rows if BARE_NIT.search(r["body"]))  # labelled as rewritten
    assert nit["completion"] == render(score_comment(Comment(nit["body"], nit["diff_hunk"],
                                                             nit["path"])))  # fmt: skip


# --- two rounds of the loop ----------------------------------------------------------------


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict]]:
    return {
        "round-1": review_comments(8, seed=11),
        "round-2": review_comments(8, seed=12),
        "eval": review_comments(4, seed=13),
    }


@pytest.fixture(scope="module")
def taught_base(tiny_model_dir, tmp_path_factory, rows) -> Path:
    """The tiny Llama taught to write ANSWER for every comment the loop shows it."""
    from tests.support.tiny_model import teach

    out = tmp_path_factory.mktemp("taught") / "model"
    shutil.copytree(tiny_model_dir, out)
    seen = [r for group in rows.values() for r in group]
    examples = [(Comment(r["body"], r["diff_hunk"], r["path"]), ANSWER) for r in seen]
    return teach(out, examples, steps=150, lr=1e-2)


def test_rounds_run_end_to_end_through_the_products_code(fake_github, taught_base, rows, tmp_path):
    from benchmarks.simulation.loop import Loop, Plan

    fake = fake_github
    # Two people who react to every reply, and one who never does.
    team = Team(lambda body, hunk, path: 50, (Person("ana", 0, 1.0), Person("ben", 0, 1.0),
                                              Person("eli", 0, 0.0)))  # fmt: skip
    plan = Plan(base=taught_base, seed=5, team=team, grpo_steps=1)
    loop = Loop(fake, fake.repo.full_name, plan, tmp_path / "seed", rows["eval"])
    store = DataStore(fake.client().get_repo(fake.repo.full_name))

    start = loop.start()
    assert start["adapter"]["model_answered"] == 0  # round 0: the rubric

    for number in (1, 2):
        entry = loop.round(number, rows[f"round-{number}"])
        assert entry["action_exit"] == 0
        ours = {i: c for i, c in fake.repo.review_comments.items() if c["user"] == BOT}
        this_round = [c for c in ours.values() if c["pr"] == number]
        # one reply per comment, scored by the rubric: nothing was ever promoted
        assert len(this_round) == len(rows[f"round-{number}"]) == entry["reactions"]["replies"]
        assert {find_marker(c["body"]).rev for c in this_round} == {"rubric"}
        # the two people who react reacted to every reply, the silent one never
        reactors = {r["user"] for c in this_round for r in fake.repo.reactions[("pulls", c["id"])]}
        assert reactors == {"ana", "ben"}
        # collect: the data branch's newest snapshot per reply holds the votes on the fake
        latest = {r["reply_comment_id"]: r for r in latest_per_reply(store.read_feedback())}
        assert set(ours) == set(latest)
        for reply_id in ours:
            contents = [r["content"] for r in fake.repo.reactions[("pulls", reply_id)]]
            assert (latest[reply_id]["up"], latest[reply_id]["down"]) == (
                contents.count("+1"), contents.count("-1"),
            )  # fmt: skip
        # the retrain: too few held-out reactions to judge anything, so nothing is trained
        gate = entry["gate"]
        assert not gate["passed"] and not gate["trained"] and entry["candidate"] is None
        assert (
            gate["reasons"][0].startswith("only ") and "more reacted replies" in gate["reasons"][0]
        )
    files = fake.files("review-forge-data")
    assert not [p for p in files if p.startswith("adapter/")]
    assert len([p for p in files if p.startswith("reports/")]) == 2 * 2
