"""Teams for the loop experiment (`python -m benchmarks.loop_simulation --people FILE`).

Each file defines `judge(body, diff_hunk, path) -> int` (the team's score for a comment, 0-100)
and `TEAM`, a sequence of `benchmarks.simulation.people.Person`. Copy one to model your own team.
"""
