"""`review-forge eval`: held-out reading, metrics, the gate's rule, the gate on real adapters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_forge.bot.cli import main
from review_forge.bot.gate import Measure, measure
from review_forge.bot.heldout import load_heldout
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, render


def score(value: int, dims: int | None = None, fallback: str | None = None) -> Score:
    return Score(value, dict.fromkeys(DIMENSIONS, value if dims is None else dims),
                 fallback_reason=fallback)  # fmt: skip


def record(reply: int, body: str, posted: int, up: int, down: int, when: str) -> dict:
    return {
        "schema": 1, "repo": "o/r", "pr": 1, "review_comment_id": reply - 1000,
        "reply_comment_id": reply, "body": body, "diff_hunk": None, "path": None,
        "posted": score(posted).to_dict(), "up": up, "down": down, "reactors": up + down,
        "collected_at": when,
    }  # fmt: skip


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_held_out_rows_carry_judgements_ratings_reactions_and_targets(tmp_path):
    data = write_jsonl(tmp_path / "h.jsonl", [
        {"id": "a", "body": "x", "target_score": 50},
        {**record(7, "z", posted=60, up=2, down=0, when="2024-01-01T00:00:00Z"),
         "judged_score": 64},
        {**record(8, "w", posted=60, up=0, down=3, when="2024-01-01T00:00:00Z"), "rating": 20},
        record(9, "reactions only", posted=60, up=0, down=3, when="2024-01-01"),
        record(10, "nobody reacted: left out", posted=60, up=0, down=0, when="2024-01-01"),
    ])  # fmt: skip
    rows = {r.id: r for r in load_heldout(data)}
    assert set(rows) == {"a", "7", "8", "9"}
    assert (rows["9"].judged, rows["9"].posted, rows["9"].down) == (None, 60, 3)
    assert (rows["a"].target, rows["a"].judged) == (50, None)
    assert (rows["7"].judged, rows["7"].posted, rows["7"].up) == (64, 60, 2)
    assert rows["8"].judged == 20  # the person's own rating is their judgement


def test_measure_takes_errors_against_judgements_validity_and_synthetic_mae(tmp_path):
    data = write_jsonl(tmp_path / "h.jsonl", [
        {"id": "a", "body": "x", "target_score": 50},
        {**record(7, "z", posted=60, up=2, down=0, when="2024-01-01"), "judged_score": 64},
        {**record(8, "w", posted=60, up=0, down=3, when="2024-01-01"), "judged_score": 30},
    ])  # fmt: skip
    rows = load_heldout(data)
    scores = [score(56), score(70, fallback="did not parse"), score(35)]
    assert measure("s", rows, scores) == Measure("s", 0.667, (6.0, 5.0), 6.0)


def test_the_newest_snapshot_counts(tmp_path):
    data = write_jsonl(tmp_path / "h.jsonl", [
        {**record(1, "first", posted=40, up=0, down=2, when="2024-05-03T00:00:00Z"),
         "judged_score": 10},
        {**record(1, "first", posted=40, up=3, down=0, when="2024-05-01T00:00:00Z"),
         "judged_score": 45},  # older
    ])  # fmt: skip
    (row,) = load_heldout(data)
    assert (row.judged, row.down) == (10, 2)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"body": "x", "target_score": 50}', "not json"], "h.jsonl line 2:"),
        (['{"body": "x", "target_score": 150}'], "h.jsonl line 1: target_score is 150"),
        (['{"target_score": 50}'], "h.jsonl line 1: not an object with a string body"),
        (['{"body": "x"}'], "no row with a target_score, a judged_score, a rating or reactions"),
        ([], "no row with a target_score"),
    ],
)
def test_unusable_held_out_data_is_one_line_and_exit_2(lines, message, tmp_path, capsys):
    data = tmp_path / "h.jsonl"
    data.write_text("\n".join(lines), encoding="utf-8")
    assert main(["eval", "--data", str(data), "--candidate", "rubric"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_missing_adapter_folder_is_exit_2(tmp_path, capsys):
    data = write_jsonl(tmp_path / "h.jsonl", [{"body": "x", "target_score": 50}])
    assert main(["eval", "--data", str(data), "--candidate", str(tmp_path / "nope")]) == 2
    assert f"adapter folder {tmp_path / 'nope'} not found" in capsys.readouterr().err


# ---- the gate on real adapters over the tiny local model ------------------------------------

BODIES = [
    ("LGTM", None, None),
    ("Please rename `tmp` to `retry_count`, because the loop reads it as the number of retries.",
     "@@ -1,2 +1,3 @@\n def fetch(url):\n+    tmp = 0", "src/net.py"),
    ("This is wrong.", None, None),
    ("The loop in `merge_rows` reads past the end of `items`; stop at `len(items)`, since the "
     "last pass raises IndexError.", None, "lib/rows.py"),
    ("Why?", None, None),
    ("Could you add a test for the empty input? It changes what callers get back.", None, None),
]  # fmt: skip


def train_adapter(base: Path, answers: list[tuple[tuple, str]], out: Path, steps: int = 150):
    """A LoRA adapter taught to write `answer` for each comment: an adapter that writes the
    canonical format, as a trained one would (the random base alone writes noise)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from review_forge.bot.scoring.prompt import build_messages

    tok = AutoTokenizer.from_pretrained(base)
    torch.manual_seed(0)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=[*targets, "lm_head"])
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base), lora)
    rows = []
    for (body, hunk, path), answer in answers:
        messages = build_messages(body, hunk, path)
        prompt = tok(tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        reply = tok("\n" + answer, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        rows.append((prompt["input_ids"] + reply, [-100] * len(prompt["input_ids"]) + reply))
    width = max(len(ids) for ids, _ in rows)
    ids = torch.tensor([i + [tok.pad_token_id] * (width - len(i)) for i, _ in rows])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in rows])
    mask = (ids != tok.pad_token_id).long()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains fastest on one thread (no idle spinning)
    try:
        for _ in range(steps):
            model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="module")
def setup(tiny_model_dir, tmp_path_factory):
    """Held-out rows whose labels disagree with the rubric (people rated them), an adapter that
    answers them right, and a random adapter whose answers never parse."""
    from tests.support.tiny_model import build_tiny_adapter

    root = tmp_path_factory.mktemp("eval")
    rubric = [score_comment(Comment(*b)).score for b in BODIES]
    truth = [90 if r < 50 else 10 for r in rubric]  # far from the rubric on every row
    # People reacted to the scores the rubric posted, and their reactions, pooled, put their own
    # score far from the rubric's (as the retrain's judgement model reads it): `judged_score`.
    rows = [
        {**record(i + 1, b, posted=r, up=0, down=2, when="2024-01-01"), "diff_hunk": h,
         "path": p, "judged_score": t}
        for i, ((b, h, p), r, t) in enumerate(zip(BODIES, rubric, truth, strict=True))
    ]  # fmt: skip
    answers = [
        render(Score(t, dict.fromkeys(DIMENSIONS, t), recommendations=["Say why."])) for t in truth
    ]
    good = train_adapter(tiny_model_dir, list(zip(BODIES, answers, strict=True)), root / "good")
    bad = build_tiny_adapter(tiny_model_dir, root / "bad", seed=3)
    return {"data": write_jsonl(root / "heldout.jsonl", rows), "good": good, "bad": bad,
            "base": tiny_model_dir, "root": root}  # fmt: skip


def run_eval(setup, candidate, current, capsys) -> tuple[int, dict, str]:
    report = setup["root"] / f"report-{Path(candidate).name}-{Path(current).name}.json"
    argv = ["eval", "--data", str(setup["data"]), "--candidate", str(candidate),
            "--current", str(current), "--base-model", str(setup["base"]), "--gate",
            "--report", str(report), "--min-replies", "6"]  # fmt: skip
    code = main(argv)
    return code, json.loads(report.read_text(encoding="utf-8")), capsys.readouterr().out


def test_the_gate_accepts_the_better_adapter(setup, capsys):
    code, report, out = run_eval(setup, setup["good"], setup["bad"], capsys)
    assert code == 0, out
    assert report["gate"]["passed"] and report["gate"]["reasons"] == []
    good, rubric, bad = report["measures"]
    assert good["validity"] >= 0.8 and bad["validity"] == 0.0
    assert rubric["error"] >= 40  # the rubric is far from the people, the good adapter is not
    assert good["error"] < rubric["error"] / 2
    assert bad["error"] == rubric["error"]  # the random adapter's answers fall back to the rubric
    assert report["gate"]["gains"]["rubric"]["lower"] > 0
    assert "gate: PASS" in out


def test_the_gate_refuses_the_worse_adapter(setup, capsys):
    code, report, out = run_eval(setup, setup["bad"], setup["good"], capsys)
    assert code == 1
    reasons = report["gate"]["reasons"]
    assert len(reasons) == 3
    assert reasons[0].startswith("format validity fell from") and reasons[0].endswith("to 0%")
    assert reasons[1].startswith("not better than rubric beyond noise")
    assert reasons[2].startswith(f"not better than {setup['good']} (")
    assert "gate: FAIL" in out and all(r in out for r in reasons)


@pytest.mark.parametrize(("which", "expected"), [("good", 0), ("bad", 1)])
def test_against_the_rubric(setup, which, expected, capsys):
    code, report, _ = run_eval(setup, setup[which], "rubric", capsys)
    assert code == expected
    assert [m["scorer"] for m in report["measures"]][1:] == ["rubric"]
    assert report["measures"][1]["validity"] == 1.0
