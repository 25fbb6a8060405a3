"""The release: .github/workflows/release.yml (least privilege per job, what each job publishes)
and .ci/release.py (the version check, the release commit's digest-pinned actions, the notes),
run on a copy of the files it edits."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_workflows import SHA_PIN, _tool, _workflow

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = "sha256:" + "a" * 64
MODEL = "sha256:" + "b" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _release_module():
    spec = importlib.util.spec_from_file_location("release", ROOT / ".ci" / "release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release = _release_module()


@pytest.fixture
def tree(tmp_path):
    """The files the release edits or reads, copied."""
    for rel in ("action.yml", ".github/actions/model/action.yml",
                ".github/actions/model/Dockerfile", "pyproject.toml"):  # fmt: skip
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / ".ci" / "release.py"), *args],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


# --- .ci/release.py ---------------------------------------------------------------------------


def test_pinned_actions_pull_the_images_by_digest_and_stay_valid(tree):
    pinned = release.pin_images("Octo-Org/review-forge", {"rubric": RUBRIC, "model": MODEL}, tree)

    rubric = yaml.safe_load((tree / "action.yml").read_text(encoding="utf-8"))
    model = yaml.safe_load((tree / ".github/actions/model/action.yml").read_text("utf-8"))
    assert rubric["runs"] == {
        "using": "docker",
        "image": f"docker://ghcr.io/octo-org/review-forge@{RUBRIC}",
    }
    assert model["runs"] == {
        "using": "docker",
        "image": f"docker://ghcr.io/octo-org/review-forge@{MODEL}",
    }
    assert pinned == {"rubric": rubric["runs"]["image"], "model": model["runs"]["image"]}
    original = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert rubric["inputs"] == original["inputs"]  # only the image changed
    proc = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
         str(tree / "action.yml"), str(tree / ".github/actions/model/action.yml")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["pin-images", "--repository", "o/r", "--rubric", "latest", "--model", MODEL],
         "rubric digest must be sha256:<64 hex>, got 'latest'"),
        (["pin-images", "--repository", "o/r;rm", "--rubric", RUBRIC, "--model", MODEL],
         "repository must be OWNER/NAME, got 'o/r;rm'"),
        (["check-version", "v1"], "version must look like 1.2.3, got 'v1'"),
        (["check-version", "99.0.0"], "version 99.0.0 is not pyproject.toml's"),
        (["notes", "--repository", "o/r", "--version", "1.0.0", "--commit", "main"],
         "commit must be a full SHA, got 'main'"),
    ],
)  # fmt: skip
def test_bad_release_input_is_one_line_and_exit_2_and_changes_nothing(args, error):
    before = (ROOT / "action.yml").read_text(encoding="utf-8")

    proc = run_script(*args)

    assert proc.returncode == 2
    assert proc.stderr.startswith(f"release: error: {error}") and proc.stderr.count("\n") == 1
    assert (ROOT / "action.yml").read_text(encoding="utf-8") == before


def test_the_version_check_holds_for_the_version_in_pyproject_and_the_model_dockerfile(tree):
    version = release.package_version(tree)

    assert release.check_version(version, tree) == version
    dockerfile = tree / ".github/actions/model/Dockerfile"
    dockerfile.write_text(dockerfile.read_text("utf-8").replace(version, "0.0.1"), "utf-8")
    with pytest.raises(release.ReleaseError, match="must install version"):
        release.check_version(version, tree)


def test_the_notes_give_one_pin_per_action_at_the_release_commit():
    text = release.notes("octo-org/review-forge", "1.2.0", COMMIT)

    pins = re.findall(r"^uses: (\S+) # v1\.2\.0$", text, re.M)
    assert pins == [
        f"octo-org/review-forge@{COMMIT}",
        f"octo-org/review-forge/.github/actions/model@{COMMIT}",
        f"octo-org/review-forge/.github/actions/install@{COMMIT}",
    ]
    assert all(SHA_PIN.match(pin) for pin in pins)
    for action in ("action.yml", ".github/actions/model/action.yml",
                   ".github/actions/install/action.yml"):  # fmt: skip
        assert (ROOT / action).is_file()  # each pin names an action that exists


# --- .github/workflows/release.yml ------------------------------------------------------------


def test_each_release_job_has_only_the_permissions_it_uses():
    wf = _workflow("release.yml")
    jobs = wf["jobs"]

    assert wf["permissions"] == {}
    assert jobs["dist"]["permissions"] == {"contents": "read"}
    assert jobs["images"]["permissions"] == {
        "contents": "read", "packages": "write", "attestations": "write", "id-token": "write",
    }  # fmt: skip
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert jobs["pin"]["permissions"] == {"contents": "write"}
    assert [jobs[j].get("needs") for j in ("images", "pypi", "pin")] == ["dist", "images", "pypi"]
    assert "default_branch" in jobs["dist"]["if"]  # released from the default branch only


def test_the_images_are_the_dockerfiles_stages_pushed_by_digest_and_attested():
    job = _workflow("release.yml")["jobs"]["images"]
    steps = {s.get("id") or s.get("uses", "").split("@")[0]: s for s in job["steps"]}
    stages = re.findall(r"^FROM \S+ AS (\w+)$", (ROOT / "Dockerfile").read_text("utf-8"), re.M)

    assert set(job["strategy"]["matrix"]["target"]) == {"rubric", "model"} <= set(stages)
    build = steps["build"]["with"]
    assert build["target"] == "${{ matrix.target }}" and build["push"] is True
    assert build["tags"].startswith("${{ steps.name.outputs.image }}:")
    assert "BAKE_BASE_MODEL=" in build["build-args"]
    attest = steps["actions/attest-build-provenance"]["with"]
    assert attest["subject-digest"] == "${{ steps.build.outputs.digest }}"
    assert attest["push-to-registry"] is True
    assert "ghcr.io/${REPOSITORY,,}" in steps["name"]["run"]


def test_pypi_is_trusted_publishing_and_the_pin_job_runs_the_script():
    jobs = _workflow("release.yml")["jobs"]
    (publish,) = [s for s in jobs["pypi"]["steps"] if "gh-action-pypi-publish" in s["uses"]]
    (pin,) = [s for s in jobs["pin"]["steps"] if "run" in s]

    assert jobs["pypi"]["environment"]["name"] == "pypi"
    assert "with" not in publish  # no password, no token: the OIDC token is the credential
    assert "python .ci/release.py pin-images" in pin["run"]
    assert 'git tag -a "v$VERSION"' in pin["run"] and "gh release create" in pin["run"]
    assert pin["env"]["VERSION"] == "${{ inputs.version }}"  # never in the script text
