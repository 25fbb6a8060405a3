"""Nothing lost and nothing twice: every fault GitHub can throw, at every write of the Action,
collect, learn and retrain, against the fake GitHub; then the end state on the fake (the replies,
the data branch's files and history) against the same scenario run without a fault.

A run that fails cleanly (a one-line `ReviewForgeError`) is run once more, as its schedule or a
person would; a traceback (any other exception) fails the cell. `python -m pytest
tests/test_faults.py -s` prints the table the README shows.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from review_forge.bot.action import act
from review_forge.bot.errors import ReviewForgeError
from review_forge.bot.feedback.collect import collect
from review_forge.bot.feedback.learn import Verdict, for_text, save
from review_forge.bot.github.client import connect
from review_forge.bot.github.data_branch import DataStore, parse_records
from review_forge.bot.github.marker import find_marker
from review_forge.bot.github.reply import render_reply
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import Comment
from review_forge.bot.settings import Config
from review_forge.training import promote
from tests.support.fake_github import ACTIONS_LOGIN, FakeGitHub

BRANCH = "review-forge-data"
NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
FAULTS: dict[str, Callable[[FakeGitHub, str, str], None]] = {
    "5xx": lambda f, m, p: f.fail(m, p, status=502),
    "5xx after the write": lambda f, m, p: f.fail(m, p, status=502, after=True),
    "403 secondary rate limit": lambda f, m, p: f.fail_secondary_rate_limit(m, p, retry_after=2),
    "404": lambda f, m, p: f.fail(m, p, status=404),
    "409/422 stale ref": lambda f, m, p: f.fail(
        m, p, status=409 if "trees" in p else 422, body={"message": "Update is not a fast forward"}
    ),
    "answer lost after the write": lambda f, m, p: f.drop(m, p, after=True),
    "connection reset before it": lambda f, m, p: f.drop(m, p, after=False),
}
GIT_WRITES = {
    "blob": ("POST", r"/git/blobs$"),
    "tree": ("POST", r"/git/trees$"),
    "commit": ("POST", r"/git/commits$"),
    "create branch": ("POST", r"/git/refs$"),
    "move branch": ("PATCH", r"/git/refs/heads/"),
}


def _config(fake: FakeGitHub, tmp_path, **extra) -> Config:
    values = dict(github_token=fake.token, api_url=fake.url, repository=fake.repo.full_name,
                  github_request_interval=0.0, github_write_interval=0.0, run_id="77",
                  scorer="rubric", step_summary=str(tmp_path / "summary.md"),
                  github_output=str(tmp_path / "output"))  # fmt: skip
    return Config(**(values | extra))


def _reply_body(text: str, target: int) -> str:
    return render_reply(RubricScorer().score_many([Comment(text, None, None)])[0], target)


# --- the writers: seed, run, and what landed -----------------------------------------------
@dataclass
class Scenario:
    seed: Callable[[FakeGitHub, Config], None]
    run: Callable[[FakeGitHub, Config], object]
    landed: Callable[[FakeGitHub], Counter]  # each logical item and how often it is there


def _seed_review(fake: FakeGitHub, config: Config, n: int = 3) -> None:
    pr = fake.add_pull()
    for i in range(n):
        fake.add_review_comment(pr, f"Comment {i}: `retry()` loops forever; cap it at 3 tries.")


def _run_action(fake: FakeGitHub, config: Config) -> int:
    return act(config, "workflow_dispatch", {"inputs": {"pr": "1"}}, connect(config),
               lambda: (RubricScorer(), None), sleep=lambda s: None)  # fmt: skip


def _replies(fake: FakeGitHub) -> Counter:
    """target comment -> the bot's replies to it (marker AND author), with the body's score."""
    return Counter(
        (find_marker(c["body"]).target_id, c["body"].split("**Review score: ")[1][:3])
        for c in fake.repo.review_comments.values()
        if c["user"] == ACTIONS_LOGIN and find_marker(c["body"])
    )


def _seed_edited(fake: FakeGitHub, config: Config) -> None:
    _seed_review(fake, config)
    _run_action(fake, config)
    for c in list(fake.repo.review_comments.values()):
        if c["user"] != ACTIONS_LOGIN:
            c["body"] = "ok"  # edited to a worse comment: the replies must change


def _seed_collect(fake: FakeGitHub, config: Config) -> None:
    pr = fake.add_pull()
    for i in range(4):
        target = fake.add_review_comment(pr, f"Comment {i}: name the file.")
        reply = fake.add_review_comment(pr, _reply_body("x", target), user=ACTIONS_LOGIN,
                                        in_reply_to=target)  # fmt: skip
        fake.add_reaction(reply, "+1" if i % 2 else "-1", user="carol")


def _branch_records(fake: FakeGitHub) -> Counter:
    files = fake.files(BRANCH)
    return Counter(
        (r.reply_comment_id, r.up, r.down)
        for path, data in files.items()
        if path.startswith("feedback/")
        for r in parse_records(data, path)
    )


def _run_learn(fake: FakeGitHub, config: Config) -> str:
    record = for_text(config, "Rename `x` to `retries`.", Verdict(rating=70), now=NOW)
    return save(config, record, None, connect(config), sleep=lambda s: None)


def _run_retrain(fake: FakeGitHub, config: Config) -> str:
    store = DataStore(connect(config).get_repo(config.repository), BRANCH, sleep=lambda s: None)
    report = {"gate": {"passed": True}, "candidate": {"revision": "r1"}, "run_id": "77",
              "report_path": "reports/2024-05-01-77"}  # fmt: skip
    files = {"reports/2024-05-01-77.json": json.dumps(report).encode(),
             "adapter/adapter_model.safetensors": b"\0weights" * 50,
             "adapter/manifest.json": b'{"revision": "r1"}'}  # fmt: skip
    return promote.commit(store, files, report, None)


def _branch_files(fake: FakeGitHub) -> Counter:
    """Each file's content once per commit that added it: a write landed twice counts 2."""
    git, sha, seen = fake.repo.git, fake.ref_sha(BRANCH), Counter()
    while sha:
        commit = git.commits[sha]
        parent = commit.parents[0] if commit.parents else None
        before = git.flatten(git.commits[parent].tree) if parent else {}
        for path, e in git.flatten(commit.tree).items():
            if path != "README.md" and before.get(path) != e:
                seen[path.split("/")[0], git.blobs[e.sha]] += 1
        sha = parent
    return seen


SCENARIOS = {
    "Action: post a reply": (Scenario(_seed_review, _run_action, _replies), ("POST", "/replies$")),
    "Action: edit a reply": (
        Scenario(_seed_edited, _run_action, _replies),
        ("PATCH", r"/pulls/comments/\d+$"),
    ),
    **{f"collect: {w}": (Scenario(_seed_collect, lambda f, c: collect(c, connect(c), now=NOW,
                                  sleep=lambda s: None), _branch_records), GIT_WRITES[w])
       for w in GIT_WRITES},
    **{f"learn: {w}": (Scenario(lambda f, c: None, _run_learn, _branch_files), GIT_WRITES[w])
       for w in GIT_WRITES},
    **{f"retrain: {w}": (Scenario(lambda f, c: None, _run_retrain, _branch_files), GIT_WRITES[w])
       for w in GIT_WRITES},
}  # fmt: skip


@dataclass
class Cell:
    injected: int
    retried: int
    reruns: int
    duplicates: int
    lost: int
    linear: bool


def _play(scenario: Scenario, tmp_path, fault: tuple[str, str, str] | None) -> tuple[Cell, Counter]:
    fake = FakeGitHub().start()
    try:
        config = _config(fake, tmp_path)
        scenario.seed(fake, config)
        before = len(fake.requests)
        if fault:
            FAULTS[fault[0]](fake, fault[1], fault[2])
        reruns = 0
        try:
            scenario.run(fake, config)
        except ReviewForgeError:
            reruns = 1
            scenario.run(fake, config)
        writes = [r for r in fake.requests[before:] if r.method != "GET"]
        landed = scenario.landed(fake)
        fake.take_violations()  # a fault's request is as GitHub would see it; nothing to check
        git, sha, linear = fake.repo.git, fake.ref_sha(BRANCH), True
        while sha:
            parents = git.commits[sha].parents
            linear &= len(parents) <= 1
            sha = parents[0] if parents else None
        cell = Cell(len(fake.injected), len(writes), reruns, 0, 0, linear)
        return cell, landed
    finally:
        fake.stop()


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("where", list(SCENARIOS))
def test_every_fault_at_every_write(where, fault, tmp_path, request):
    scenario, (method, pattern) = SCENARIOS[where]
    clean, expected = _play(scenario, tmp_path, None)
    cell, landed = _play(scenario, tmp_path, (fault, method, pattern))

    assert cell.injected == 1  # the write happened, and met the fault
    cell.retried = cell.retried - clean.retried
    cell.duplicates = sum(n - 1 for n in landed.values() if n > 1)
    cell.lost = sum(1 for item in expected if item not in landed)
    request.config.stash.setdefault(_TABLE, {})[where, fault] = cell
    assert cell.duplicates == 0, f"landed twice: {[k for k, n in landed.items() if n > 1]}"
    assert cell.lost == 0 and set(landed) == set(expected)
    assert cell.linear


_TABLE = pytest.StashKey[dict]()


@pytest.fixture(scope="module", autouse=True)
def _print_table(request):
    """With `-s`: the fault table, one row per fault (summed over the writes)."""
    yield
    table = request.config.stash.get(_TABLE, {})
    if not table:
        return
    print("\n| fault | writes hit | writes sent again | re-runs | duplicates | records lost |")
    print("|---|---:|---:|---:|---:|---:|")
    for fault in FAULTS:
        cells = [c for (_, f), c in table.items() if f == fault]
        print(f"| {fault} | {sum(c.injected for c in cells)} | {sum(c.retried for c in cells)} "
              f"| {sum(c.reruns for c in cells)} | {sum(c.duplicates for c in cells)} "
              f"| {sum(c.lost for c in cells)} |")  # fmt: skip


# --- many writers on one branch ------------------------------------------------------------
def test_ten_writers_racing_on_one_branch_all_land_once_on_a_linear_history(fake_github, tmp_path):
    _seed_collect(fake_github, _config(fake_github, tmp_path))
    repo = fake_github.client().get_repo(fake_github.repo.full_name)
    DataStore(repo, BRANCH).ensure()
    # All ten build their commit on the same tip; GitHub lets one fast-forward, refuses nine.
    fake_github.gate("PATCH", f"/git/refs/heads/{BRANCH}$", 10)
    errors: list[BaseException] = []

    def collector(n: int) -> None:
        config = _config(fake_github, tmp_path, run_id=f"c{n}")
        collect(config, connect(config), now=NOW + timedelta(minutes=n))  # each its own snapshot

    def learner(n: int) -> None:
        config = _config(fake_github, tmp_path)
        save(config, for_text(config, f"Rename `v{n}`.", Verdict(up=True), now=NOW), None,
             connect(config))  # fmt: skip

    def retrainer(n: int) -> None:
        store = DataStore(connect(_config(fake_github, tmp_path)).get_repo(repo.full_name), BRANCH)
        report = {"gate": {"passed": False}, "candidate": {"revision": f"r{n}"}, "run_id": f"t{n}"}
        promote.commit(store, {f"reports/2024-05-01-t{n}.json": json.dumps(report).encode()},
                       report, None)  # fmt: skip

    def guard(fn: Callable[[int], None], n: int) -> None:
        try:
            fn(n)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    jobs = [(collector, n) for n in range(4)] + [(learner, n) for n in range(3)]
    jobs += [(retrainer, n) for n in range(3)]
    threads = [threading.Thread(target=guard, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert errors == []
    files = fake_github.files(BRANCH)
    assert sum(p.startswith("feedback/") for p in files) == 4 + 3
    assert sum(p.startswith("collect/") for p in files) == 4
    assert sum(p.startswith("reports/") for p in files) == 3
    assert set(_branch_files(fake_github).values()) == {1}  # each landed in one commit only
    git, sha, commits = fake_github.repo.git, fake_github.ref_sha(BRANCH), 0
    while sha:
        commits += 1
        parents = git.commits[sha].parents
        assert len(parents) <= 1
        sha = parents[0] if parents else None
    assert commits == 1 + 10  # the README's, then one per writer
    patches = [r.status for r in fake_github.calls("PATCH", "/git/refs/")]
    assert patches.count(200) == 10 and patches.count(422) >= 9


# --- a review too big for one run ----------------------------------------------------------
def test_a_review_of_50_comments_gets_20_replies_a_run_and_re_runs_finish_without_a_duplicate(
    fake_github, tmp_path
):
    pr = fake_github.add_pull()
    review = fake_github.add_review(pr, user="alice")
    comments = [fake_github.add_review_comment(pr, f"Comment {i}: rename `v{i}` to `count`.",
                                               user="alice", review_id=review)
                for i in range(50)]  # fmt: skip
    event = {"action": "submitted", "review": {"id": review, "user": {"login": "alice"}},
             "pull_request": {"number": pr}, "repository": {"full_name": "octo-org/octo-repo"},
             "sender": {"login": "alice", "type": "User"}}  # fmt: skip
    config = _config(fake_github, tmp_path, max_replies=20)

    def run() -> Counter:
        (tmp_path / "summary.md").write_text("")
        act(config, "pull_request_review", event, connect(config),
            lambda: (RubricScorer(), None), sleep=lambda s: None)  # fmt: skip
        return Counter(target for target, _ in _replies(fake_github).elements())

    first = run()
    summary = (tmp_path / "summary.md").read_text()
    assert len(first) == 20 and set(first.values()) == {1}
    assert summary.count("over max\\_replies \\(20\\) for one run") == 30  # escaped Markdown
    fake_github.drop("POST", "/replies$", after=True)  # a lost answer in the re-run, too
    second = run()
    third = run()
    assert (len(second), len(third)) == (40, 50)
    assert sorted(third) == comments and set(third.values()) == {1}  # none twice
