# The review-forge GitHub Action: `review-forge action` with the model scorer on CPU-only torch.
#
# The base image is pinned by digest so every build starts from the same bytes. This digest was
# written without registry access and must be refreshed before use (and then periodically, for
# security fixes):  docker buildx imagetools inspect python:3.11-slim
FROM python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# The Hugging Face cache lives in the workspace, where actions/cache can keep it between runs.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DO_NOT_TRACK=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    HF_HOME=/github/workspace/.cache/huggingface

# CPU-only torch first (about 200 MB instead of several GB of CUDA wheels), at a version oumi 0.9
# accepts (torch<2.13); the `model` extra below is then already satisfied.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.10.0

WORKDIR /opt/review-forge
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY training ./training
COPY hooks ./hooks
RUN pip install ".[model]"

ENTRYPOINT ["review-forge", "action"]
