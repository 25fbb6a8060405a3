"""One run of the loop experiment: rounds of Action, reactions, collect, retrain and gate.

Everything goes through the product's own code paths against a GitHub server (the tests' fake
GitHub, `tests/support/fake_github/`, over real HTTP): `review_forge.bot.action.run` scores a
pull request's review comments with the adapter promoted to the data branch (the rubric until
there is one) and replies; the simulated team (`benchmarks/simulation/people.py`, or a team file)
reads the replies and reacts 👍/👎 through the REST API, each with their own token;
`review_forge.bot.feedback.collect.collect` writes the reactions to the data branch; and
`review_forge.training.retrain.retrain`, exactly what the scheduled workflow runs, trains a
candidate from the reactions, gates it on held-out feedback and promotes it or not. The only
thing the loop learns from is the reactions; the only settings of the experiment's own are the
small model's (`benchmarks/simulation/model.py`: `SFT`, `GRPO`) and no synthetic training rows
(its base was built from them).
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from benchmarks.simulation.model import GRPO, SFT
from benchmarks.simulation.people import DEFAULT_TEAM, Team, agreement, reaction, shifts
from review_forge.bot.errors import ReviewForgeError
from review_forge.bot.github.event import is_own_reply
from review_forge.bot.github.marker import find_marker, find_score
from review_forge.bot.scoring.rubric import RubricScorer
from review_forge.bot.scoring.score import Comment
from review_forge.bot.settings import Config, load_config

REVIEWER = "rev"


class FakeServer(Protocol):
    """What the loop needs of the fake GitHub (`tests.support.fake_github.FakeGitHub`)."""

    url: str
    token: str
    rate_used: int  # requests counted against the hourly limit

    def client(self, token: str | None = None) -> Any: ...
    def add_token(self, token: str, login: str, *, actions: bool = False) -> None: ...
    def add_pull(self, number: int | None = None, *, user: str = "alice") -> int: ...
    def add_review(self, pr: int, *, user: str = "bob") -> int: ...
    def add_review_comment(self, pr: int, body: str, **fields: Any) -> int: ...


@dataclass(frozen=True)
class Plan:
    base: Path  # the base model folder
    seed: int
    team: Team = DEFAULT_TEAM
    react_scale: float = 1.0  # multiplies every person's chance of reacting
    grpo_steps: int | None = None  # None: the product's default (the GRPO recipe's)


class Loop:
    """The rounds of one seed, on one fake GitHub; `log` holds what each step did."""

    def __init__(
        self, fake: FakeServer, repository: str, plan: Plan, work: Path, eval_rows: Sequence[dict]
    ) -> None:
        self.fake, self.repository, self.plan, self.work = fake, repository, plan, work
        self.rng = random.Random(plan.seed)
        self.eval_comments = [Comment(r["body"], r["diff_hunk"], r["path"]) for r in eval_rows]
        self.eval_judged = [plan.team.judgement(c) for c in self.eval_comments]
        self.current: Path | None = None  # a local copy of the promoted adapter
        self.log: list[dict[str, Any]] = []
        for person in plan.team.people:
            fake.add_token(f"token-{person.login}", person.login)
        work.mkdir(parents=True, exist_ok=True)

    def config(self, run_id: str) -> Config:
        return Config(
            github_token=self.fake.token, api_url=self.fake.url, repository=self.repository,
            github_request_interval=0.0, github_write_interval=0.0, run_id=run_id,
        )  # fmt: skip

    def evaluate(self, adapter: Path | None) -> dict[str, Any]:
        """The scorer's agreement with the team on the held-out comments (rubric for None), and
        its departures from the rubric per kind of comment (`people.shifts`)."""
        from review_forge.bot.scoring.model import load

        scorer = RubricScorer() if adapter is None else load(str(self.plan.base), str(adapter))
        scores = scorer.score_many(self.eval_comments)
        figures = agreement(scores, self.eval_judged)
        return {**asdict(figures), "shifts": shifts(self.eval_comments, [s.score for s in scores])}

    def start(self) -> dict[str, Any]:
        """Round 0: no adapter yet, the rubric scores."""
        entry = {
            "round": 0,
            "gate": {"passed": False, "reasons": []},
            "adapter": self.evaluate(None),
        }
        self.log.append(entry)
        return entry

    def round(self, number: int, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Post `rows` as one review, let the Action reply, react, collect, retrain, evaluate."""
        seconds: dict[str, float] = {}
        clock = time.monotonic()

        def lap(name: str) -> None:
            nonlocal clock
            seconds[name] = round(time.monotonic() - clock, 1)
            clock = time.monotonic()

        # A round stands for a week of reviews: GitHub's hourly request budget (the fake keeps
        # one) has long been renewed, or `collect` would stop early to spare it.
        self.fake.rate_used = 0
        pr = self.fake.add_pull(user="author")
        review = self.fake.add_review(pr, user=REVIEWER)
        for row in rows:
            self.fake.add_review_comment(
                pr, row["body"], user=REVIEWER, path=row["path"], diff_hunk=row["diff_hunk"],
                review_id=review,
            )  # fmt: skip
        code = self._action(number, pr, review)
        lap("action")
        votes = self._react(pr)
        lap("reactions")
        from review_forge.bot.feedback.collect import collect

        collected = collect(self.config(f"collect-{number}"), self.fake.client())
        lap("collect")
        out = self.work / f"round-{number}"
        report = self._retrain(f"retrain-{number}", out)
        lap("retrain")
        gate = _gate(report)
        # Every candidate is measured against the team, promoted or not, so the log shows what
        # the gate let through and what it kept out; a promoted one is the adapter from now on.
        candidate = out / "candidate"
        tried = self.evaluate(candidate) if candidate.is_dir() else None
        entry = {
            "round": number,
            "action_exit": code,
            "reactions": votes,
            "records": len(collected.records),
            "gate": gate,
            "candidate": tried,
            "adapter": tried if gate["passed"] else self.log[-1]["adapter"],
            "seconds": seconds,
        }
        lap("evaluate")
        self.log.append(entry)
        return entry

    def _action(self, number: int, pr: int, review: int) -> int:
        from review_forge.bot.action import run
        from review_forge.bot.github.client import connect

        folder = self.work / f"action-{number}"
        folder.mkdir(exist_ok=True)
        event = {
            "action": "submitted",
            "review": {"id": review, "user": {"login": REVIEWER}},
            "pull_request": {"number": pr},
            "repository": {"full_name": self.repository},
        }
        (folder / "event.json").write_text(json.dumps(event), encoding="utf-8")
        env = {
            "GITHUB_EVENT_NAME": "pull_request_review",
            "GITHUB_EVENT_PATH": str(folder / "event.json"),
            "GITHUB_REPOSITORY": self.repository, "GITHUB_API_URL": self.fake.url,
            "GITHUB_WORKSPACE": str(folder), "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
            "GITHUB_OUTPUT": str(folder / "output"), "GITHUB_RUN_ID": f"action-{number}",
            "INPUT_GITHUB_TOKEN": self.fake.token, "INPUT_GITHUB_REQUEST_INTERVAL": "0",
            "INPUT_GITHUB_WRITE_INTERVAL": "0", "INPUT_ADAPTER": "data-branch",
            "INPUT_BASE_MODEL": str(self.plan.base), "INPUT_MAX_REPLIES": "1000",
            "INPUT_CACHE_DIR": str(self.work / "adapter-cache"),
        }  # fmt: skip
        with (folder / "log.txt").open("w") as log, contextlib.redirect_stdout(log):
            config = load_config(env=env)
            return run(config, connect(config))

    def _react(self, pr: int) -> dict[str, int]:
        """Each person reads the bot's replies and reacts (or not) through the REST API."""
        listing = self.fake.client().get_repo(self.repository).get_pull(pr).get_review_comments()
        comments = {c.id: c._rawData for c in listing}  # raw_data would re-fetch each
        votes = {"replies": 0, "+1": 0, "-1": 0}
        own = self.config("react")
        for reply in comments.values():
            marker, posted = find_marker(reply["body"]), find_score(reply["body"])
            if not is_own_reply(reply, own) or marker is None or posted is None:
                continue
            target = comments[marker.target_id]
            judged = self.plan.team.judgement(
                Comment(target["body"], target.get("diff_hunk"), target.get("path"))
            )
            votes["replies"] += 1
            for person in self.plan.team.people:
                content = reaction(
                    person, int(posted["score"]), judged, self.rng, self.plan.react_scale
                )
                if content is None:
                    continue
                gh = self.fake.client(f"token-{person.login}")
                pull = gh.withLazy(True).get_repo(self.repository).get_pull(pr)
                pull.get_review_comment(reply["id"]).create_reaction(content)
                votes[content] += 1
        return votes

    def _retrain(self, run_id: str, output: Path) -> dict[str, Any] | str:
        """`review-forge retrain` as the workflow runs it; a promotion becomes `current`."""
        from review_forge.training.retrain import Options, retrain

        options = Options(
            base_model=str(self.plan.base), max_steps=self.plan.grpo_steps, synthetic=0,
            overrides=GRPO, sft_overrides=SFT, output=str(output),
        )  # fmt: skip
        try:
            with (self.work / "retrain.log").open("a") as log, contextlib.redirect_stdout(log):
                report = retrain(self.config(run_id), options, self.fake.client())
        except ReviewForgeError as exc:
            return f"retrain refused to run: {exc}"
        if report["gate"]["passed"]:
            self.current = output / "candidate"
        return report


def _gate(report: dict[str, Any] | str) -> dict[str, Any]:
    """The gate's decision and the held-out figures it was taken on, for the log."""
    if isinstance(report, str):
        return {"passed": False, "reasons": [report]}
    return {
        "passed": report["gate"]["passed"],
        "reasons": report["gate"]["reasons"],
        "gains": report["gate"]["gains"],
        "measures": report["evaluation"]["measures"],
        "trained": report["candidate"].get("source") == "trained",
        "candidate_revision": report["candidate"]["revision"],
    }
