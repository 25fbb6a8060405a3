"""action.yml, the Dockerfile and the workflows: what zizmor and GitHub's schemas say (the same
commands CI runs), and the promises the README makes about them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from review_forge.bot.settings import USER_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return path


def _workflow(name: str) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_zizmor_finds_nothing_at_low_severity_and_up():
    proc = subprocess.run(
        [_tool("zizmor"), "--offline", "--min-severity", "low", "action.yml", ".github/workflows/"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", [str(p) for p in WORKFLOWS]),
        ("vendor.github-actions", [str(ROOT / "action.yml")]),
    ],
)
def test_github_schemas_accept_the_workflows_and_the_action(schema, files):
    proc = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, *files],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_inputs_are_settings_the_config_reads():
    """Docker actions get INPUT_<NAME> with hyphens kept: underscore names, each one read by
    bot.config (a misspelt input would be silently ignored)."""
    inputs = ACTION["inputs"]
    assert set(inputs) <= {*USER_SETTINGS, "github_token", "config"}
    assert {"github_token", "scorer", "base_model", "adapter", "min_score", "data_branch",
            "max_replies", "config"} <= set(inputs)  # fmt: skip
    assert inputs["github_token"]["default"] == "${{ github.token }}"
    # a non-empty default would override .review-forge.yml, which ranks below inputs
    assert all(
        spec.get("default", "") == "" for name, spec in inputs.items() if name != "github_token"
    )
    assert set(ACTION["outputs"]) == {"score", "scored", "replies", "report"}
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert ACTION["branding"]["icon"] and ACTION["branding"]["color"]


def test_dockerfile_pins_the_base_uses_cpu_torch_and_runs_the_action():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]

    assert re.fullmatch(r"FROM python:3\.11-slim@sha256:[0-9a-f]{64}", lines[0])
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.10.0" in text
    assert 'pip install ".[model]"' in text
    assert "HF_HOME=/github/workspace/.cache/huggingface" in text
    assert lines[-1] == 'ENTRYPOINT ["review-forge", "action"]'
    assert not any(line.startswith("USER") for line in lines)


def test_ready_to_copy_workflow_is_least_privilege_and_guarded():
    wf = _workflow("review-forge.yml")
    (job,) = wf["jobs"].values()

    assert wf["permissions"] == {}
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "comment.id" in job["concurrency"]["group"]
    assert "sender.type != 'Bot'" in job["if"] and "'[bot]'" in job["if"]
    cache = next(s for s in job["steps"] if s["uses"].startswith("actions/cache@"))
    # HF_HOME in the image and the adapter cache, both in the workspace
    assert cache["with"]["path"].split() == [".cache/huggingface", ".cache/review-forge"]
    assert job["steps"][-1]["with"]["adapter"] == "data-branch"  # the loop is closed by default
    assert set(wf["on"]) == {"pull_request_review_comment", "workflow_dispatch"}
    assert "pr" in wf["on"]["workflow_dispatch"]["inputs"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_and_no_run_step_interpolates(path):
    wf = _workflow(path.name)
    steps = [step for job in wf["jobs"].values() for step in job.get("steps", [])]

    for step in steps:
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), step["uses"]
        if "run" in step:  # expressions go through env:, never into the script text
            assert "${{" not in step["run"], step["run"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_readme_shows_the_workflow_as_it_is():
    """The README's copy-paste block is the ready-to-copy workflow, not an older copy of it."""
    workflow = (ROOT / ".github/workflows/review-forge.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "```yaml\n" + workflow[workflow.index("name: review-forge") :] + "```" in readme
