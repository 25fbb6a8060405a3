"""Shared pytest fixtures. Add yours below; keep each one's reason in its docstring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from review_forge.bot.settings import disable_telemetry
from tests.support.fake_github import FakeGitHub


def pytest_configure(config: pytest.Config) -> None:
    """Tests call Oumi and the hub client directly, not through an entry point: no telemetry."""
    disable_telemetry()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that builds on the tiny model (directly or through another fixture) needs torch."""
    for item in items:
        if "tiny_model_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight tiny Llama + tokenizer (tests/support/tiny_model.py), built once per session.

    No weights can be downloaded in tests; this loads with `from_pretrained` like the real base.
    Treat it as read-only: copy it before changing it.
    """
    from tests.support.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model") / "model")


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A fake GitHub REST server over real HTTP (tests/support/fake_github/), one per test.

    Point PyGithub at `fake_github.url` (or use `fake_github.client()`). At teardown it fails the
    test if any request was one GitHub's REST description does not allow; a test that sends such
    a request on purpose takes them with `fake_github.take_violations()` and asserts on them.
    """
    server = FakeGitHub().start()
    try:
        yield server
        server.assert_all_requests_valid()
    finally:
        server.stop()
