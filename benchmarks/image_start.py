"""The Action's images: what each adds on top of its base, and container start to exit.

    python -m benchmarks.image_start [--runs 7] [--build]

Images (podman, chroot isolation, on the stand-in base `localhost/rf-base:py311` that
../shared/tools/container-base.sh builds; it is larger than python:3.11-slim, so only what an
image adds on top of it is compared):

- `rubric`: the Dockerfile's rubric stage, as released.
- `model`: the Dockerfile's model stage. STAND-IN: where download.pytorch.org cannot be reached
  (as here), torch is the CPU-only wheel found in /opt/wheels (torch 2.13.0+cpu instead of
  2.10.0+cpu) and the model extra's other packages are named explicitly, since the extra pins
  torch<2.13. Same kind of wheel (CPU only, no CUDA libraries), a later version.
- `today`: the Dockerfile at commit 142ffc1 (before this change), the same substitution.

Size: `podman save IMAGE | gzip -c | wc -c` minus the same for the base (compressed), and the
uncompressed size from `podman image inspect` minus the base's.
Start to exit: `buildah run` of the image's entry point on a one-comment
`pull_request_review_comment` event against the fake GitHub (in this process), a fresh comment
each run, the reply checked; the baseline in the same run is `python -c pass` in the base image.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from review_forge.bot.github.marker import find_marker
from tests.support.fake_github import FakeGitHub
from tests.support.fake_github.__main__ import RECORDED, seed

ROOT = Path(__file__).resolve().parent.parent
BASE = "localhost/rf-base:py311"
TORCH_WHEEL = "/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
MODEL_DEPS = '"transformers>=4.57,<5.17" "peft>=0.17,<0.20" "safetensors>=0.6,<0.9" tokenizers'


def sh(*cmd: str, **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout.strip()


def stand_in(dockerfile: str) -> str:
    """The Dockerfile with CPU torch from the local wheel instead of download.pytorch.org."""
    ours = dockerfile.replace(
        'install --index-url "$TORCH_INDEX" torch==2.10.0', f"install {TORCH_WHEEL}"
    ).replace('install "$1[model]"', f'install "$1" {MODEL_DEPS}')
    today = ours.replace(
        "RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.10.0",
        f"RUN pip install {TORCH_WHEEL}",
    ).replace('RUN pip install ".[model]"', f"RUN pip install . {MODEL_DEPS}")
    # today's Dockerfile has no BASE argument: its FROM line names the stand-in directly
    return "\n".join(
        f"FROM {BASE}" if line.startswith("FROM python:3.11-slim@") else line
        for line in today.splitlines()
    )


def build(tag: str, dockerfile: str, target: str | None) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile", dir=ROOT, delete=False) as f:
        f.write(dockerfile)
    try:
        cmd = ["podman", "build", "--network", "host", "--isolation", "chroot", "-q",
               "-v", "/opt/wheels:/opt/wheels:ro", "--build-arg", f"BASE={BASE}",
               "-f", f.name, "-t", tag]  # fmt: skip
        sh(*cmd, *(["--target", target] if target else []), str(ROOT))
    finally:
        Path(f.name).unlink()


def sizes(image: str) -> tuple[int, int]:
    """(compressed, uncompressed) bytes of the whole image."""
    save = subprocess.Popen(["podman", "save", image], stdout=subprocess.PIPE)
    gz = subprocess.run(["gzip", "-c"], stdin=save.stdout, capture_output=True, check=True)
    save.wait()
    return len(gz.stdout), int(sh("podman", "image", "inspect", "--format", "{{.Size}}", image))


def run_once(image: str, command: list[str], env: dict[str, str], mounts: list[str]) -> float:
    ctr = sh("buildah", "from", image)
    try:
        args = [a for m in mounts for a in ("-v", m)] + [a for k, v in env.items()
                                                        for a in ("-e", f"{k}={v}")]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(["buildah", "run", "--isolation", "chroot", *args, ctr, "--", *command],
                       check=True, capture_output=True)  # fmt: skip
        return time.perf_counter() - started
    finally:
        sh("buildah", "rm", ctr)


def start_to_exit(images: list[str], runs: int) -> dict[str, list[float]]:
    """Seconds per run for each image, the images taking turns (the load on a shared machine
    drifts: round-robin gives each image the same share of it)."""
    entry = {
        image: json.loads(
            sh("podman", "image", "inspect", "--format", "{{json .Config.Entrypoint}}", image)
        )
        for image in images
        if image != BASE
    }
    fake = FakeGitHub().start()
    times: dict[str, list[float]] = {image: [] for image in images}
    try:
        for _ in range(runs):
            for image in images:
                if image == BASE:  # the same-run baseline: a container that starts and exits
                    times[image].append(run_once(BASE, ["python", "-c", "pass"], {}, []))
                else:
                    times[image].append(one_comment(fake, image, entry[image]))
    finally:
        fake.stop()
    return times


def one_comment(fake: FakeGitHub, image: str, entry: list[str]) -> float:
    """One run of the image on a new comment; the reply it posted is checked."""
    with tempfile.TemporaryDirectory() as tmp:
        event = seed_fresh(fake)
        Path(tmp, "event.json").write_text(json.dumps(event), encoding="utf-8")
        for name in ("summary.md", "output"):
            Path(tmp, name).write_text("", encoding="utf-8")
        env = {
            "GITHUB_EVENT_NAME": "pull_request_review_comment",
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": fake.repo.full_name,
            "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_STEP_SUMMARY": "/github/workflow/summary.md",
            "GITHUB_OUTPUT": "/github/workflow/output", "INPUT_GITHUB_TOKEN": fake.token,
            "INPUT_GITHUB_REQUEST_INTERVAL": "0", "INPUT_GITHUB_WRITE_INTERVAL": "0",
        }  # fmt: skip
        mounts = [f"{tmp}:/github/workflow", f"{tmp}:/github/workspace"]
        seconds = run_once(image, entry, env, mounts)
    cid = event["comment"]["id"]
    replied = [
        c
        for c in fake.repo.review_comments.values()
        if c["user"] == "github-actions[bot]" and find_marker(c["body"]).target_id == cid
    ]
    assert len(replied) == 1, f"{image}: no reply to comment {cid}"
    return seconds


def seed_fresh(fake: FakeGitHub) -> dict:
    """A new comment from the recorded payload, on pull request 2."""
    return seed(fake, json.loads(RECORDED.read_text(encoding="utf-8")))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--build", action="store_true", help="build the three images first")
    parser.add_argument("--no-sizes", dest="sizes", action="store_false", help="times only")
    args = parser.parse_args()
    ours = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    today = sh("git", "show", "142ffc1:Dockerfile", cwd=ROOT)
    images = {
        "rubric": ("localhost/review-forge:rubric", ours, "rubric"),
        "model (CPU torch stand-in)": ("localhost/review-forge:model", stand_in(ours), "model"),
        "today (142ffc1, same stand-in)": ("localhost/review-forge:today", stand_in(today), None),
    }
    if args.build:
        for tag, dockerfile, target in images.values():
            print(f"building {tag} ...", file=sys.stderr, flush=True)
            build(tag, dockerfile, target)
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
    tags = [tag for tag, _, _ in images.values()]
    times = start_to_exit([BASE, *tags], args.runs)  # the base runs `python -c pass`
    base_gz, base_raw = sizes(BASE) if args.sizes else (0, 0)
    print("| image | adds, compressed | adds, uncompressed | start to exit, median "
          f"of {args.runs} |")  # fmt: skip
    print("|---|---:|---:|---:|")
    print(f"| base: `python -c pass` (baseline) | | | {statistics.median(times[BASE]):.2f} s |")
    for name, (tag, _, _) in images.items():
        gz, raw = sizes(tag) if args.sizes else (base_gz, base_raw)
        added = f"{(gz - base_gz) / 1e6:.1f} MB | {(raw - base_raw) / 1e6:.0f} MB"
        print(f"| {name} | {added if args.sizes else ' | '} | "
              f"{statistics.median(times[tag]):.2f} s |", flush=True)  # fmt: skip
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
