"""action.yml, the Dockerfile and the workflows: what zizmor and GitHub's schemas say (the same
commands CI runs), and the promises the README makes about them. The release workflow and its
script are in tests/test_release.py."""

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
ACTIONS = [ROOT / "action.yml", *sorted((ROOT / ".github" / "actions").glob("*/action.yml"))]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
MODEL_ACTION = yaml.safe_load(
    (ROOT / ".github/actions/model/action.yml").read_text(encoding="utf-8")
)
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
# The workflows a user copies: nothing in them may need editing but the `uses:` pins.
READY_TO_COPY = ["review-forge.yml", "collect-feedback.yml", "retrain.yml"]


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
        [_tool("zizmor"), "--offline", "--min-severity", "low", "action.yml", ".github/actions/",
         ".github/workflows/"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", [str(p) for p in WORKFLOWS]),
        ("vendor.github-actions", [str(p) for p in ACTIONS]),
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
    assert {"reply", "reply_threshold"} <= set(inputs)
    assert set(ACTION["outputs"]) == {"score", "scored", "replies", "report"}
    # on main both build a Dockerfile; a release commit names the images by digest
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert MODEL_ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert ACTION["branding"]["icon"] and ACTION["branding"]["color"]


def test_the_model_action_takes_the_same_inputs_and_gives_the_same_outputs():
    assert MODEL_ACTION["inputs"] == ACTION["inputs"]
    assert MODEL_ACTION["outputs"] == ACTION["outputs"]
    assert MODEL_ACTION["name"] != ACTION["name"]


def _stages(text: str) -> dict[str, list[str]]:
    """The Dockerfile's instructions by stage name (continuation lines joined)."""
    stages: dict[str, list[str]] = {"": []}
    name = ""
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            name = line.split(" AS ")[-1] if " AS " in line else line
            stages[name] = []
        stages[name].append(line)
    return stages


def test_dockerfile_pins_the_base_and_the_rubric_stage_has_no_torch():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = _stages(text)

    (arg,) = stages[""]
    assert re.fullmatch(r"ARG BASE=python:3\.11-slim@sha256:[0-9a-f]{64}", arg)
    assert list(stages) == ["", "runtime", "build", "model", "rubric"]  # rubric: the default
    assert "HF_HOME=/github/workspace/.cache/huggingface" in " ".join(stages["runtime"])
    rubric, model = " ".join(stages["rubric"]), " ".join(stages["model"])
    assert "torch" not in rubric and "torch" not in " ".join(stages["build"])
    assert '--index-url "$TORCH_INDEX" torch==2.10.0' in model
    assert "ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu" in model
    assert '"$1[model]"' in model and 'ARG BAKE_BASE_MODEL=""' in model
    entry = 'ENTRYPOINT ["/opt/venv/bin/review-forge", "action"]'
    assert stages["rubric"][-1] == stages["model"][-1] == entry
    assert not any(line.startswith("USER") for lines in stages.values() for line in lines)


def test_the_model_actions_dockerfile_uses_the_same_base_and_cpu_torch():
    ours = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    model = (ROOT / ".github/actions/model/Dockerfile").read_text(encoding="utf-8")
    digest = re.search(r"python:3\.11-slim@(sha256:[0-9a-f]{64})", ours).group(1)
    assert f"FROM python:3.11-slim@{digest}" in model
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.10.0" in model


def test_ready_to_copy_workflow_is_least_privilege_and_guarded():
    wf = _workflow("review-forge.yml")
    jobs = wf["jobs"]

    assert wf["permissions"] == {}
    assert set(jobs) == {"adapter", "rubric", "model"}
    assert jobs["adapter"]["permissions"] == {"contents": "read"}
    assert "sender.type != 'Bot'" in jobs["adapter"]["if"] and "'[bot]'" in jobs["adapter"]["if"]
    for name in ("rubric", "model"):
        assert jobs[name]["needs"] == "adapter"  # skipped with it, for a bot's comment
        assert jobs[name]["permissions"] == {"contents": "read", "pull-requests": "write"}
        assert "comment.id" in jobs[name]["concurrency"]["group"]
    assert set(wf["on"]) == {"pull_request_review_comment", "workflow_dispatch"}
    assert "pr" in wf["on"]["workflow_dispatch"]["inputs"]


def test_only_one_scoring_job_runs_and_the_rubric_job_never_pulls_torch():
    """GitHub pulls every Docker action of a job at its start, whatever a step's `if:` says: the
    choice between the images is made per job, on the adapter the first job found."""
    jobs = _workflow("review-forge.yml")["jobs"]
    rubric, model = jobs["rubric"], jobs["model"]

    assert rubric["if"] == "needs.adapter.outputs.revision == ''"
    assert model["if"] == "needs.adapter.outputs.revision != ''"
    (rubric_action,) = [s["uses"] for s in rubric["steps"] if "/review-forge" in s["uses"]]
    (model_action,) = [s["uses"] for s in model["steps"] if "/review-forge" in s["uses"]]
    assert rubric_action.startswith("OWNER/review-forge@")  # action.yml: the rubric image
    assert model_action.startswith("OWNER/review-forge/.github/actions/model@")
    assert model["steps"][-1]["with"]["adapter"] == "data-branch"  # the loop is closed


def test_the_cache_key_follows_the_promoted_adapter():
    """A new adapter on the data branch is a new key: downloaded once, then restored; the base
    model comes back from the previous key (restore-keys), not from the hub again."""
    wf = _workflow("review-forge.yml")
    find = wf["jobs"]["adapter"]["steps"][0]
    cache = next(s for s in wf["jobs"]["model"]["steps"] if s["uses"].startswith("actions/cache@"))

    assert wf["jobs"]["adapter"]["outputs"]["revision"] == "${{ steps.find.outputs.revision }}"
    assert "contents/adapter/manifest.json?ref=$DATA_BRANCH" in find["run"]
    assert find["env"]["DATA_BRANCH"] == "review-forge-data"  # the data_branch default
    assert cache["with"]["path"].split() == [".cache/huggingface", ".cache/review-forge"]
    assert cache["with"]["key"].endswith("-${{ needs.adapter.outputs.revision }}")
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"])
    assert not any(s["uses"].startswith("actions/cache@") for s in wf["jobs"]["rubric"]["steps"])


@pytest.mark.parametrize("name", READY_TO_COPY)
def test_ready_to_copy_workflows_need_no_edit_but_the_pins(name):
    """No step installs the workflow's own checkout (`pip install .` would install the user's
    repository): review-forge comes from its pinned actions, all at one commit."""
    text = (ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8")
    wf = _workflow(name)
    steps = [step for job in wf["jobs"].values() for step in job.get("steps", [])]

    assert not any("pip install" in step.get("run", "") for step in steps)
    ours = [s["uses"] for s in steps if s.get("uses", "").startswith("OWNER/review-forge")]
    assert ours and len({u.split("@")[1] for u in ours}) == 1
    pins = set(re.findall(r"OWNER/review-forge[\w./-]*@([0-9a-f]{40})", text))
    assert pins == {_workflow_pin()}  # one release across the three workflows
    for step in steps:
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["sparse-checkout"] == ".review-forge.yml"


def _workflow_pin() -> str:
    uses = _workflow("review-forge.yml")["jobs"]["rubric"]["steps"][-1]["uses"]
    return uses.split("@")[1]


def test_collect_and_retrain_install_through_the_pinned_install_action():
    action = yaml.safe_load(
        (ROOT / ".github/actions/install/action.yml").read_text(encoding="utf-8")
    )
    (install,) = action["runs"]["steps"]
    retrain = _workflow("retrain.yml")["jobs"]["retrain"]["steps"]
    collect = _workflow("collect-feedback.yml")["jobs"]["collect"]["steps"]

    assert action["runs"]["using"] == "composite"
    assert '"$GITHUB_ACTION_PATH/../../.."' in install["run"]  # the pinned commit's own source
    assert "${{" not in install["run"] and install["env"]["EXTRA"] == "${{ inputs.extra }}"
    assert "download.pytorch.org/whl/cpu" in install["env"]["CPU_TORCH"]
    (train,) = [s for s in retrain if "/.github/actions/install@" in s.get("uses", "")]
    assert train["with"] == {"extra": "train"}
    (plain,) = [s for s in collect if "/.github/actions/install@" in s.get("uses", "")]
    assert "with" not in plain  # extra: none


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_and_no_run_step_interpolates(path):
    wf = _workflow(path.name)
    steps = [step for job in wf["jobs"].values() for step in job.get("steps", [])]

    for step in steps:
        if "uses" in step and not step["uses"].startswith("./"):
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
