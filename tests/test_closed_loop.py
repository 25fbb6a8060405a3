"""The closed loop, end to end, against the fake GitHub over HTTP with the tiny local model.

The Action scores review comments and replies (no adapter yet: the rubric, saying why); people
react on the fake; `review-forge collect` writes a snapshot; a changed reaction shows up in the
next snapshot; `python -m training.retrain` trains a couple of steps, passes the gate and commits
`adapter/` to the data branch; the next Action run replies with the new `model_revision`. A
deliberately worse candidate is then refused, and its report says why; the retrain after that
continues the promoted adapter.

The base model: a random tiny Llama writes no score format at all, so no first adapter could pass
an honest gate (at least 80% of answers must parse). `taught_base` teaches a copy of it one fixed
answer in the canonical format for the comments the gate evaluates (the loop's review comments and
the retrain's held-out synthetic rows): a stand-in for a base that writes the format. What the
models write is still generated and read by the one parser; generalisation is not claimed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from review_forge.bot.cli import main as review_forge
from review_forge.bot.github.data_branch import DataStore, latest_per_reply
from review_forge.bot.github.marker import find_marker, find_score
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, render
from review_forge.training.dataset import synthetic_rows
from tests.support.tiny_model import spoil_adapter

BOT = "github-actions[bot]"
PR = 2
HELDOUT = 2  # synthetic held-out rows in the retrain (--heldout-synthetic)
COMMENTS = [
    "`parse_date` returns None for an empty string; callers index into it. Raise ValueError.",
    "Why is this retried forever? A 503 makes the loop spin: add a limit and a test for it.",
]
HUNK = "@@ -8,3 +8,4 @@ def main():\n     run()\n+    retry()"  # the fake's default
PATH = "src/app.py"
ANSWER = render(
    Score(
        score=64,
        dimensions=dict.fromkeys(DIMENSIONS, 64),
        notes=dict.fromkeys(DIMENSIONS, "names the code"),
        recommendations=["Say what should happen instead."],
    )
)
QUICK = ["--max-steps", "2", "--warmup-steps", "2", "--synthetic", "8", "--heldout-synthetic",
         str(HELDOUT), "--set", "training.grpo.max_completion_length=32"]  # fmt: skip


@pytest.fixture(scope="module")
def taught_base(tiny_model_dir, tmp_path_factory) -> Path:
    from tests.support.tiny_model import teach

    out = tmp_path_factory.mktemp("taught") / "model"
    shutil.copytree(tiny_model_dir, out)
    _, held = synthetic_rows(0, HELDOUT)
    comments = [Comment(body, HUNK, PATH) for body in COMMENTS]
    comments += [Comment(r["body"], r["diff_hunk"], r["path"]) for r in held]
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
        "INPUT_GITHUB_WRITE_INTERVAL": "0",
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


def feedback(fake) -> list[dict]:
    store = DataStore(fake.client().get_repo(fake.repo.full_name), "review-forge-data")
    return store.read_feedback()


def test_reactions_become_an_adapter_that_the_next_run_scores_with(
    fake_github, github_env, taught_base, tmp_path, capsys
):
    fake = fake_github
    fake.add_pull(PR)
    targets = [fake.add_review_comment(PR, body, user="bob", path=PATH) for body in COMMENTS]
    inputs = {"adapter": "data-branch", "base_model": str(taught_base), "scorer": "auto"}

    # 1. The Action, nothing promoted yet: the rubric scores, and each reply says why.
    dispatch(github_env, tmp_path, "1", **inputs)
    first = replies(fake)
    assert sorted(first) == sorted(targets)
    for reply in first.values():
        posted = find_score(reply["body"])
        assert posted["scorer"] == "rubric" and find_marker(reply["body"]).rev == "rubric"
        assert posted["fallback_reason"].startswith("no adapter on data branch")

    # 2. People react; collect writes one snapshot.
    liked, disliked = first[targets[0]]["id"], first[targets[1]]["id"]
    fake.add_reaction(liked, "+1", user="carol")
    fake.add_reaction(liked, "+1", user="dave")
    fake.add_reaction(disliked, "-1", user="erin")
    github_env("101")
    assert review_forge(["collect"]) == 0
    snapshots = [p for p in fake.files("review-forge-data") if p.startswith("feedback/")]
    assert len(snapshots) == 1
    votes = {r["reply_comment_id"]: (r["up"], r["down"]) for r in feedback(fake)}
    assert votes == {liked: (2, 0), disliked: (0, 1)}

    # 3. Carol changes her mind; the next collection writes a new snapshot the reader prefers.
    fake.remove_reaction(liked, "+1", user="carol")
    fake.add_reaction(liked, "-1", user="carol")
    github_env("102")
    assert review_forge(["collect"]) == 0
    after = [p for p in fake.files("review-forge-data") if p.startswith("feedback/")]
    assert len(after) == 2 and set(snapshots) < set(after)
    latest = {r["reply_comment_id"]: (r["up"], r["down"]) for r in latest_per_reply(feedback(fake))}
    assert latest == {liked: (1, 1), disliked: (0, 1)}

    # 4. Retrain: trains, passes the gate against the base model, commits adapter/ and a report.
    summary = github_env("201")
    assert review_forge(["retrain", "--base-model", str(taught_base), *QUICK]) == 0, (
        capsys.readouterr().err
    )
    files = fake.files("review-forge-data")
    assert {p for p in files if p.startswith("adapter/")} == {
        "adapter/adapter_model.safetensors", "adapter/adapter_config.json", "adapter/manifest.json",
    }  # fmt: skip
    manifest = json.loads(files["adapter/manifest.json"])
    revision = manifest["revision"]
    assert manifest["parent_revision"] is None and manifest["base_model"] == str(taught_base)
    assert manifest["trained_from_revision"]  # the SFT warm-up it continued
    assert manifest["metrics"]["gate"]["passed"] and manifest["kind"] == "TRL_GRPO"
    assert manifest["metrics"]["candidate"]["format_validity"] >= 0.8
    report = json.loads(files[manifest["promotion"]["report"]])
    assert report["gate"] == report["gate"] | {"passed": True, "reasons": []}
    assert report["data"]["feedback_snapshots"] == 4 and report["data"]["replies"] == 2
    text = summary.read_text(encoding="utf-8")
    assert "adapter promoted" in text and f"now holds revision `{revision}`" in text
    assert "xychart-beta" in text and 'x-axis "training step" [1, 2]' in text

    # 5. The next Action run scores with the promoted adapter and records its revision.
    files = fake.files("review-forge-data")
    third = fake.add_review_comment(PR, "Nit: rename tmp to pending_jobs.", user="bob", path=PATH)
    dispatch(github_env, tmp_path, "2", **inputs)
    now = replies(fake)
    assert sorted(now) == sorted([*targets, third])
    assert {t: r["id"] for t, r in now.items() if t in first} == {
        t: r["id"] for t, r in first.items()
    }  # edited in place, not posted again
    for target, reply in now.items():
        assert find_marker(reply["body"]).rev == revision
        posted = find_score(reply["body"])
        assert posted["model_revision"] == revision
        if target in targets:  # the comments the base was taught to answer: the model's own score
            assert (posted["scorer"], posted["score"], posted["fallback_reason"]) == (
                "model", 64, None,
            )  # fmt: skip

    # 6. A deliberately worse candidate (the promoted adapter, its LoRA B replaced by noise) is
    # refused: it no longer writes the format.
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
    assert refused["gate"]["passed"] is False
    assert refused["current"] == {"revision": revision}
    assert any(r.startswith("format validity fell from 100.0%") for r in refused["gate"]["reasons"])
    assert "::notice::review-forge: candidate" in out and "not promoted" in out
    text = summary.read_text(encoding="utf-8")
    assert "candidate not promoted" in text and "is unchanged" in text

    # 7. The next retrain continues the promoted adapter (no warm-up) and replaces it.
    github_env("203")
    assert review_forge(["retrain", "--max-steps", "1", *QUICK[2:]]) == 0, capsys.readouterr().err
    manifest = json.loads(fake.files("review-forge-data")["adapter/manifest.json"])
    assert manifest["revision"] != revision
    assert manifest["parent_revision"] == manifest["trained_from_revision"] == revision
    assert manifest["base_model"] == str(taught_base)  # from the promoted adapter's manifest
    assert manifest["metrics"]["gate"]["rule"].startswith("Compared with the promoted adapter")
