"""What quantisation does to the answers: a taught tiny model's scores, llama.cpp against torch.

    python -m benchmarks.quant_scores [--taught 24] [--unseen 24] [--steps 300]

The tiny Llama of the tests (`tests/support/tiny_model.py`: 2 layers, hidden 64), taught
(`teach`) the canonical completions of `--taught` synthetic rows (`training.data_synthesis`, seed
0), then scored on a fixed set: those rows, `--unseen` rows it was not taught (seed 1) and the 10
comments of `review_fixture.py`. The reference is the torch engine in float32; each llama.cpp
quantisation scores the same comments with the same prompts. Printed per quantisation: answers
identical to the reference's text; answers where both parsed; over those, the mean absolute
difference of the overall score and of the four dimensions; answers only one side parsed (there
the other side's score is the rubric's); and the mean absolute difference of the score the reply
shows, over every comment. Deterministic: same arguments, same figures.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.review_fixture import COMMENTS
from review_forge.bot.scoring.score import DIMENSIONS, Comment
from review_forge.bot.settings import disable_telemetry

KINDS = ("f32", "f16", "q8_0", "q4_0")


def comment_set(taught: int, unseen: int) -> tuple[list[tuple[Comment, str]], list[Comment]]:
    """(the taught comments with their completions, every comment scored)."""
    from review_forge.training.data_synthesis import synthesize

    def comment(row: dict) -> Comment:
        return Comment(row["body"], row.get("diff_hunk"), row.get("path"))

    lessons = [(comment(r), r["completion"]) for r in synthesize(taught, seed=0)]
    others = [comment(r) for r in synthesize(unseen, seed=1)]
    return lessons, [c for c, _ in lessons] + others + list(COMMENTS)


def compare(reference: list, raws: list[str], scores: list, ref_raws: list[str]) -> str:
    pairs = list(zip(reference, scores, strict=True))
    both = [(a, b) for a, b in pairs if a.scorer == b.scorer == "model"]
    one = sum((a.scorer == "model") != (b.scorer == "model") for a, b in pairs)
    same = sum(a == b for a, b in zip(ref_raws, raws, strict=True))
    final = sum(abs(a.score - b.score) for a, b in pairs) / len(pairs)
    if not both:
        return f"{same:>10}{0:>8}{'-':>12}{'-':>12}{one:>10}{final:>12.2f}"
    score_mad = sum(abs(a.score - b.score) for a, b in both) / len(both)
    dims = [abs(a.dimensions[d] - b.dimensions[d]) for a, b in both for d in DIMENSIONS]
    mad = f"{score_mad:>12.2f}{sum(dims) / len(dims):>12.2f}"
    return f"{same:>10}{len(both):>8}{mad}{one:>10}{final:>12.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taught", type=int, default=24, help="synthetic rows taught (24)")
    parser.add_argument("--unseen", type=int, default=24, help="synthetic rows not taught (24)")
    parser.add_argument("--steps", type=int, default=300, help="teaching steps (300)")
    args = parser.parse_args()
    if min(args.taught, args.unseen, args.steps) < 1:
        parser.error("--taught, --unseen and --steps must be 1 or more")
    disable_telemetry()
    from review_forge.bot.scoring.llamacpp.load import load_llama
    from review_forge.bot.scoring.model import ModelScorer, load
    from tests.support.tiny_model import build_tiny_model, teach

    lessons, comments = comment_set(args.taught, args.unseen)
    with tempfile.TemporaryDirectory(prefix="quant-scores-") as tmp:
        folder = build_tiny_model(Path(tmp) / "model")
        teach(folder, lessons, steps=args.steps)
        torch_scorer = load(str(folder))
        reference = ModelScorer(
            copy.deepcopy(torch_scorer.model).float(), torch_scorer.tokenizer, "base"
        )
        ref_raws, ref_scores = reference.generate_raw(comments), reference.score_many(comments)
        print(
            f"{len(comments)} comments ({args.taught} taught, {args.unseen} unseen synthetic, "
            f"{len(COMMENTS)} review fixture); torch float32 parsed "
            f"{sum(s.scorer == 'model' for s in ref_scores)}"
        )
        print(f"{'llama.cpp':<10}{'same text':>10}{'parsed':>8}{'score MAD':>12}{'dims MAD':>12}"
              f"{'one only':>10}{'final MAD':>12}")  # fmt: skip
        for kind in KINDS:
            scorer = load_llama(str(folder), None, Path(tmp) / "cache", kind)
            raws, scores = scorer.generate_raw(comments), scorer.score_many(comments)
            print(f"{kind:<10}{compare(ref_scores, raws, scores, ref_raws)}")
        shutil.rmtree(Path(tmp) / "cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
