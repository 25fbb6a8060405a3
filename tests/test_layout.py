"""The project installs as one namespace, `review_forge`, and its entry points work from inside a
repository that has packages of its own named `bot`, `training` and `hooks` on the import path
(the folder names of this repository, which used to install as top-level packages)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGES = ("bot", "training", "hooks")


def test_the_wheel_installs_nothing_but_the_project_namespace(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("review_forge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"review_forge", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    # the product only: no simulation, no tiny test models, no fake GitHub, no tests
    assert not [n for n in names if "sim_" in n or "tiny_model" in n or "fake_github" in n]
    assert "review_forge/training/configs/grpo_cpu.yaml" in names
    entry_points = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith("entry_points.txt")))
        .decode()
    )
    assert "review-forge = review_forge.bot.cli:main" in entry_points
    assert "review-lint = review_forge.hooks.review_lint:main" in entry_points


@pytest.fixture
def user_repo(tmp_path):
    """A checkout with its own `bot`, `training` and `hooks` packages, first on the import path:
    importing any of them (or a module of the same name under them) fails loudly."""
    repo = tmp_path / "checkout"
    for name in PACKAGES:
        (repo / name).mkdir(parents=True)
        (repo / name / "__init__.py").write_text(f"raise ImportError('the user\\'s own {name}')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env["PYTHONPATH"] = str(repo)
    return repo, env


def test_the_user_packages_are_first_on_the_path(user_repo):
    repo, env = user_repo
    result = subprocess.run(
        [sys.executable, "-c", "import training"], cwd=repo, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1 and "the user's own training" in result.stderr


def test_retrain_help_in_a_repository_with_its_own_packages(user_repo):
    repo, env = user_repo
    result = subprocess.run(
        [str(BIN / "review-forge"), "retrain", "--help"], cwd=repo, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--dry-run" in result.stdout and "--max-steps" in result.stdout


def test_action_collect_and_a_retrain_dry_run_in_a_repository_with_its_own_packages(
    user_repo, fake_github
):
    repo, env = user_repo
    pr = fake_github.add_pull()
    comment = fake_github.add_review_comment(pr, "Rename `x` to `retry_count`: it holds retries.")
    payload = {
        "action": "created",
        "comment": {"id": comment, "body": "Rename `x` to `retry_count`: it holds retries.",
                    "user": {"login": "bob", "type": "User"}, "pull_request_review_id": 1,
                    "path": "src/a.py", "line": 3, "diff_hunk": "@@ -1,3 +1,3 @@\n x = 1"},
        "pull_request": {"number": pr},
        "repository": {"full_name": fake_github.repo.full_name},
        "sender": {"login": "bob", "type": "User"},
    }  # fmt: skip
    event = repo / "event.json"
    event.write_text(json.dumps(payload))
    env.update(
        GITHUB_EVENT_NAME="pull_request_review_comment", GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY=fake_github.repo.full_name, GITHUB_API_URL=fake_github.url,
        GITHUB_WORKSPACE=str(repo), GITHUB_TOKEN=fake_github.token,
        INPUT_GITHUB_TOKEN=fake_github.token, INPUT_SCORER="rubric",
        INPUT_GITHUB_REQUEST_INTERVAL="0", INPUT_GITHUB_WRITE_INTERVAL="0",
    )  # fmt: skip
    action = subprocess.run(
        [str(BIN / "review-forge"), "action"], cwd=repo, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert action.returncode == 0, action.stderr
    replies = [c for c in fake_github.repo.review_comments.values() if c.get("in_reply_to_id")]
    assert len(replies) == 1 and replies[0]["in_reply_to_id"] == comment

    collect = subprocess.run(
        [str(BIN / "review-forge"), "collect"], cwd=repo, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stderr
    assert "feedback collected" in collect.stdout

    retrain = subprocess.run(
        [str(BIN / "review-forge"), "retrain", "--dry-run", "--synthetic", "0",
         "--heldout-synthetic", "0"], cwd=repo, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert retrain.returncode == 0, retrain.stderr
    assert "not promoted: only 0 held-out replies with reactions" in retrain.stdout
    assert not [p for p in fake_github.files("review-forge-data") if p.startswith("reports/")]


def _imports(path: Path) -> set[str]:
    """The project modules a module imports (at any depth of the file), by dotted name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n.startswith("review_forge.")}
    return found


def _modules() -> dict[str, Path]:
    modules = {}
    for folder in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(("review_forge", *parts)).removesuffix(".__init__")
            modules[name] = path
    return modules


def test_no_module_is_over_300_lines_but_word_lists():
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 300
        and not name.endswith("lexicon")
    }
    assert not long, long


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    # a package's __init__ is imported on the way to its modules: not a cycle by itself
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            pytest.fail("import cycle: " + " -> ".join([*stack[stack.index(name) :], name]))
        if name in done:
            return
        for child in sorted(graph[name]):
            visit(child, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_the_bot_never_imports_the_trainer_and_the_hook_stays_light():
    modules = _modules()
    for name, path in modules.items():
        imported = _imports(path)
        if name.startswith("review_forge.bot"):
            assert not [m for m in imported if m.startswith("review_forge.training")], name
        if name.startswith("review_forge.hooks"):
            assert not [m for m in imported if m.startswith("review_forge.training")], name
