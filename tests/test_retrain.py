"""The retrain's parts without a training run: the held-out split, the first adapter's gate, the
report, the entry point's promotion and refusal with a given candidate, and the Action's download
of the promoted adapter (blob sha cache, manifest checks, pins, fallbacks) against the fake GitHub.
Training itself runs in tests/test_closed_loop.py and tests/test_training.py."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from review_forge.bot.adapter import adapter_revision
from review_forge.bot.cli import main as review_forge
from review_forge.bot.errors import ConfigError, ModelUnavailable
from review_forge.bot.github.adapter_store import cache_root, fetch_adapter, git_blob_sha
from review_forge.bot.github.data_branch import DataStore
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import DIMENSIONS
from review_forge.bot.scoring.scorer import choose_scorer
from review_forge.bot.settings import Config
from review_forge.training.dataset import is_heldout, split_feedback, synthetic_rows
from review_forge.training.manifest import write_manifest
from review_forge.training.report import MAX_POINTS, chart, render

ROOT = Path(__file__).resolve().parents[1]
REVIEW_FORGE = str(Path(sys.executable).with_name("review-forge"))  # the console script
BRANCH = "review-forge-data"


# --- the split --------------------------------------------------------------------------------


def _record(reply: int, up: int, down: int, when: str) -> dict:
    return {"reply_comment_id": reply, "up": up, "down": down, "collected_at": when, "body": "x"}


def test_the_split_keeps_each_reply_on_one_side_with_its_newest_snapshot():
    old = [_record(r, 1, 0, "2024-05-01T00:00:00Z") for r in range(200)]
    new = [_record(r, 0, 1, "2024-05-08T00:00:00Z") for r in range(200)]

    train, held = split_feedback(old + new)
    again_train, again_held = split_feedback(list(reversed(new)) + old)

    assert {r["reply_comment_id"] for r in held} == {r for r in range(200) if is_heldout(r)}
    assert {r["reply_comment_id"] for r in train} == {r for r in range(200) if not is_heldout(r)}
    assert all((r["up"], r["down"]) == (0, 1) for r in train + held)  # the newest snapshot only
    assert sorted(r["reply_comment_id"] for r in again_held) == sorted(
        r["reply_comment_id"] for r in held
    )  # the order of the snapshots changes nothing
    assert 25 <= len(held) <= 55  # about 20 in 100
    assert len(again_train) == len(train)


def test_the_held_out_file_carries_the_reactions_the_gate_measures_surprise_at(tmp_path):
    from review_forge.bot.gate import score_and_measure
    from review_forge.bot.heldout import load_heldout
    from review_forge.training.dataset import prepare

    posted = {"score": 40, "dimensions": dict.fromkeys(DIMENSIONS, 40)}
    records = [
        {**_record(r, r % 3, (r + 1) % 2, "2024-05-01T00:00:00Z"), "body": f"Add a test {r}.",
         "posted": posted}
        for r in range(120)
    ]  # fmt: skip

    data = prepare(records, tmp_path, synthetic=0, heldout_synthetic=0)

    written = [json.loads(line) for line in data.heldout_file.read_text().splitlines()]
    reacted = {r for r in range(120) if is_heldout(r) and (r % 3 or (r + 1) % 2)}
    assert {w["reply_comment_id"] for w in written} == reacted  # silent replies left out
    assert all("judged_score" not in w for w in written)  # nothing fitted to the held-out side
    assert data.counts["heldout_replies_with_votes"] == len(reacted)
    measured = score_and_measure("rubric", RubricScorer(), load_heldout(data.heldout_file))
    assert measured.unit == "nats" and len(measured.errors) == len(reacted)
    assert data.counts["judged_rows"] >= 120 - sum(is_heldout(r) for r in range(120))


def test_held_out_synthetic_rows_are_stable_and_never_trained_on():
    train_small, held_small = synthetic_rows(8, 6)
    train_big, held_big = synthetic_rows(60, 6)

    assert held_small == held_big  # the held-out set does not move with the training size
    assert len(train_small) == 8 and len(train_big) == 60
    held = {(r["body"], r["diff_hunk"]) for r in held_big}
    assert not held & {(r["body"], r["diff_hunk"]) for r in train_big}


# --- the report -------------------------------------------------------------------------------


def test_the_chart_keeps_at_most_max_points_and_the_last_step():
    steps = list(range(1, 301))
    text = chart(steps, [s / 100 for s in steps], "t")
    xs = text.split("[")[1].split("]")[0].split(", ")
    ys = text.split("line [")[1].split("]")[0].split(", ")
    assert len(xs) == len(ys) <= MAX_POINTS
    assert (xs[0], xs[-1], ys[-1]) == ("1", "300", "3")


def _report(measures: list[dict], revision: str | None = "abc") -> dict:
    return {
        "gate": {"passed": False, "reasons": ["validity fell"], "rule": "r", "gains": {}},
        "candidate": {"revision": revision, "reward_curve": None},
        "evaluation": {"measures": measures},
        "data_branch": BRANCH, "dry_run": False, "bootstrap": True, "data_commit": None,
        "base_model": "@everyone <script>alert(1)</script>",
        "data": dict.fromkeys(("feedback_snapshots", "train_replies", "heldout_replies",
                               "train_replies_with_votes", "heldout_replies_with_votes",
                               "judged_rows", "synthetic_train", "synthetic_heldout"), 0),
    }  # fmt: skip


def test_the_report_escapes_what_it_read_from_the_data_branch():
    measure = {"scorer": "candidate <b>abc</b>", "error": 4.5, "validity": 1.0,
               "synthetic_mae": None, "replies": 40}  # fmt: skip
    text = render(_report([measure, {**measure, "scorer": "rubric", "error": 7.25}]))
    assert "<script>" not in text and "<b>" not in text and "@everyone" not in text
    assert "**Not promoted.**" in text and "- validity fell" in text
    label = "error against the people's judgement (points) (n=40 held-out replies)"
    assert f"| {label} | 4.50 | 7.25 |" in text
    assert "No training curve" in text and "bootstrapped from synthetic rows" in text


def test_a_run_that_trained_nothing_says_why_and_what_it_needs():
    report = _report([], revision=None)
    report["gate"]["reasons"] = ["only 3 held-out replies with reactions; the gate needs 30"]
    text = render(report)
    assert "## review-forge retrain: nothing trained" in text
    assert "- only 3 held-out replies" in text and "Held-out metrics" not in text


# --- the entry point with a given candidate (no training) --------------------------------------


@pytest.fixture
def env(fake_github, monkeypatch, tmp_path):
    for var in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "INPUT_ADAPTER"):
        monkeypatch.delenv(var, raising=False)
    values = {
        "GITHUB_TOKEN": fake_github.token, "GITHUB_API_URL": fake_github.url,
        "GITHUB_REPOSITORY": fake_github.repo.full_name, "GITHUB_RUN_ID": "77",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_WORKSPACE": str(tmp_path),
        "INPUT_GITHUB_REQUEST_INTERVAL": "0", "INPUT_GITHUB_WRITE_INTERVAL": "0",
    }  # fmt: skip
    for var, value in values.items():
        monkeypatch.setenv(var, value)
    return tmp_path


@pytest.fixture
def candidate(tiny_model_dir, tmp_path):
    from tests.support.tiny_model import build_tiny_adapter

    return build_tiny_adapter(tiny_model_dir, tmp_path / "candidate", seed=3)


GIVEN = ["--synthetic", "0", "--heldout-synthetic", "2"]


def test_a_first_adapter_without_held_out_reactions_is_refused_and_says_why(
    fake_github, env, candidate, tiny_model_dir, capsys
):
    code = review_forge(
        ["retrain", "--candidate", str(candidate), "--base-model", str(tiny_model_dir), *GIVEN]
    )

    assert code == 0
    files = fake_github.files(BRANCH)
    assert not [p for p in files if p.startswith("adapter/")]
    report = json.loads(files["reports/" + _today() + "-77.json"])
    assert report["gate"]["passed"] is False and report["current"] is None
    assert report["gate"]["reasons"] == [
        "only 0 held-out replies with reactions; the gate needs 30 to tell a better scorer from "
        "noise: 30 more (1 reacted reply in 5 is held out, so about 150 more reacted replies in "
        "all)"
    ]
    assert report["bootstrap"] is True and report["data"]["feedback_snapshots"] == 0
    summary = (env / "summary.md").read_text(encoding="utf-8")
    assert summary == files["reports/" + _today() + "-77.md"].decode()
    assert "candidate not promoted" in summary
    assert "::notice::review-forge: candidate" in capsys.readouterr().out


def test_without_held_out_reactions_nothing_is_trained(fake_github, env, tiny_model_dir, capsys):
    # No --candidate: the retrain would train, but nothing could pass the gate, so it spares
    # the runner the hours and commits a report that says how many reactions are missing.
    code = review_forge(["retrain", "--base-model", str(tiny_model_dir), *GIVEN])

    assert code == 0
    files = fake_github.files(BRANCH)
    report = json.loads(files["reports/" + _today() + "-77.json"])
    assert report["candidate"] == {"revision": None, "source": "not trained"}
    assert report["gate"]["reasons"][0].startswith("only 0 held-out replies")
    assert "nothing trained" in (env / "summary.md").read_text(encoding="utf-8")


def test_a_dry_run_commits_nothing_and_keeps_the_candidate(
    fake_github, env, candidate, tiny_model_dir
):
    out = env / "out"
    args = ["--candidate", str(candidate), "--base-model", str(tiny_model_dir), "--dry-run"]
    assert review_forge(["retrain", *args, "--output", str(out), *GIVEN]) == 0

    assert fake_github.ref_sha(BRANCH) is None  # not even the branch was created
    report = json.loads((out / f"{_today()}-77.json").read_text())
    assert report["dry_run"] is True and report["candidate"]["source"] == "given"
    assert (out / "candidate" / "adapter_model.safetensors").read_bytes() == (
        candidate / "adapter_model.safetensors"
    ).read_bytes()
    assert (out / "heldout.jsonl").is_file()  # `review-forge eval --data` can compare on it


def test_bad_input_is_one_line_and_exit_2(env, tmp_path):
    cases = [
        (["--candidate", str(tmp_path / "missing")], "candidate adapter folder"),
        (["--candidate", str(tmp_path), "--repository", ""], "no repository"),
    ]
    for args, message in cases:
        result = subprocess.run(
            [REVIEW_FORGE, "retrain", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_TOKEN": "t"},
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("review-forge: error: ") and message in result.stderr
        assert "Traceback" not in result.stderr


def test_help_names_the_knobs():
    result = subprocess.run(
        [REVIEW_FORGE, "retrain", "--help"], cwd=ROOT, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0
    for knob in ("--max-steps", "--base-model", "--dry-run", "--candidate", "--warmup"):
        assert knob in result.stdout


# --- the Action's download of the promoted adapter ---------------------------------------------


def _today() -> str:
    from datetime import UTC, datetime

    return f"{datetime.now(UTC):%Y-%m-%d}"


def _store(fake) -> DataStore:
    return DataStore(fake.client().get_repo(fake.repo.full_name), BRANCH, sleep=lambda s: None)


def _promote(fake, folder: Path, base: Path, **manifest_fields) -> str:
    """Put an adapter folder on the data branch as `adapter/`, as a promotion does."""
    write_manifest(folder, base_model=str(base), **manifest_fields)
    files = {f"adapter/{p.name}": p.read_bytes() for p in folder.iterdir()}
    return _store(fake).add_files(files, "promote", replace_dir="adapter/")


def _config(fake, tmp_path, **extra) -> Config:
    values = dict(github_token=fake.token, api_url=fake.url, repository=fake.repo.full_name,
                  github_request_interval=0.0, github_write_interval=0.0,
                  workspace=str(tmp_path), adapter="data-branch")  # fmt: skip
    return Config(**(values | extra))


def test_the_adapter_is_downloaded_once_by_blob_sha_and_reused(fake_github, tmp_path, candidate):
    base = json.loads((candidate / "adapter_config.json").read_text())["base_model_name_or_path"]
    _promote(fake_github, candidate, Path(base))
    cache = cache_root(_config(fake_github, tmp_path))

    first = fetch_adapter(_store(fake_github), cache)
    blob_reads = len(fake_github.calls("GET", r"/git/blobs/"))
    again = fetch_adapter(_store(fake_github), cache)

    assert blob_reads == 3
    assert len(fake_github.calls("GET", r"/git/blobs/")) == blob_reads  # nothing downloaded again
    assert first == again
    assert first.folder == tmp_path / ".cache" / "review-forge" / "adapters" / first.blobs[
        "adapter_model.safetensors"
    ]  # fmt: skip
    for name, sha in first.blobs.items():
        assert git_blob_sha((first.folder / name).read_bytes()) == sha


def test_a_tampered_cache_is_downloaded_again(fake_github, tmp_path, candidate, tiny_model_dir):
    _promote(fake_github, candidate, tiny_model_dir)
    cache = tmp_path / "cache"
    first = fetch_adapter(_store(fake_github), cache)
    (first.folder / "adapter_config.json").write_text("{}")

    again = fetch_adapter(_store(fake_github), cache)

    assert again.revision == first.revision
    assert len(fake_github.calls("GET", r"/git/blobs/")) == 6


def test_files_that_do_not_match_their_manifest_are_refused(
    fake_github, tmp_path, candidate, tiny_model_dir
):
    write_manifest(candidate, base_model=str(tiny_model_dir))
    manifest = json.loads((candidate / "manifest.json").read_text())
    manifest["files"]["adapter_model.safetensors"]["sha256"] = "0" * 64
    files = {f"adapter/{p.name}": p.read_bytes() for p in candidate.iterdir()}
    files["adapter/manifest.json"] = json.dumps(manifest).encode()
    _store(fake_github).add_files(files, "a tampered promotion", replace_dir="adapter/")
    config = _config(fake_github, tmp_path, base_model=str(tiny_model_dir))

    with pytest.raises(ModelUnavailable, match="does not match its manifest"):
        fetch_adapter(_store(fake_github), tmp_path / "cache")
    scorer, reason = choose_scorer(config, fake_github.client())
    assert isinstance(scorer, RubricScorer)
    assert "adapter/adapter_model.safetensors does not match its manifest" in reason
    assert reason.endswith("; the rubric scored it")
    with pytest.raises(ModelUnavailable):  # scorer: model never falls back silently
        choose_scorer(replace(config, scorer="model"), fake_github.client())


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no adapter on data branch review-forge-data yet"),
        ({"adapter/adapter_model.safetensors": b"x", "adapter/adapter_config.json": b"{}"},
         "adapter/ on data branch review-forge-data has no manifest.json"),
    ],
)  # fmt: skip
def test_no_usable_adapter_means_the_rubric_and_says_why(fake_github, tmp_path, files, message):
    if files:
        _store(fake_github).add_files(files, "half an adapter")
    config = _config(fake_github, tmp_path)

    scorer, reason = choose_scorer(config, fake_github.client())

    assert isinstance(scorer, RubricScorer) and reason.startswith(message)
    with pytest.raises(ModelUnavailable, match=message.split(" yet")[0]):
        choose_scorer(replace(config, scorer="model"), fake_github.client())
    assert choose_scorer(replace(config, scorer="rubric"), fake_github.client())[1] is None


def test_a_pin_keeps_the_adapter_of_that_commit(fake_github, tmp_path, tiny_model_dir):
    from tests.support.tiny_model import build_tiny_adapter

    one = build_tiny_adapter(tiny_model_dir, tmp_path / "one", seed=1)
    two = build_tiny_adapter(tiny_model_dir, tmp_path / "two", seed=2)
    pinned = _promote(fake_github, one, tiny_model_dir)
    _promote(fake_github, two, tiny_model_dir)
    config = _config(fake_github, tmp_path, base_model=str(tiny_model_dir))

    latest, _ = choose_scorer(config, fake_github.client())
    held, _ = choose_scorer(replace(config, adapter=f"data-branch@{pinned}"),
                                 fake_github.client())  # fmt: skip

    assert (latest.revision, held.revision) == (adapter_revision(two), adapter_revision(one))
    with pytest.raises(ConfigError, match="commit sha"):
        choose_scorer(replace(config, adapter="data-branch@main"), fake_github.client())
    scorer, reason = choose_scorer(
        replace(config, adapter="data-branch@" + "0" * 40), fake_github.client()
    )
    assert isinstance(scorer, RubricScorer) and "is not on review-forge-data" in reason


def test_the_entry_point_turns_telemetry_off_before_oumi_or_the_hub_load(tmp_path):
    code = (
        "import os, sys; from review_forge.bot.cli import main; "
        "main(['retrain', '--candidate', 'x']); "
        "print(os.environ['DO_NOT_TRACK'], os.environ['HF_HUB_DISABLE_TELEMETRY'], "
        "'oumi' in sys.modules, 'huggingface_hub' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.stdout.split() == ["1", "1", "False", "False"], result.stderr[-2000:]
