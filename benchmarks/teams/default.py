"""The default team: the rubric's judgement plus stated departures (`Taste`: comments about tests
or security +15, bare nits -20, long comments not held against), five people, four of whom react
to 50-80% of replies, each with a lean of a few points, 10% noise."""

from benchmarks.simulation.people import TEAM, default_judge

judge = default_judge
__all__ = ["TEAM", "judge"]
