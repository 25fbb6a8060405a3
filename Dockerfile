# The review-forge GitHub Action's images, from one file:
#
#   rubric  (the last stage, so a plain `docker build .` makes it): `review-forge action` with the
#           plain install. No torch: a job that scores with the rubric pulls a few MB, not a GB.
#   model   the rubric image's packages plus CPU-only torch, transformers, peft and the llama.cpp
#           engine, for the model scorer. `--build-arg BAKE_BASE_MODEL=TinyLlama/TinyLlama-1.1B-Chat-v1.0`
#           bakes the base model into the image, so no job downloads its 2.2 GB.
#
# The release workflow (.github/workflows/release.yml) builds both, pushes them to ghcr.io and
# points the released action.yml files at them by digest: a user's job pulls, never builds.
#
# The base image is pinned by digest so every build starts from the same bytes; refresh it (and
# then periodically, for security fixes) with  docker buildx imagetools inspect python:3.11-slim
# A local smoke build passes a stand-in:  --build-arg BASE=localhost/rf-base:py311
ARG BASE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${BASE} AS runtime
# The Hugging Face cache lives in the workspace, where actions/cache can keep it between runs.
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DO_NOT_TRACK=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    HF_HOME=/github/workspace/.cache/huggingface \
    PATH=/opt/venv/bin:$PATH

# The package and its plain dependencies in a venv without pip: the stage that ships copies the
# venv only, not the build tools, the wheel or pip's own 10 MB. pip compiles the .pyc files, so a
# container does not compile PyGithub on every start.
FROM runtime AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY training ./training
COPY hooks ./hooks
RUN python -m venv --without-pip /opt/venv \
 && pip wheel --no-deps --wheel-dir /wheels . \
 && pip --python /opt/venv/bin/python install /wheels/*.whl

FROM runtime AS model
COPY --from=build /opt/venv /opt/venv
COPY --from=build /wheels /tmp/wheels
# CPU-only torch first (about 200 MB instead of several GB of CUDA wheels), at a version oumi 0.9
# accepts (torch<2.13); the `model` extra below is then already satisfied.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
# llama-cpp-python is published as source only: compiled here for any x86-64 CPU with AVX2, FMA
# and F16C (GitHub's runners, Zen 3 and later, Haswell and later), not for the build machine's
# own CPU. The compiler is installed and removed in this one layer: none of it ships.
ARG LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake ninja-build \
 && CMAKE_ARGS="$LLAMA_CMAKE_ARGS" pip --python /opt/venv/bin/python install llama-cpp-python==0.3.36 \
 && apt-get purge -y --auto-remove build-essential cmake ninja-build \
 && rm -rf /var/lib/apt/lists/* \
 && pip --python /opt/venv/bin/python install --index-url "$TORCH_INDEX" torch==2.10.0 \
 && set -- /tmp/wheels/*.whl \
 && pip --python /opt/venv/bin/python install "$1[model]" \
 && rm -rf /tmp/wheels
# Baked base model (optional): a local folder the scorer uses by default (settings read
# REVIEW_FORGE_BASE_MODEL below base_model in .review-forge.yml and the inputs).
ARG BAKE_BASE_MODEL=""
RUN if [ -n "$BAKE_BASE_MODEL" ]; then \
      HF_HOME=/tmp/hf python -c 'import sys; from huggingface_hub import snapshot_download; snapshot_download(sys.argv[1], local_dir="/opt/review-forge/models/" + sys.argv[1], allow_patterns=["*.json", "*.safetensors", "tokenizer*", "*.model"])' "$BAKE_BASE_MODEL" \
      && rm -rf /tmp/hf; \
    fi
# Empty without a baked model (checked with podman: a variable nested in ${:+} is not expanded).
ENV REVIEW_FORGE_BASE_MODEL=${BAKE_BASE_MODEL:+/opt/review-forge/models/}${BAKE_BASE_MODEL}
ENTRYPOINT ["/opt/venv/bin/review-forge", "action"]

FROM runtime AS rubric
COPY --from=build /opt/venv /opt/venv
ENTRYPOINT ["/opt/venv/bin/review-forge", "action"]
