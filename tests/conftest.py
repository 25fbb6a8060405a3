"""Shared pytest fixtures. Add yours below; keep each one's reason in its docstring."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight tiny Llama + tokenizer (training/tiny_model.py), built once per session.

    No weights can be downloaded in tests; this loads with `from_pretrained` like the real base.
    Treat it as read-only: copy it before changing it.
    """
    from training.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model") / "model")
