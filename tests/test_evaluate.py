"""`review-forge eval`: held-out reading, metrics, the gate's rule, the gate on real adapters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_forge.bot.cli import main
from review_forge.bot.gate import Metrics, Tolerances, agrees, gate, load_heldout, measure
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


@pytest.mark.parametrize(
    ("verdict", "value", "posted", "expected"),
    [("up", 70, 70, True), ("up", 80, 70, True), ("up", 81, 70, False), ("up", 59, 70, False),
     ("down", 70, 70, False), ("down", 80, 70, False), ("down", 81, 70, True),
     ("down", 0, 70, True)],
)  # fmt: skip
def test_agreement_with_a_verdict_is_decided_by_the_margin(verdict, value, posted, expected):
    assert agrees(verdict, value, posted, margin=10) is expected


def test_measure_computes_mae_dimension_mae_agreement_and_validity(tmp_path):
    data = write_jsonl(tmp_path / "h.jsonl", [
        {"id": "a", "body": "x", "target_score": 50,
         "target_dimensions": dict.fromkeys(DIMENSIONS, 40)},
        {"id": "b", "body": "y", "target_score": 80},
        record(7, "z", posted=60, up=2, down=0, when="2024-01-01T00:00:00Z"),
        record(8, "w", posted=60, up=0, down=3, when="2024-01-01T00:00:00Z"),
    ])  # fmt: skip
    rows = load_heldout(data)
    scores = [score(56, dims=50), score(70, fallback="did not parse"), score(65), score(65)]
    metrics = measure("s", rows, scores, margin=10)
    assert metrics == Metrics(
        scorer="s", rows=4, format_validity=0.75,
        targets=2, mae=8.0,  # |56-50| and |70-80|
        dimension_mae=10.0,  # only row a has dimension targets: |50-40| on each
        feedback=2, agreement=0.5,  # 👍 at 5 points agrees, 👎 at 5 points does not
    )  # fmt: skip


def test_the_newest_snapshot_counts_and_ties_carry_no_verdict(tmp_path):
    data = write_jsonl(tmp_path / "h.jsonl", [
        record(1, "first", posted=40, up=0, down=2, when="2024-05-03T00:00:00Z"),
        record(1, "first", posted=40, up=3, down=0, when="2024-05-01T00:00:00Z"),  # older
        record(2, "tied", posted=40, up=1, down=1, when="2024-05-01T00:00:00Z"),
        {"id": "r", "body": "rated by hand", "rating": 35, "reply_comment_id": 3,
         "posted": score(70).to_dict(), "up": 0, "down": 1, "collected_at": "2024-05-01"},
        {"id": "nothing", "body": "no target, no reactions"},
    ])  # fmt: skip
    rows = {r.id: r for r in load_heldout(data)}
    assert set(rows) == {"1", "r"}
    assert (rows["1"].verdict, rows["1"].posted) == ("down", 40)
    assert (rows["r"].target, rows["r"].verdict) == (35, "down")


def m(validity: float, mae: float | None = None, agreement: float | None = None) -> Metrics:
    return Metrics("x", 10, validity, mae=mae, agreement=agreement)


@pytest.mark.parametrize(
    ("candidate", "current", "reasons"),
    [
        (m(1.0, 5.0, 0.8), m(1.0, 5.0, 0.8), []),  # the same: passes
        (m(1.0, 3.0, 0.9), m(0.9, 6.0, 0.7), []),  # better everywhere
        (m(0.98, 7.0, 0.75), m(1.0, 5.0, 0.8), []),  # worse, but each within its tolerance
        (m(0.97), m(1.0), ["format validity fell from 100.0% to 97.0%"]),
        (m(1.0, 7.01), m(1.0, 5.0), ["MAE against targets rose from 5.00 to 7.01"]),
        (m(1.0, agreement=0.7), m(1.0, agreement=0.8), ["agreement with 👍/👎 fell from 80.0%"]),
        (m(1.0, 9.0), m(1.0, None), []),  # a metric only one side has is not compared
        (m(0.5, 9.0, 0.1), m(1.0, 1.0, 0.9), ["format validity", "MAE", "agreement"]),
    ],
)
def test_the_gate_refuses_only_what_is_worse_beyond_a_tolerance(candidate, current, reasons):
    found = gate(candidate, current, Tolerances(validity=0.02, mae=2.0, agreement=0.05))
    assert len(found) == len(reasons)
    for reason, text in zip(reasons, found, strict=True):
        assert text.startswith(reason)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"body": "x", "target_score": 50}', "not json"], "h.jsonl line 2:"),
        (['{"body": "x", "target_score": 150}'], "h.jsonl line 1: target_score is 150"),
        (['{"target_score": 50}'], "h.jsonl line 1: not an object with a string body"),
        (['{"body": "x"}'], "no row with a target_score or a 👍/👎 verdict"),
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
    rows = [
        {"id": f"s{i}", "body": b, "diff_hunk": h, "path": p, "target_score": t}
        for i, ((b, h, p), t) in enumerate(zip(BODIES[:4], truth, strict=False))
    ]  # fmt: skip
    # People reacted to scores the rubric posted: 👎 where it was far off, 👍 on a posted truth.
    rows.append(record(5, BODIES[4][0], posted=rubric[4], up=0, down=2, when="2024-01-01"))
    rows.append(record(6, BODIES[5][0], posted=truth[5], up=3, down=0, when="2024-01-01"))
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
            "--report", str(report)]  # fmt: skip
    code = main(argv)
    return code, json.loads(report.read_text(encoding="utf-8")), capsys.readouterr().out


def test_the_gate_accepts_the_better_adapter(setup, capsys):
    code, report, out = run_eval(setup, setup["good"], setup["bad"], capsys)
    assert code == 0, out
    assert report["gate"] == {
        "passed": True,
        "reasons": [],
        "tolerances": report["gate"]["tolerances"],
    }
    good, bad = report["candidate"], report["current"]
    assert good["format_validity"] == 1.0 and bad["format_validity"] == 0.0
    assert good["mae"] == 0.0 and bad["mae"] >= 40  # the random adapter falls back to the rubric
    assert good["agreement"] == 1.0 and bad["agreement"] == 0.0
    assert "gate: PASS" in out


def test_the_gate_refuses_the_worse_adapter(setup, capsys):
    code, report, out = run_eval(setup, setup["bad"], setup["good"], capsys)
    assert code == 1
    reasons = report["gate"]["reasons"]
    assert [r.split(" from ")[0] for r in reasons] == [
        "format validity fell", "MAE against targets rose", "agreement with 👍/👎 fell",
    ]  # fmt: skip
    assert "gate: FAIL" in out and all(r in out for r in reasons)
    assert [s["candidate_parsed"] for s in report["scores"]] == [False] * 6


@pytest.mark.parametrize(("which", "expected"), [("good", 0), ("bad", 1)])
def test_against_the_rubric(setup, which, expected, capsys):
    code, report, _ = run_eval(setup, setup[which], "rubric", capsys)
    assert code == expected
    assert report["current"]["scorer"] == "rubric"
    assert report["current"]["format_validity"] == 1.0
