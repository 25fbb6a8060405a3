"""Training rows and the Oumi datasets: newest snapshot per reply, reward columns, prompt budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_forge.bot.errors import InputError
from review_forge.bot.scoring.prompt import build_messages
from review_forge.bot.scoring.score import DIMENSIONS, Score, render
from review_forge.training.rows import read_training_data

POSTED = Score(score=35, dimensions=dict.fromkeys(DIMENSIONS, 35)).to_dict()


def feedback(reply: int, up: int, down: int, when: str, body: str = "Fix it.") -> dict:
    return {
        "schema": 1,
        "repo": "octo/app",
        "pr": 3,
        "review_comment_id": 1000 + reply,
        "reply_comment_id": reply,
        "body": body,
        "diff_hunk": "@@ -1 +1 @@\n-a\n+b",
        "path": "app.py",
        "posted": POSTED,
        "up": up,
        "down": down,
        "reactors": up + down,
        "collected_at": when,
    }


def synthetic(i: int, target: int = 60, **extra: object) -> dict:
    score = Score(score=target, dimensions=dict.fromkeys(DIMENSIONS, target))
    row = {
        "id": f"syn-{i}",
        "body": f"Please rename tmp{i} to pending_jobs.",
        "diff_hunk": None,
        "path": None,
        "target_score": target,
        "target_dimensions": score.dimensions,
        "completion": render(score),
    }
    return {**row, **extra}


def write(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_newest_snapshot_per_reply_wins_across_files_and_folders(tmp_path):
    # The data branch layout: feedback/YYYY/MM/DD/<run>.jsonl, read recursively.
    write(tmp_path / "feedback/2026/01/01/run1.jsonl", [feedback(1, 0, 1, "2026-01-01T10:00:00Z")])
    write(
        tmp_path / "feedback/2026/01/02/run2.jsonl",
        [feedback(1, 2, 0, "2026-01-02T10:00:00Z"), feedback(2, 0, 3, "2026-01-02T10:00:00Z")],
    )
    # An older snapshot read later (out-of-order file name) must not win.
    write(tmp_path / "feedback/2026/01/03/late.jsonl", [feedback(2, 5, 0, "2025-12-31T00:00:00Z")])
    data = read_training_data([tmp_path / "feedback"])
    votes = {row["id"]: row["feedback"] for row in data.rows}
    assert votes == {"feedback-1": 2, "feedback-2": -3}
    assert data.feedback_snapshots == 4
    assert all(row["posted_score"] == 35.0 and row["target_score"] is None for row in data.rows)


def test_rows_without_signal_are_left_out_and_counted(tmp_path):
    file = write(
        tmp_path / "mixed.jsonl",
        [
            synthetic(0),
            synthetic(1, 20),
            feedback(7, 1, 1, "2026-01-01T00:00:00Z"),
            feedback(8, 0, 0, "2026-01-01T00:00:00Z"),
            feedback(9, 0, 2, "2026-01-01T00:00:00Z"),
        ],
    )
    data = read_training_data([file])
    assert data.counts() == {
        "rows": 3,
        "synthetic": 2,
        "feedback_snapshots": 3,
        "feedback_used": 1,
        "feedback_without_signal": 2,
    }
    assert [r["target_score"] for r in data.rows] == [60.0, 20.0, None]


def test_digest_changes_with_the_data(tmp_path):
    one = read_training_data([write(tmp_path / "a.jsonl", [synthetic(0)])])
    same = read_training_data([write(tmp_path / "b.jsonl", [synthetic(0)])])
    other = read_training_data([write(tmp_path / "c.jsonl", [synthetic(0, 61)])])
    assert one.digest() == same.digest() != other.digest()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "is not JSON"),
        ("[1, 2]\n", "must be a JSON object"),
        (json.dumps({"body": "x"}) + "\n", "has no `target_score`"),
        (json.dumps({"body": "x", "target_score": "high"}) + "\n", "is not a number"),
        (json.dumps({**feedback(1, 1, 0, "yesterday")}) + "\n", "not an ISO 8601 time"),
        (json.dumps({**feedback(1, 1, 0, "2026-01-01"), "posted": {"score": 5}}) + "\n", "missing"),
        (json.dumps(synthetic(0, body="")) + "\n", "has no `body`"),
        ("\n", "no training rows"),
    ],
)
def test_bad_lines_name_the_problem(tmp_path, content, message):
    file = tmp_path / "bad.jsonl"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_training_data([file])


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_training_data([tmp_path / "nope.jsonl"])


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def prompt_tokens(tokenizer, messages) -> int:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_grpo_dataset_rows_carry_prompt_and_reward_columns(tmp_path, tokenizer):
    from review_forge.training.oumi_data import ReviewForgeGrpoDataset

    file = write(
        tmp_path / "mixed.jsonl", [synthetic(0, 80), feedback(5, 0, 2, "2026-01-01T00:00:00Z")]
    )
    hf = ReviewForgeGrpoDataset(dataset_path=str(file), tokenizer=tokenizer).to_hf()
    rows = list(hf)
    assert rows[0]["prompt"] == build_messages("Please rename tmp0 to pending_jobs.")
    assert (rows[0]["target_score"], rows[0]["posted_score"], rows[0]["feedback"]) == (80, None, 0)
    assert rows[0]["target_dimensions"] == dict.fromkeys(DIMENSIONS, 80.0)
    assert rows[1]["prompt"] == build_messages("Fix it.", "@@ -1 +1 @@\n-a\n+b", "app.py")
    assert (rows[1]["target_score"], rows[1]["posted_score"], rows[1]["feedback"]) == (None, 35, -2)
    assert rows[1]["target_dimensions"] is None


def test_long_comments_are_cut_to_the_prompt_budget(tmp_path, tokenizer):
    from review_forge.training.oumi_data import ReviewForgeGrpoDataset

    hunk = "\n".join(f"+    total += values[{i}]" for i in range(400))
    records = [synthetic(0, body="Please check this loop. " * 600, diff_hunk=hunk, path="a.py")]
    file = write(tmp_path / "long.jsonl", records)
    row = ReviewForgeGrpoDataset(
        dataset_path=str(file), tokenizer=tokenizer, max_prompt_tokens=300
    )[0]
    assert prompt_tokens(tokenizer, row["prompt"]) <= 300
    assert " [cut]" in row["prompt"][1]["content"]  # hunk dropped, then the body cut
    assert "values[" not in row["prompt"][1]["content"]
    short = [synthetic(1, diff_hunk=hunk, path="a.py")]
    row = ReviewForgeGrpoDataset(
        dataset_path=str(write(tmp_path / "hunk.jsonl", short)),
        tokenizer=tokenizer,
        max_prompt_tokens=300,
    )[0]
    user = row["prompt"][1]["content"]
    assert prompt_tokens(tokenizer, row["prompt"]) <= 300
    assert "earlier lines cut]" in user and "values[399]" in user and "values[0]" not in user


def test_sft_dataset_keeps_synthetic_rows_with_their_canonical_completion(tmp_path, tokenizer):
    from review_forge.training.oumi_data import ReviewForgeSftDataset

    file = write(tmp_path / "mixed.jsonl", [synthetic(0, 70), feedback(5, 3, 0, "2026-01-01")])
    rows = list(ReviewForgeSftDataset(dataset_path=str(file), tokenizer=tokenizer).to_hf())
    assert len(rows) == 1
    assert rows[0]["completion"] == [
        {"role": "assistant", "content": synthetic(0, 70)["completion"]}
    ]


def test_sft_dataset_without_completions_is_refused(tmp_path, tokenizer):
    from review_forge.training.oumi_data import ReviewForgeSftDataset

    file = write(tmp_path / "feedback.jsonl", [feedback(5, 3, 0, "2026-01-01")])
    with pytest.raises(InputError, match="needs synthetic rows"):
        ReviewForgeSftDataset(dataset_path=str(file), tokenizer=tokenizer)
