"""The closed loop, end to end, against the fake GitHub over HTTP with the tiny local model:
reactions move the promoted scorer's scores the way they point.

The people of this repository value comments that ask for tests far more than the rubric does
(95 points, well above what the rubric gives a bare "Add a test."). The data branch already holds
last month's snapshot, when an earlier scorer posted high scores on such comments and people
approved them. This week the Action (no adapter yet: the rubric) posts low scores on them;
people react 👎 (which alone says "not this", not which way); `review-forge collect`
writes the snapshot; `review-forge retrain` (what `.github/workflows/retrain.yml` runs) reads the
direction out of the pooled reactions, trains a candidate towards it, passes the gate against the
rubric and commits `adapter/`; the next Action run scores a test request higher, with the new
revision. A deliberately worse candidate is then refused, and its report says why.

The base model: a random tiny Llama writes no score format at all. `taught_base` teaches a copy
of it one fixed answer (score 64) in the canonical format for the comments of this test: a
stand-in for a base that writes the format. The comments repeat, so both sides of the retrain's
split (by reply id) hold the same texts: the tiny model memorises, it does not generalise.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from review_forge.bot.cli import main as review_forge
from review_forge.bot.github.data_branch import DataStore
from review_forge.bot.github.marker import find_marker, find_score
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, render
from tests.support.tiny_model import spoil_adapter

BOT = "github-actions[bot]"
PR = 2
HUNK = "@@ -8,3 +8,4 @@ def main():\n     run()\n+    retry()"  # the fake's default
PATH = "src/app.py"
TESTS = ["Add a test.", "A test here would help."]
PEOPLE = 95  # what the people think a test request is worth
COPIES = 12  # each comment this many times on the pull request
ANSWER = render(Score(64, dict.fromkeys(DIMENSIONS, 64), recommendations=["Say why."]))
SMALL_MODEL = [  # the tiny model learns at a higher rate, with a LoRA on every projection
    "--sft-set", "training.learning_rate=3e-3", "--sft-set", "training.num_train_epochs=40",
    "--sft-set", "training.lr_scheduler_type=constant",
    "--sft-set", "training.per_device_train_batch_size=8", "--sft-set", "peft.lora_r=16",
    "--sft-set", "training.max_steps=-1", "--sft-set", "training.gradient_accumulation_steps=1",
    "--sft-set", "peft.lora_target_modules=[q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,"
    "down_proj]",
]  # fmt: skip
QUICK = [
    "--max-steps", "1", "--synthetic", "0", "--heldout-synthetic", "0",
    "--min-heldout", "5", "--min-validity", "0.4",
    "--set", "training.grpo.max_completion_length=32", *SMALL_MODEL,
]  # fmt: skip


def rubric(body: str) -> int:
    return score_comment(Comment(body, HUNK, PATH)).score


@pytest.fixture(scope="module")
def taught_base(tiny_model_dir, tmp_path_factory) -> Path:
    from tests.support.tiny_model import teach

    out = tmp_path_factory.mktemp("taught") / "model"
    shutil.copytree(tiny_model_dir, out)
    comments = [Comment(body, HUNK, PATH) for body in TESTS]
    return teach(out, [(c, ANSWER) for c in comments], steps=150, lr=1e-2)


@pytest.fixture
def github_env(fake_github, tmp_path, monkeypatch):
    """A GitHub Actions environment pointing at the fake; returns a function to run a step."""
    for var in [v for v in os.environ if v.startswith(("GITHUB_", "INPUT_"))]:
        monkeypatch.delenv(var)
    summary = tmp_path / "summary.md"
    fixed = {
        "GITHUB_REPOSITORY": fake_github.repo.full_name, "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": fake_github.token, "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary), "INPUT_GITHUB_REQUEST_INTERVAL": "0",
        "INPUT_GITHUB_WRITE_INTERVAL": "0", "INPUT_MAX_REPLIES": "100",
    }  # fmt: skip
    for var, value in fixed.items():
        monkeypatch.setenv(var, value)

    def step(run_id: str, **env: str) -> Path:
        summary.write_text("", encoding="utf-8")
        monkeypatch.setenv("GITHUB_RUN_ID", run_id)
        for var, value in env.items():
            monkeypatch.setenv(var, value)
        return summary

    return step


def dispatch(step, tmp_path: Path, run_id: str, **inputs: str) -> Path:
    """`review-forge action` on a workflow_dispatch that re-scores the whole pull request."""
    event = tmp_path / f"event-{run_id}.json"
    event.write_text(json.dumps({"inputs": {"pr": str(PR)}}), encoding="utf-8")
    summary = step(
        run_id, GITHUB_EVENT_NAME="workflow_dispatch", GITHUB_EVENT_PATH=str(event),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    )  # fmt: skip
    assert review_forge(["action"]) == 0
    return summary


def replies(fake) -> dict[int, dict]:
    """The bot's replies by the comment they score."""
    bot = [c for c in fake.repo.review_comments.values() if c["user"] == BOT]
    return {find_marker(c["body"]).target_id: c for c in bot}


def last_month(fake) -> None:
    """The snapshot an earlier scorer left: high scores on test requests, approved by people.
    Its dimensions and advice were the rubric's, as this month's replies' are: the tiny model
    learns one answer per comment, differing from the rubric's only in the score."""
    lines = []
    for n, body in enumerate(TESTS * 10):
        posted = replace(score_comment(Comment(body, HUNK, PATH)), score=PEOPLE)
        record = {
            "schema": 1, "repo": fake.repo.full_name, "pr": 1, "review_comment_id": 9000 + n,
            "reply_comment_id": 8000 + n, "body": body, "diff_hunk": HUNK, "path": PATH,
            "posted": posted.to_dict(), "up": 2,
            "down": 0, "reactors": 2, "collected_at": "2026-11-01T04:17:00Z",
        }  # fmt: skip
        lines.append(json.dumps(record) + "\n")
    store = DataStore(fake.client().get_repo(fake.repo.full_name), "review-forge-data")
    store.add_files({"feedback/2026/11/01/1.jsonl": "".join(lines).encode()}, "Feedback")


@pytest.mark.timeout(1800)  # two trainings and four scorings of the tiny model: minutes, not hours
def test_reactions_move_the_promoted_scorer_the_way_they_point(
    fake_github, github_env, taught_base, tmp_path, capsys
):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tiny model's training, the same on every machine
    try:
        _the_loop(fake_github, github_env, taught_base, tmp_path, capsys)
    finally:
        torch.set_num_threads(threads)


def _the_loop(fake_github, github_env, taught_base, tmp_path, capsys) -> None:
    fake = fake_github
    fake.add_pull(PR)
    last_month(fake)
    bodies = TESTS * COPIES
    targets = {fake.add_review_comment(PR, b, user="bob", path=PATH): b for b in bodies}
    # explore 0: the replies show the scorer's own score, so step 4 reads what the model
    # learned; the direction comes from last month's 👍 on high scores, not from offsets.
    inputs = {
        "adapter": "data-branch", "base_model": str(taught_base), "scorer": "auto",
        "explore": "0",
    }  # fmt: skip

    # 1. The Action, nothing promoted yet: the rubric scores, and each reply says why.
    dispatch(github_env, tmp_path, "1", **inputs)
    first = replies(fake)
    assert sorted(first) == sorted(targets)
    for target, reply in first.items():
        posted = find_score(reply["body"])
        assert posted["scorer"] == "rubric" and posted["score"] == rubric(targets[target])

    # 2. People react: 👎, the rubric's score is far from theirs.
    for reply in first.values():
        for person in ("carol", "dave"):
            fake.add_reaction(reply["id"], "-1", user=person)
    github_env("101")
    assert review_forge(["collect"]) == 0

    # 3. Retrain: reads the direction, trains towards it, passes the gate, commits adapter/.
    summary = github_env("201")
    code = review_forge(["retrain", "--base-model", str(taught_base), *QUICK])
    assert code == 0, capsys.readouterr().err
    files = fake.files("review-forge-data")
    assert {p for p in files if p.startswith("adapter/")} == {
        "adapter/adapter_model.safetensors", "adapter/adapter_config.json", "adapter/manifest.json",
    }  # fmt: skip
    manifest = json.loads(files["adapter/manifest.json"])
    revision = manifest["revision"]
    report = json.loads(files[manifest["promotion"]["report"]])
    assert report["gate"]["passed"] and report["gate"]["reasons"] == []
    assert report["gate"]["gains"]["rubric"]["lower"] > 0
    assert manifest["best"]["gain_over_rubric"] == report["gate"]["gain_over_rubric"] > 0
    assert report["data"]["judged_rows"] > 0 and report["data"]["heldout_replies_with_votes"] >= 5
    assert "adapter promoted" in summary.read_text(encoding="utf-8")

    # 4. The next Action run: a test request now scores well above the rubric's score.
    dispatch(github_env, tmp_path, "2", **inputs)
    now = replies(fake)
    moved = {t: find_score(now[t]["body"]) for t in targets}
    assert all(p["model_revision"] == revision for p in moved.values())
    # The tiny model writes the format for some of them (the rest fall back to the rubric, and
    # say so): what it answers is the score the reactions point to, well above the rubric's.
    answered = {t: p for t, p in moved.items() if p["scorer"] == "model"}
    assert len(answered) >= len(moved) / 3
    for target, posted in answered.items():
        assert posted["score"] >= rubric(targets[target]) + 10, (posted["score"], targets[target])

    # 5. A deliberately worse candidate (the promoted adapter, its LoRA B replaced by noise) is
    # refused: it no longer writes the format, and it is not better than the promoted one.
    promoted = tmp_path / "promoted"
    promoted.mkdir()
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        (promoted / name).write_bytes(files[f"adapter/{name}"])
    worse = spoil_adapter(promoted, tmp_path / "worse")
    adapter_before = {p: b for p, b in files.items() if p.startswith("adapter/")}
    summary = github_env("202")
    assert review_forge(["retrain", "--candidate", str(worse), *QUICK]) == 0
    out = capsys.readouterr().out
    files = fake.files("review-forge-data")
    assert {p: b for p, b in files.items() if p.startswith("adapter/")} == adapter_before
    (path,) = [p for p in files if p.startswith("reports/") and "-202." in p and p.endswith("json")]
    refused = json.loads(files[path])
    assert refused["gate"]["passed"] is False and refused["current"] == {"revision": revision}
    assert any(r.startswith("format validity fell") for r in refused["gate"]["reasons"])
    assert any(r.startswith("not better than promoted") for r in refused["gate"]["reasons"])
    assert "::notice::review-forge: candidate" in out and "not promoted" in out
    assert "is unchanged" in summary.read_text(encoding="utf-8")
