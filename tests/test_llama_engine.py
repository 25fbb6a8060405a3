"""The llama.cpp engine against the torch engine on tiny local Llamas.

Same prompts token for token; the same answers from a taught model (F32 and F16 text for text,
Q8_0 and Q4_0 within `TOLERANCE` points on every number); the adapter applied as torch merges it;
the system prompt's state reused from disk; and the rubric, with the reason, when the engine is
missing, a converted file is damaged, or the model is not one the converter knows.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys

import pytest

from review_forge.bot.adapter import adapter_revision
from review_forge.bot.errors import EngineUnavailable
from review_forge.bot.scoring.llamacpp.load import EngineFallback, LlamaScorer, load_llama
from review_forge.bot.scoring.llamacpp.tokenizer import ChatTokenizer
from review_forge.bot.scoring.model import ModelScorer, load, load_model_scorer
from review_forge.bot.scoring.rubric import score_comment
from review_forge.bot.scoring.score import DIMENSIONS, Comment, Score, render
from review_forge.bot.scoring.scorer import make_scorer
from review_forge.bot.settings import load_config
from tests.support.tiny_model import build_tiny_adapter, teach

HUNK = "@@ -10,4 +10,6 @@ def load(path):\n     data = read(path)\n+    tmp = data.split()\n"
TAUGHT = [
    (
        Comment("Fix the typo"),
        Score(35, dict(clarity=40, completeness=30, actionability=45, constructiveness=50),
              {"clarity": "vague"}, ["Say which word is misspelled."]),
    ),
    (
        Comment("Move the open() above the loop: the file is read on every pass."),
        Score(82, dict(clarity=85, completeness=80, actionability=90, constructiveness=75),
              {"clarity": "names the call"}, ["Mention the input size.", "Link the profile."]),
    ),
    (
        Comment("LGTM"),
        Score(20, dict(clarity=15, completeness=10, actionability=5, constructiveness=60),
              {}, ["Say what you checked."]),
    ),
    (
        Comment("Rename `tmp` to `words`: the loop below reads it as the word list.", HUNK, "a.py"),
        Score(71, dict(clarity=77, completeness=64, actionability=83, constructiveness=58),
              {"completeness": "no reason given"}, ["Name the loop."]),
    ),
]  # fmt: skip
UNTAUGHT = [
    Comment("nit"),
    Comment("This is stupid."),
    Comment("Please add a test for the empty file; `read` returns '' there.", HUNK, "src/io.py"),
]
# Points a quantised engine's score or dimension may differ from torch float32 on a taught answer.
TOLERANCE = {"f32": 0, "f16": 0, "q8_0": 2, "q4_0": 5}


@pytest.fixture(scope="module")
def taught_dir(tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("taught") / "model"
    shutil.copytree(tiny_model_dir, out)
    return teach(out, [(comment, render(score)) for comment, score in TAUGHT], steps=300)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("llama-cache")


def torch_fp32(base, adapter=None) -> ModelScorer:
    """The torch engine in float32 (whatever `pick_dtype` picks on this CPU): the reference."""
    scorer = load(str(base), adapter and str(adapter))
    return ModelScorer(copy.deepcopy(scorer.model).float(), scorer.tokenizer, scorer.revision)


def config(base, adapter=None, **settings):
    values = {"base_model": str(base), "adapter": adapter and str(adapter), **settings}
    return load_config(values, env={})


def test_prompts_budget_and_context_are_the_torch_engines(taught_dir, cache):
    ours, theirs = load_llama(str(taught_dir), None, cache, "f16"), torch_fp32(taught_dir)
    assert isinstance(ours.tokenizer, ChatTokenizer)  # no transformers (nor torch) at run time
    for comment in [*(c for c, _ in TAUGHT), *UNTAUGHT]:
        assert ours.prompt_ids(comment) == theirs.prompt_ids(comment)
    assert (ours.answer_tokens, ours.context, ours.prefix_ids) == (
        theirs.answer_tokens,
        theirs.context,
        theirs.prefix_ids,
    )


@pytest.mark.parametrize("kind", ["f32", "f16", "q8_0", "q4_0"])
def test_taught_answers_match_torch_float32(kind, taught_dir, cache):
    comments = [c for c, _ in TAUGHT]
    ours = load_llama(str(taught_dir), None, cache, kind)
    theirs = torch_fp32(taught_dir)
    if TOLERANCE[kind] == 0:
        assert ours.generate_raw(comments) == theirs.generate_raw(comments)
    for mine, reference in zip(ours.score_many(comments), theirs.score_many(comments), strict=True):
        assert (mine.scorer, reference.scorer) == ("model", "model")
        assert abs(mine.score - reference.score) <= TOLERANCE[kind]
        for dimension in DIMENSIONS:
            gap = mine.dimensions[dimension] - reference.dimensions[dimension]
            assert abs(gap) <= TOLERANCE[kind]


def test_a_review_batched_scores_as_one_comment_at_a_time(taught_dir, cache):
    batched = load_llama(str(taught_dir), None, cache, "q8_0")
    single = LlamaScorer(batched.engine, batched.tokenizer, "base", batched.context, "q8_0")
    single.batch_size = 1
    comments = [*UNTAUGHT, *(c for c, _ in TAUGHT)]
    assert batched.score_many(comments) == single.score_many(comments)


@pytest.fixture(scope="module")
def wide_adapter(taught_dir, tmp_path_factory):
    """A random LoRA on every projection (q and k need the rotary reorder), rsLoRA scaling and
    an alpha pattern for one layer's q_proj: everything the converter has to get right."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(3)
    lora = LoraConfig(
        r=4,
        lora_alpha=8,
        use_rslora=True,
        alpha_pattern={"model.layers.1.self_attn.q_proj": 2},
        target_modules=[
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ],
        init_lora_weights=False,
    )
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(taught_dir), lora)
    out = tmp_path_factory.mktemp("wide") / "adapter"
    model.save_pretrained(out, safe_serialization=True)
    return out


def test_the_adapter_is_applied_as_torch_merges_it(taught_dir, wide_adapter, cache):
    comments = [c for c, _ in TAUGHT]
    ours = load_llama(str(taught_dir), str(wide_adapter), cache, "f32")
    plain = load_llama(str(taught_dir), None, cache, "f32")
    theirs = torch_fp32(taught_dir, wide_adapter)
    answers, reference = ours.generate_ids(comments), theirs.generate_ids(comments)
    # The adapter makes the model write noise, where two tokens are often nearly tied: in F32
    # (float32 attention too) both engines still write the same noise, token for token.
    assert answers == reference
    assert answers != plain.generate_ids(comments)
    assert ours.revision == adapter_revision(wide_adapter)


def test_a_different_adapter_writes_differently(tiny_model_dir, tmp_path, cache):
    first = build_tiny_adapter(tiny_model_dir, tmp_path / "first", seed=1)
    second = build_tiny_adapter(tiny_model_dir, tmp_path / "second", seed=2)
    comments = [c for c, _ in TAUGHT]
    answers = [
        load_llama(str(tiny_model_dir), str(a), cache, "f16").generate_raw(comments)
        for a in (first, second)
    ]
    assert all(a != b for a, b in zip(*answers, strict=True))


def test_the_system_prompts_state_is_read_back_from_disk(taught_dir, cache, tmp_path):
    comments = [c for c, _ in TAUGHT]
    first = load_llama(str(taught_dir), None, cache, "q4_0").score_many(comments)
    copied = shutil.copytree(cache, tmp_path / "copy")  # a new scorer, as in the next run
    states = list((copied / "llama.cpp" / "state").iterdir())
    inodes = {state: state.stat().st_ino for state in states}
    again = load_llama(str(taught_dir), None, copied, "q4_0")
    assert again.score_many(comments) == first
    assert again.engine.saved is not None
    assert again.engine.saved[1] in [state.read_bytes() for state in states]
    assert {state: state.stat().st_ino for state in states} == inodes  # read, not rewritten


def expect_rubric(scorer, adapter, words: str) -> None:
    comments = [c for c, _ in TAUGHT]
    assert isinstance(scorer, EngineFallback)
    for comment, score in zip(comments, scorer.score_many(comments), strict=True):
        assert (score.scorer, score.score) == ("rubric", score_comment(comment).score)
        assert score.model_revision == (adapter_revision(adapter) if adapter else "base")
        assert words in score.fallback_reason and "\n" not in score.fallback_reason


def test_a_missing_engine_falls_back_to_the_rubric_with_the_reason(
    monkeypatch, tiny_model_dir, tmp_path
):
    adapter = build_tiny_adapter(tiny_model_dir, tmp_path / "adapter", seed=1)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp raises ImportError
    settings = {"engine": "llama.cpp", "cache_dir": str(tmp_path / "cache")}
    scorer = make_scorer(config(tiny_model_dir, adapter, scorer="auto", **settings))
    expect_rubric(scorer, adapter, "the llama.cpp engine cannot be imported")
    assert "pip install 'review-forge[model]'" in scorer.reason
    with pytest.raises(EngineUnavailable, match="cannot be imported"):
        make_scorer(config(tiny_model_dir, adapter, scorer="model", **settings))
    # engine: auto takes torch when llama.cpp cannot be imported
    auto = make_scorer(config(tiny_model_dir, adapter, scorer="model", cache_dir=str(tmp_path)))
    assert isinstance(auto, ModelScorer)


def test_a_damaged_converted_file_falls_back_once_then_is_converted_again(
    taught_dir, cache, tmp_path
):
    settings = {"scorer": "auto", "engine": "llama.cpp", "quantization": "q8_0"}
    good = load_model_scorer(config(taught_dir, cache_dir=str(cache), **settings), required=False)
    damaged = shutil.copytree(cache, tmp_path / "damaged")
    for file in (damaged / "llama.cpp").glob("*.q8_0.gguf"):  # as after an interrupted copy
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    fallback = load_model_scorer(config(taught_dir, cache_dir=str(damaged), **settings), False)
    expect_rubric(fallback, None, "llama.cpp cannot load")
    assert "the next run converts it again" in fallback.reason
    healed = load_model_scorer(config(taught_dir, cache_dir=str(damaged), **settings), False)
    comments = [c for c, _ in TAUGHT]
    assert isinstance(healed, LlamaScorer)
    assert healed.score_many(comments) == good.score_many(comments)


def test_an_adapter_llama_cpp_cannot_apply_runs_on_torch_when_the_engine_is_auto(
    tiny_model_dir, tmp_path
):
    """A LoRA on the output layer (which the GGUF LoRA here does not adapt): `engine: auto`
    scores it with torch, as `review-forge eval` and the gate need; `engine: llama.cpp` keeps
    its promise of the rubric with the reason."""
    adapter = build_tiny_adapter(tiny_model_dir, tmp_path / "a", modules=("q_proj", "lm_head"))
    comments = [c for c, _ in TAUGHT]
    auto = make_scorer(config(tiny_model_dir, adapter, scorer="model", cache_dir=str(tmp_path)))
    assert isinstance(auto, ModelScorer)
    assert auto.score_many(comments) == load(str(tiny_model_dir), str(adapter)).score_many(comments)
    settings = {"engine": "llama.cpp", "cache_dir": str(tmp_path)}
    pinned = make_scorer(config(tiny_model_dir, adapter, scorer="auto", **settings))
    expect_rubric(pinned, adapter, "lm_head")


def test_a_model_the_converter_does_not_know_falls_back(tiny_model_dir, tmp_path):
    other = shutil.copytree(tiny_model_dir, tmp_path / "other")
    hf_config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**hf_config, "model_type": "mistral"}))
    settings = {"engine": "llama.cpp", "cache_dir": str(tmp_path)}
    scorer = load_model_scorer(config(other, **settings), required=False)
    expect_rubric(scorer, None, "converts plain Llama models only (model_type is 'mistral')")


@pytest.mark.parametrize(
    ("line", "words"),
    [("engine: tensorrt", "engine must be one of auto, llama.cpp, torch, got 'tensorrt'"),
     ("quantization: q2_k", "quantization must be one of q8_0, q4_0, f16, f32, got 'q2_k'")],
)  # fmt: skip
def test_an_unknown_engine_or_quantisation_is_one_line_and_exit_2(line, words, tmp_path):
    settings = tmp_path / "settings.yml"
    settings.write_text(line + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "review_forge.bot", "score", "Fix it.", "--config", str(settings)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"review-forge: error: {words}\n"


def test_answers_that_repeat_the_rubrics_take_fewer_steps_and_stay_the_same(
    tiny_model_dir, tmp_path
):
    # Taught the rubric's own answers, as the retrain starts: drafts from the rubric's answer hit.
    comments = [c for c, _ in TAUGHT]
    lessons = [(c, render(score_comment(c))) for c in comments]
    taught = teach(shutil.copytree(tiny_model_dir, tmp_path / "model"), lessons, steps=300)
    ours = load_llama(str(taught), None, tmp_path / "cache", "f32")
    theirs = torch_fp32(taught)
    before = ours.engine.steps
    answers = ours.generate_ids(comments)
    assert answers == theirs.generate_ids(comments)
    assert [s.score for s in ours.score_many(comments)] == [
        score_comment(c).score for c in comments
    ]
    # One batch of 4 rows: without drafts, one step per token of the longest answer.
    assert ours.engine.steps - before < max(len(a) for a in answers) / 2
