"""The loop experiment, shortened: the simulated team's rules, its figures, and two rounds of the
whole loop (Action → reactions → collect → retrain and gate) on the fake GitHub.

The full experiment (`benchmarks/loop_simulation.py`, ~22 minutes) is not run here. The rounds
below use the tests' tiny Llama, taught one fixed answer in the canonical format (a stand-in for
a base that writes the format, as in tests/test_closed_loop.py), so they check the wiring and
the gate, not that the scores improve.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from benchmarks.simulation.people import (
    BARE_NIT,
    TESTS_SECURITY,
    Person,
    Taste,
    adjustment,
    agreement,
    judgement,
    reaction,
    review_comments,
    spread,
)
from review_forge.bot.github.data_branch import DataStore, latest_per_reply
from review_forge.bot.github.marker import find_marker, find_score
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, render
from review_forge.training.dataset import synthetic_rows

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
    assert reaction(person, posted, judged, random.Random(1), tolerance=10, flip=flip) == expected


def test_noise_and_silence_happen_at_their_stated_rates():
    rng = random.Random(7)
    someone = Person("a", 0, 0.5)
    answers = [reaction(someone, 50, 50, rng, flip=0.2) for _ in range(4000)]
    reacted = [a for a in answers if a is not None]
    assert abs(len(reacted) / 4000 - 0.5) < 0.03
    assert abs(reacted.count("-1") / len(reacted) - 0.2) < 0.03


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
    """The tiny Llama taught to write ANSWER for every comment the loop and the gate show it."""
    from tests.support.tiny_model import teach

    out = tmp_path_factory.mktemp("taught") / "model"
    shutil.copytree(tiny_model_dir, out)
    _, held = synthetic_rows(0, 4)
    seen = [r for group in rows.values() for r in group] + held
    examples = [(Comment(r["body"], r["diff_hunk"], r["path"]), ANSWER) for r in seen]
    return teach(out, examples, steps=150, lr=1e-2)


def test_rounds_run_end_to_end_and_the_gate_keeps_a_worse_adapter_out(
    fake_github, taught_base, rows, tmp_path
):
    from benchmarks.simulation.loop import Loop, Plan
    from benchmarks.simulation.model import WARMUP, warm_up
    from tests.support.tiny_model import spoil_adapter

    fake = fake_github
    # The warm-up's wiring, at a learning rate that leaves the taught answer as it is: the
    # experiment's rate (WARMUP) teaches a random model and would overwrite it in two steps.
    gentle = (*WARMUP, "training.learning_rate=1e-6")
    cold = warm_up(taught_base, tmp_path / "cold", rows["round-1"][:4], tmp_path, gentle)
    # A lenient team (30 points), so that some answers are approved in every round.
    plan = Plan(base=taught_base, cold_start=cold, seed=5, rounds=2, team=TEAM, tolerance=30,
                learner="judged", start_heldout=4, round_heldout=4)  # fmt: skip
    loop = Loop(fake, fake.repo.full_name, plan, tmp_path / "seed", rows["eval"])
    store = DataStore(fake.client().get_repo(fake.repo.full_name))

    start = loop.start()
    assert start["gate"]["passed"], start["gate"]
    assert start["adapter"]["validity"] >= 0.8 and start["adapter"]["model_answered"] >= 0.8
    promoted = json.loads(fake.files("review-forge-data")["adapter/manifest.json"])["revision"]

    for number in (1, 2):
        entry = loop.round(number, rows[f"round-{number}"])
        assert entry["action_exit"] == 0
        ours = {i: c for i, c in fake.repo.review_comments.items() if c["user"] == BOT}
        this_round = [c for c in ours.values() if c["pr"] == number]
        # one reply per comment, scored by the adapter promoted before the round
        assert len(this_round) == len(rows[f"round-{number}"]) == entry["reactions"]["replies"]
        assert {find_marker(c["body"]).rev for c in this_round} == {promoted}
        assert {find_score(c["body"])["model_revision"] for c in this_round} == {promoted}
        # the two people who react reacted to every reply, the silent one never
        reactors = {r["user"] for c in this_round for r in fake.repo.reactions[("pulls", c["id"])]}
        assert reactors == {"ana", "ben"}
        assert entry["reactions"]["+1"] + entry["reactions"]["-1"] == 2 * len(this_round)
        # collect: the data branch's newest snapshot per reply holds the votes on the fake
        latest = {r["reply_comment_id"]: r for r in latest_per_reply(store.read_feedback())}
        assert set(ours) == set(latest)
        for reply_id in ours:
            contents = [r["content"] for r in fake.repo.reactions[("pulls", reply_id)]]
            assert (latest[reply_id]["up"], latest[reply_id]["down"]) == (
                contents.count("+1"), contents.count("-1"),
            )  # fmt: skip
        # the gate: a promotion is never worse on its held-out set, and it is what ships
        gate = entry["gate"]
        assert set(gate) >= {"passed", "reasons", "candidate", "current"}, gate
        worse = _worse(gate["candidate"], gate["current"])
        assert gate["passed"] == (not worse), gate
        now = json.loads(fake.files("review-forge-data")["adapter/manifest.json"])["revision"]
        assert now == (gate["candidate_revision"] if gate["passed"] else promoted)
        promoted = now
    assert len([p for p in fake.files("review-forge-data") if p.startswith("reports/")]) == 2 * 3

    # A deliberately worse candidate (the promoted adapter, its LoRA B replaced by noise: it no
    # longer writes the format) is refused and not shipped.
    noise = spoil_adapter(loop.current, tmp_path / "noise")
    report = loop._retrain("worse", candidate=noise)
    assert not report["gate"]["passed"]
    assert any("format validity" in reason for reason in report["gate"]["reasons"])
    assert json.loads(fake.files("review-forge-data")["adapter/manifest.json"])["revision"] == (
        promoted
    )


def _worse(candidate: dict, current: dict) -> bool:
    """The gate's rule (bot/evaluate.py's default tolerances) applied to the logged figures."""
    if candidate["format_validity"] < current["format_validity"] - 0.02:
        return True
    if None not in (candidate["mae"], current["mae"]) and candidate["mae"] > current["mae"] + 2:
        return True
    agreement_now, agreement_before = candidate["agreement"], current["agreement"]
    return None not in (agreement_now, agreement_before) and (
        agreement_now < agreement_before - 0.05
    )
