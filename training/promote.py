"""What a retrain writes to the data branch: the report always, `adapter/` only on promotion.

`adapter/` holds exactly what the Action downloads and verifies (`bot/adapter_store.py`): the
two adapter files and a `manifest.json` with the revision, each file's sha256, the base model,
the data hash, the held-out metrics and the parent revision (the adapter it replaces). A
promotion replaces the folder in one commit (`replace_dir`), so no reader ever sees half of one
adapter and half of another; the reports under `reports/` are only ever added.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from review_forge.bot.adapter import (
    CONFIG_FILE,
    MANIFEST_FILE,
    WEIGHTS_FILE,
    AdapterManifest,
    file_digests,
    manifest_bytes,
    read_manifest,
)
from review_forge.bot.errors import GitHubError
from review_forge.bot.github.adapter_store import (
    ADAPTER_DIR,
    StoredAdapter,
    listed_adapter,
)
from review_forge.bot.github.data_branch import DataStore
from review_forge.training.report import RetrainReport, render

REPORTS_DIR = "reports/"


def report_files(
    store: DataStore, report: RetrainReport, now: datetime, run_id: str
) -> dict[str, bytes]:
    """`reports/<date>-<run-id>.json` and `.md` (`_2`, `_3`... when a re-run reuses the id)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id) or "run"
    taken = store.list_files(REPORTS_DIR)
    stem, n = f"{REPORTS_DIR}{now:%Y-%m-%d}-{safe}", 1
    while f"{stem}.json" in taken or f"{stem}.md" in taken:
        n += 1
        stem = f"{REPORTS_DIR}{now:%Y-%m-%d}-{safe}_{n}"
    report["report_path"] = stem
    return {
        f"{stem}.json": (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode(),
        f"{stem}.md": render(report).encode("utf-8"),
    }


def adapter_files(
    candidate: Path, report: RetrainReport, current: StoredAdapter | None
) -> dict[str, bytes]:
    """`adapter/`: the two adapter files and the manifest the Action verifies them against."""
    trained = read_manifest(candidate)  # the trainer's, or {} for an adapter given as is
    data = dict(trained.get("data") or {})
    data.pop("paths", None)  # this run's temporary folders: meaningless later
    manifest: AdapterManifest = {
        **trained,
        "schema": 1,
        "revision": report["candidate"]["revision"],
        "files": file_digests(candidate),
        "base_model": report["base_model"],
        "data": data,
        "parent_revision": None if current is None else current.revision,
        # What training started from: the parent, or the SFT warm-up before a first adapter.
        "trained_from_revision": trained.get("parent_revision"),
        "metrics": {"measures": report["evaluation"]["measures"], "gate": report["gate"]},
        # The best gain over the rubric any promoted adapter had: a later candidate may not fall
        # below it by more than the gate's tolerance, so small losses cannot add up.
        "best": _best(report, current),
        "promotion": {
            "run_id": report["run_id"],
            "at": report["created_at"],
            "data_branch_commit": report["data_commit"],
            "report": report["report_path"] + ".json",
        },
    }
    files = {f"{ADAPTER_DIR}{n}": (candidate / n).read_bytes() for n in (WEIGHTS_FILE, CONFIG_FILE)}
    files[ADAPTER_DIR + MANIFEST_FILE] = manifest_bytes(manifest)
    return files


def best_gain(manifest: dict[str, Any], unit: str) -> float | None:
    """The best gain over the rubric so far, when it was measured in `unit`: a best from an older
    yardstick (points before nats) says nothing about this one, and is not held against it.

    >>> best_gain({"best": {"gain_over_rubric": 2.5}}, "points"), best_gain({}, "nats")
    (2.5, None)
    >>> best_gain({"best": {"gain_over_rubric": 2.5, "unit": "points"}}, "nats") is None
    True
    """
    best = manifest.get("best") or {}
    return best.get("gain_over_rubric") if best.get("unit", "points") == unit else None


def _best(report: RetrainReport, current: StoredAdapter | None) -> dict[str, Any]:
    gate, revision = report["gate"], report["candidate"]["revision"]
    gain, unit = gate["gain_over_rubric"], gate.get("unit", "points")
    before = best_gain(current.manifest, unit) if current is not None else None
    if before is not None and before >= gain:
        return current.manifest["best"]
    return {
        "gain_over_rubric": gain,
        "unit": unit,
        "revision": revision,
        "run_id": report["run_id"],
    }


def commit(
    store: DataStore, files: dict[str, bytes], report: RetrainReport, current: StoredAdapter | None
) -> str:
    """Commit the files; a promotion first checks that `adapter/` is still what was evaluated."""
    promote = report["gate"]["passed"]
    if promote and listed_adapter(store) != (current.blobs if current else {}):
        raise GitHubError(
            f"adapter/ on {store.branch} changed while this run trained; run it again "
            "(the workflow's concurrency group keeps two retrains apart)"
        )
    revision = report["candidate"]["revision"]
    if promote:
        message = f"Promote adapter {revision} (retrain run {report['run_id']})"
    elif revision is None:
        message = f"Retrain report {report['run_id']}: not trained (too few held-out reactions)"
    else:
        message = f"Retrain report {report['run_id']}: candidate {revision} not promoted"
    return store.add_files(files, message, replace_dir=ADAPTER_DIR if promote else None)


def keep(out: Path, candidate: Path, files: dict[str, bytes], heldout: Path) -> None:
    """`--output`: the candidate adapter, the report files and the held-out set with its
    judgements (`review-forge eval --data out/heldout.jsonl` compares on it again)."""
    (out / "candidate").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(heldout, out / "heldout.jsonl")
    for item in candidate.iterdir():
        shutil.copyfile(item, out / "candidate" / item.name)
    for path, data in files.items():
        if path.startswith(REPORTS_DIR):
            (out / Path(path).name).write_bytes(data)
