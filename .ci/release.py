"""Release steps the release workflow runs (.github/workflows/release.yml); stdlib only.

    python .ci/release.py check-version 0.2.0
    python .ci/release.py pin-images --repository OWNER/review-forge \
        --rubric sha256:<64 hex> --model sha256:<64 hex>
    python .ci/release.py notes --repository OWNER/review-forge --version 0.2.0 --commit <sha>

`pin-images` makes a release commit's actions pull the published images by digest instead of
building a Dockerfile: `action.yml` runs the rubric image, `.github/actions/model/action.yml` the
model image. Bad input is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = {"rubric": ROOT / "action.yml", "model": ROOT / ".github/actions/model/action.yml"}
MODEL_DOCKERFILE = ROOT / ".github/actions/model/Dockerfile"
VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
REPOSITORY = re.compile(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+")
COMMIT = re.compile(r"[0-9a-f]{40}")
IMAGE_LINE = re.compile(r"^  image: \S+$", re.M)


class ReleaseError(Exception):
    pass


def package_version(root: Path = ROOT) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


def check_version(version: str, root: Path = ROOT) -> str:
    """The version asked for is pyproject.toml's, and the model action's Dockerfile installs it."""
    if not VERSION.fullmatch(version):
        raise ReleaseError(f"version must look like 1.2.3, got {version!r}")
    if version != package_version(root):
        raise ReleaseError(
            f"version {version} is not pyproject.toml's {package_version(root)}: bump it first"
        )
    dockerfile = (root / MODEL_DOCKERFILE.relative_to(ROOT)).read_text(encoding="utf-8")
    if f'"review-forge[model]=={version}"' not in dockerfile:
        raise ReleaseError(f"{MODEL_DOCKERFILE.relative_to(ROOT)} must install version {version}")
    return version


def pin_images(repository: str, digests: dict[str, str], root: Path = ROOT) -> dict[str, str]:
    """Point each action at its published image by digest; the new `image:` value per action."""
    if not REPOSITORY.fullmatch(repository):
        raise ReleaseError(f"repository must be OWNER/NAME, got {repository!r}")
    pinned: dict[str, str] = {}
    for target, digest in digests.items():
        if not DIGEST.fullmatch(digest):
            raise ReleaseError(f"{target} digest must be sha256:<64 hex>, got {digest!r}")
        path = root / ACTIONS[target].relative_to(ROOT)
        text = path.read_text(encoding="utf-8")
        if len(IMAGE_LINE.findall(text)) != 1:
            raise ReleaseError(f"{path.relative_to(root)} must have exactly one `image:` line")
        image = f"docker://ghcr.io/{repository.lower()}@{digest}"
        path.write_text(IMAGE_LINE.sub(f"  image: {image}", text), encoding="utf-8")
        pinned[target] = image
    return pinned


def notes(repository: str, version: str, commit: str) -> str:
    """The release notes: the pins to paste into the workflows."""
    if not (REPOSITORY.fullmatch(repository) and VERSION.fullmatch(version)):
        raise ReleaseError("notes need OWNER/NAME and a version like 1.2.3")
    if not COMMIT.fullmatch(commit):
        raise ReleaseError(f"commit must be a full SHA, got {commit!r}")
    return "\n".join([
        f"review-forge {version}: the actions at this commit pull the published images by digest.",
        "",
        "Pins for the workflows in `.github/workflows/` (review-forge.yml, collect-feedback.yml,"
        " retrain.yml):",
        "",
        "```yaml",
        f"uses: {repository}@{commit} # v{version}",
        f"uses: {repository}/.github/actions/model@{commit} # v{version}",
        f"uses: {repository}/.github/actions/install@{commit} # v{version}",
        "```",
        "",
        f"Python package: `pip install review-forge=={version}`.",
        "",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python .ci/release.py")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check-version").add_argument("version")
    pin = sub.add_parser("pin-images")
    pin.add_argument("--repository", required=True)
    pin.add_argument("--rubric", required=True)
    pin.add_argument("--model", required=True)
    note = sub.add_parser("notes")
    for name in ("--repository", "--version", "--commit"):
        note.add_argument(name, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "check-version":
            print(check_version(args.version))
        elif args.command == "pin-images":
            for target, image in pin_images(
                args.repository, {"rubric": args.rubric, "model": args.model}
            ).items():
                print(f"{target}: {image}")
        else:
            print(notes(args.repository, args.version, args.commit), end="")
    except (ReleaseError, OSError) as exc:
        print(f"release: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
