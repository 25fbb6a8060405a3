#!/usr/bin/env bash
# Smoke test of the rubric image: build it, run its entry point on a recorded
# pull_request_review_comment event against the fake GitHub, and check the one reply it posted.
#
#   bash .ci/smoke-image.sh            # here: podman + buildah, on a stand-in base image
#   ENGINE=docker bash .ci/smoke-image.sh   # a machine with a Docker engine (the CI job)
#
# With podman, the base is BASE (default localhost/rf-base:py311, which
# ../shared/tools/container-base.sh builds from Debian packages when no registry can be reached).
# The fake GitHub runs on the host (python -m tests.support.fake_github) and the container shares
# the host's network, as a GitHub-hosted runner's Docker action reaches api.github.com.
# Needs the dev install in the active Python (the fake GitHub and its REST description).
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${ENGINE:-podman}
IMAGE=${IMAGE:-localhost/review-forge:rubric-smoke}
PYTHON=${PYTHON:-python}
work=$(mktemp -d)
fake_pid=""
ctr=""
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  if [ -n "$ctr" ]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$ENGINE" = podman ]; then
  BASE=${BASE:-localhost/rf-base:py311}
  if ! podman image exists "$BASE"; then
    bash ../shared/tools/container-base.sh "$BASE"
  fi
  podman build --network host --isolation chroot -q -f Dockerfile --target rubric \
    --build-arg "BASE=$BASE" -t "$IMAGE" . >/dev/null
else
  docker build -q -f Dockerfile --target rubric -t "$IMAGE" . >/dev/null
fi

mkdir -p "$work/fake" "$work/workspace" "$work/files"
"$PYTHON" -m tests.support.fake_github --out "$work/fake" --timeout 300 &
fake_pid=$!
for _ in $(seq 100); do [ -f "$work/fake/env" ] && break; sleep 0.1; done
[ -f "$work/fake/env" ] || { echo "smoke: the fake GitHub did not start" >&2; exit 1; }
# shellcheck disable=SC1091
. "$work/fake/env"
: >"$work/files/summary.md"
: >"$work/files/output"

# The variables and mounts a GitHub runner gives a Docker action.
vars=(
  -e "GITHUB_EVENT_NAME=$GITHUB_EVENT_NAME" -e GITHUB_EVENT_PATH=/github/workflow/event.json
  -e "GITHUB_API_URL=$GITHUB_API_URL" -e GITHUB_SERVER_URL=https://github.com
  -e "GITHUB_REPOSITORY=$GITHUB_REPOSITORY" -e GITHUB_WORKSPACE=/github/workspace
  -e GITHUB_STEP_SUMMARY=/github/file_commands/summary.md
  -e GITHUB_OUTPUT=/github/file_commands/output
  -e "INPUT_GITHUB_TOKEN=$INPUT_GITHUB_TOKEN" -e INPUT_GITHUB_REQUEST_INTERVAL=0
  -e INPUT_GITHUB_WRITE_INTERVAL=0
)
mounts=(
  -v "$work/fake:/github/workflow" -v "$work/workspace:/github/workspace"
  -v "$work/files:/github/file_commands"
)
if [ "$ENGINE" = podman ]; then
  ctr=$(buildah from "$IMAGE")
  # No entry point override: what the image's ENTRYPOINT names is what GitHub runs.
  entry=$(podman image inspect --format '{{join .Config.Entrypoint " "}}' "$IMAGE")
  # shellcheck disable=SC2086
  buildah run --isolation chroot "${mounts[@]}" "${vars[@]}" "$ctr" -- $entry
else
  docker run --rm --network host "${mounts[@]}" "${vars[@]}" "$IMAGE"
fi

kill "$fake_pid"
wait "$fake_pid" || true
fake_pid=""
"$PYTHON" - "$work/fake/state.json" "$COMMENT_ID" "$work/files/output" <<'EOF'
import json, sys
from review_forge.bot.github.marker import find_marker, find_score

state = json.load(open(sys.argv[1], encoding="utf-8"))
cid = int(sys.argv[2])
replies = [c for c in state["review_comments"] if c["user"] == "github-actions[bot]"]
assert not state["violations"], state["violations"]
assert len(replies) == 1, f"expected one reply, got {len(replies)}"
(reply,) = replies
assert reply["in_reply_to_id"] == cid, reply
assert find_marker(reply["body"]).target_id == cid, reply["body"]
score = find_score(reply["body"])["score"]
output = open(sys.argv[3], encoding="utf-8").read()
assert "score<<" in output and f"\n{score}\n" in output, output
print(f"smoke: the image replied to comment {cid} with score {score}/100")
EOF
