"""The promoted adapter on the data branch, fetched for scoring: by blob sha, cached, verified.

`adapter: data-branch` scores with the adapter the retrain workflow promoted to `adapter/` on the
data branch; `adapter: data-branch@<commit>` pins the one that commit held. Its files are
downloaded through the Git Data API (blobs: no size limit) into
`<cache>/adapters/<weights blob sha>/`, where `<cache>` is `cache_dir` or `.cache/review-forge`
in the workspace (keep it with `actions/cache`). A cached copy is reused when every file's git
blob sha still matches the branch, so an unchanged adapter is not downloaded again.

Every copy, fresh or cached, is checked against its `manifest.json` before it is used: each
file's sha256 (recorded by the trainer) and the adapter's revision (the content hash the model
scorer reports). With no adapter on the branch yet, or one that cannot be used, the rubric scores
and `fallback_reason` says why (or, with `scorer: model`, the run fails saying why).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from github import Github, GithubException

from review_forge.bot.adapter import (
    CONFIG_FILE,
    MANIFEST_FILE,
    WEIGHTS_FILE,
    AdapterManifest,
    adapter_revision,
    file_digests,
    read_manifest,
)
from review_forge.bot.errors import ConfigError, GitHubError, ModelUnavailable
from review_forge.bot.github.client import call_with_retries
from review_forge.bot.github.data_branch import DataStore
from review_forge.bot.settings import Config

ADAPTER_DIR = "adapter/"
FILES = (WEIGHTS_FILE, CONFIG_FILE, MANIFEST_FILE)
_PIN = re.compile(r"[0-9a-f]{7,40}")


@dataclass(frozen=True)
class StoredAdapter:
    """A verified local copy of the data branch's adapter."""

    folder: Path
    revision: str
    manifest: AdapterManifest
    blobs: dict[str, str]  # file name: git blob sha on the branch


def pinned_commit(adapter: str) -> str | None:
    """The commit in `data-branch@<commit>`, or None for the branch's tip.

    >>> pinned_commit("data-branch"), pinned_commit("data-branch@1A2B3C4D")
    (None, '1a2b3c4d')
    """
    _, at, commit = adapter.partition("@")
    if not at:
        return None
    commit = commit.strip().lower()
    if not _PIN.fullmatch(commit):
        raise ConfigError(
            f"adapter {adapter!r}: after 'data-branch@' give a commit sha of the data branch "
            "(7 to 40 hex digits)"
        )
    return commit


def git_blob_sha(data: bytes) -> str:
    """The id git gives a file's content (what the data branch's tree lists).

    >>> git_blob_sha(b"hello\\n")
    'ce013625030ba8dba906f756967f9e9ca394464a'
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def cache_root(config: Config) -> Path:
    """Where downloaded adapters are kept: `<cache_dir or .cache/review-forge>/adapters`."""
    root = Path(config.cache_dir or Path(config.workspace) / ".cache" / "review-forge")
    return root / "adapters"


def fetch_adapter(store: DataStore, cache: Path, commit: str | None = None) -> StoredAdapter | None:
    """The data branch's adapter as a verified local folder, or None when there is none."""
    where = f"data branch {store.branch}" + (f" at {commit}" if commit else "")
    try:
        blobs = listed_adapter(store, commit)
    except GithubException as exc:
        if commit and exc.status in (404, 422):
            raise ModelUnavailable(
                f"commit {commit} is not on {store.branch}; pin a commit of the data branch"
            ) from None
        raise GitHubError(f"reading adapter/ on {where}: GitHub answered {exc.status}") from None
    if not blobs:
        return None
    missing = [name for name in FILES if name not in blobs]
    if missing:
        raise ModelUnavailable(
            f"adapter/ on {where} has no {', '.join(missing)}; promote a complete adapter "
            "(review-forge retrain) or delete adapter/"
        )
    folder = cache / blobs[WEIGHTS_FILE]
    if not _cached(folder, blobs):
        _download(store, blobs, folder)
    manifest = verify(folder)
    return StoredAdapter(folder, str(manifest["revision"]), manifest, blobs)


def listed_adapter(store: DataStore, commit: str | None = None) -> dict[str, str]:
    """{file name: blob sha} of the adapter's files under `adapter/`; anything else there (a
    README, a pickle) is never downloaded."""
    listed = store.list_files(ADAPTER_DIR, at=commit)
    return {name: listed[ADAPTER_DIR + name] for name in FILES if ADAPTER_DIR + name in listed}


def _cached(folder: Path, blobs: dict[str, str]) -> bool:
    """The cached copy holds exactly the branch's files (compared by git blob sha)."""
    try:
        return all(git_blob_sha((folder / name).read_bytes()) == blobs[name] for name in FILES)
    except OSError:
        return False


def _download(store: DataStore, blobs: dict[str, str], folder: Path) -> None:
    """Fetch each blob, check its git id, then move the complete folder into place."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in FILES:
        data = store.read_blob(blobs[name])
        if git_blob_sha(data) != blobs[name]:
            raise ModelUnavailable(f"adapter/{name} changed in transit (blob {blobs[name]})")
        (partial / name).write_bytes(data)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def verify(folder: Path) -> AdapterManifest:
    """Check the adapter files against `manifest.json`; return the manifest."""
    manifest = read_manifest(folder)
    if not manifest.get("revision"):
        raise ModelUnavailable(
            f"the adapter's {MANIFEST_FILE} records no revision; promote it again"
        )
    recorded = manifest.get("files") or {}
    actual = file_digests(folder)
    for name, facts in actual.items():
        want = (recorded.get(name) or {}).get("sha256") if isinstance(recorded, dict) else None
        if want is not None and want != facts["sha256"]:
            raise ModelUnavailable(
                f"adapter/{name} does not match its manifest (sha256 {facts['sha256'][:12]}, "
                f"manifest {str(want)[:12]}); promote the adapter again"
            )
    revision = adapter_revision(folder)
    if manifest["revision"] != revision:
        raise ModelUnavailable(
            f"the adapter's files hash to revision {revision}, its manifest says "
            f"{manifest['revision']}; promote the adapter again"
        )
    return manifest


def stored_adapter(config: Config, gh: Github) -> StoredAdapter | None:
    """The verified local copy of the adapter `config.adapter` names on the data branch."""
    repo_name = config.repository
    if not repo_name:
        raise ConfigError("no repository: set GITHUB_REPOSITORY (owner/name)")
    try:
        repo = call_with_retries(
            lambda: gh.get_repo(repo_name), what=f"reading repository {repo_name}"
        )
    except GithubException as exc:
        raise GitHubError(f"reading repository {repo_name}: GitHub answered {exc.status}") from None
    commit = pinned_commit(str(config.adapter))
    return fetch_adapter(DataStore(repo, config.data_branch), cache_root(config), commit)
