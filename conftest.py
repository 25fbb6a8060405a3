"""Test tiers for the whole tree (tests and the `>>>` examples in the modules).

The plain install (`pip install -e '.[dev]'`) has no torch, Oumi or TRL. Files that need them are
listed here by tier: they carry the tier's marker, and where the extra is not installed they are
not collected at all (so `python -m pytest -m "not model and not training"` has no collection
error). Single tests that use the tiny model are marked `model` by `tests/conftest.py`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).parent
TIERS = {
    "model": (
        ("torch", "transformers", "peft", "llama_cpp", "gguf"),
        [
            "tests/test_model_scorer.py",
            "tests/test_judgement.py",
            "tests/test_llama_engine.py",
            "tests/support/tiny_model.py",
            "bot/scoring/llamacpp/convert.py",
        ],
    ),
    "training": (
        ("torch", "oumi", "trl"),
        [
            "tests/test_closed_loop.py",
            "tests/test_configs.py",
            "tests/test_training.py",
            "training/oumi_data.py",
            "training/oumi_registry.py",
        ],
    ),
}


def _installed(modules: tuple[str, ...]) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


collect_ignore = [
    path for modules, paths in TIERS.values() if not _installed(modules) for path in paths
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of a tiered file with its tier."""
    tier_of = {ROOT / path: tier for tier, (_, paths) in TIERS.items() for path in paths}
    for item in items:
        tier = tier_of.get(Path(str(item.path)))
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
