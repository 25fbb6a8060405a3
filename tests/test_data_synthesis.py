"""Synthetic training rows: the seed's command, balance, variety, labels, hunks, the judge path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from review_forge.bot.scoring.score import DIMENSIONS, parse
from review_forge.training.data_synthesis import KINDS, QUALITIES, main, synthesize
from review_forge.training.judge_relabel import read_judgement, relabel_with_judge
from review_forge.training.synthetic_templates import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
HUNK_HEADER = re.compile(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$")


@pytest.fixture(scope="module")
def many() -> list[dict]:
    return synthesize(3000, seed=7)


def test_the_seeds_command_works_as_written(tmp_path):
    # Run as a script path from another folder: the repo root must be importable by itself.
    out = tmp_path / "data" / "training_data.jsonl"
    result = subprocess.run(
        [sys.executable, str(ROOT / "training" / "data_synthesis.py"),
         "--num-examples", "100", "--output", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 100
    assert f"wrote 100 rows to {out}" in result.stdout
    assert rows == synthesize(100, seed=0)  # the script and the function API agree


@pytest.mark.parametrize("n", [1, 2, 3, 100, 301])
def test_qualities_come_in_equal_shares(n):
    counts = Counter(r["quality"] for r in synthesize(n, seed=3))
    assert sum(counts.values()) == n
    assert max(counts.values()) - min(counts[q] for q in QUALITIES) <= 1


def test_same_seed_same_rows_other_seed_other_rows():
    assert synthesize(50, seed=11) == synthesize(50, seed=11)
    other = synthesize(50, seed=12)
    assert {r["body"] for r in other} != {r["body"] for r in synthesize(50, seed=11)}


def test_thousands_of_rows_without_a_duplicate(many):
    assert len({(r["body"], r["diff_hunk"]) for r in many}) == len(many)
    assert len({r["id"] for r in many}) == len(many)


def test_rows_vary_in_language_kind_tone_length_and_context(many):
    assert {r["language"] for r in many} == set(LANGUAGES)
    assert {r["kind"] for r in many} == set(KINDS) == {
        "bug", "naming", "tests", "performance", "security", "docs", "style",
    }  # fmt: skip
    assert {r["tone"] for r in many} == {"kind", "neutral", "curt", "hostile"}
    assert {r["body"] for r in many} >= {"LGTM", "?"}
    assert max(len(r["body"]) for r in many) > 400
    assert any("\n\n" in r["body"] for r in many)  # paragraphs
    with_hunk = sum(r["diff_hunk"] is not None for r in many) / len(many)
    assert 0.6 < with_hunk < 0.9
    assert any(r["path"] is None for r in many)
    hostile = [r for r in many if r["tone"] == "hostile"]
    assert hostile and all(r["quality"] == "poor" for r in hostile)


def test_labels_are_the_rubrics_and_the_completion_renders_them(many):
    for row in many[:300]:
        score = parse(row["completion"])
        assert score.score == row["target_score"]
        assert score.dimensions == row["target_dimensions"]
        assert set(row["target_dimensions"]) == set(DIMENSIONS)
        assert row["label_source"] == "rubric"


def test_the_rubric_ranks_the_qualities_in_order(many):
    def mean(quality: str) -> float:
        scores = [r["target_score"] for r in many if r["quality"] == quality]
        return sum(scores) / len(scores)

    good, moderate, poor = (mean(q) for q in QUALITIES)
    assert good > moderate + 10 > poor + 20


def test_hunks_are_well_formed_and_good_comments_name_their_code(many):
    named = 0
    good_with_hunk = [r for r in many if r["diff_hunk"] and r["quality"] == "good"]
    for row in (r for r in many if r["diff_hunk"]):
        header, *lines = row["diff_hunk"].split("\n")
        match = HUNK_HEADER.match(header)
        assert match, header
        assert all(line[:1] in (" ", "+", "-") for line in lines)
        assert int(match[2]) == sum(not line.startswith("+") for line in lines)
        assert int(match[4]) == sum(not line.startswith("-") for line in lines)
        assert row["path"].endswith("." + LANGUAGES[row["language"]].ext)
    for row in good_with_hunk:
        quoted = re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", row["body"])
        named += any(name in row["diff_hunk"] for name in quoted)
    assert named / len(good_with_hunk) > 0.9


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--num-examples", "0"], "at least 1"),
        (["--judge-config", "/does/not/exist.yaml"], "judge config /does/not/exist.yaml not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    assert main([*argv, "--output", str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_an_unwritable_output_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert main(["--num-examples", "3", "--output", str(blocker / "out.jsonl")]) == 2
    assert f"cannot write {blocker / 'out.jsonl'}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "raw", "expected"),
    [
        (72, "<judgment>72</judgment>", 72),
        (71.6, "<judgment>71.6</judgment>", 72),
        (0, "<judgment>0</judgment>", 0),
        (140, "<judgment>140</judgment>", None),  # out of range
        (-3, "<judgment>-3</judgment>", None),
        (True, "<judgment>true</judgment>", None),  # a bool is not a score
        (None, "ate 75ve sider Typo", None),  # the tiny model's kind of answer
        (None, "Score: 40", None),  # the canonical format, but incomplete
    ],
)
def test_read_judgement(value, raw, expected):
    assert read_judgement(value, raw) == expected


def test_a_canonical_judgement_gives_score_and_dimensions():
    verdict = read_judgement(
        None, "Score: 40\nClarity: 10\nCompleteness: 20\nActionability: 30\nConstructiveness: 50"
    )
    assert verdict.score == 40
    assert verdict.dimensions == {
        "clarity": 10, "completeness": 20, "actionability": 30, "constructiveness": 50,
    }  # fmt: skip


JUDGE_CONFIG = """\
judge_params:
  system_instruction: "You rate code review comments from 0 (useless) to 100 (excellent)."
  prompt_template: "{comment}\\n\\nHow useful is this review comment for {path}, 0-100?"
  response_format: XML
  judgment_type: INT
inference_config:
  model:
    model_name: MODEL
    torch_dtype_str: float32
  generation:
    max_new_tokens: 12
    temperature: 0.0
  engine: NATIVE
"""


def test_judge_relabelling_runs_the_engine_and_keeps_unreadable_labels(tiny_model_dir, tmp_path):
    config = tmp_path / "judge.yaml"
    config.write_text(JUDGE_CONFIG.replace("MODEL", str(tiny_model_dir)), encoding="utf-8")
    rows = synthesize(4, seed=5)
    before = json.loads(json.dumps(rows))
    stats = relabel_with_judge(rows, config)
    # The random-weight model writes noise, never a <judgment>: every label stays the rubric's.
    assert stats == {"judged": 4, "relabelled": 0, "unparseable": 4}
    assert rows == before


@pytest.mark.training
def test_a_judge_config_that_is_not_one_is_a_config_error(tmp_path, capsys):
    config = tmp_path / "judge.yaml"
    config.write_text("judge_params:\n  response_format: XML\n", encoding="utf-8")
    argv = ["--num-examples", "3", "--judge-config", str(config)]
    assert main([*argv, "--output", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"cannot build the judge from {config}" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_a_judge_answering_in_the_canonical_format_relabels_score_and_dimensions(
    tiny_model_dir, tmp_path
):
    """A tiny model taught three answers, asked through Oumi's NATIVE engine with the scorer's
    own prompt (`{comment}` under the system prompt) and `response_format: RAW`."""
    import shutil

    import torch
    import yaml

    from review_forge.bot.scoring.prompt import SYSTEM_PROMPT
    from review_forge.bot.scoring.score import Score, render
    from tests.support.tiny_model import teach

    rows = [{**r, "diff_hunk": None, "path": None} for r in synthesize(3, seed=2)]
    answers = {
        r["body"]: Score(s, {d: s + i for i, d in enumerate(DIMENSIONS)}, recommendations=["Why."])
        for r, s in zip(rows, (11, 22, 33), strict=True)
    }
    model = shutil.copytree(tiny_model_dir, tmp_path / "judge-model")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains fastest on one thread
    try:
        teach(model, [(body, render(score)) for body, score in answers.items()], steps=200)
    finally:
        torch.set_num_threads(threads)
    config = {
        "judge_params": {"system_instruction": SYSTEM_PROMPT, "prompt_template": "{comment}",
                         "response_format": "RAW", "judgment_type": "TEXT"},
        "inference_config": {"model": {"model_name": str(model), "torch_dtype_str": "float32"},
                             "generation": {"max_new_tokens": 80, "temperature": 0.0},
                             "engine": "NATIVE"},
    }  # fmt: skip
    path = tmp_path / "judge.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert relabel_with_judge(rows, path) == {"judged": 3, "relabelled": 3, "unparseable": 0}
    for row in rows:
        expected = answers[row["body"]]
        assert (row["target_score"], row["target_dimensions"]) == (
            expected.score, expected.dimensions,
        )  # fmt: skip
        assert parse(row["completion"]) == parse(render(expected))
        assert row["label_source"] == "judge"
