"""The default team's taste, but people who react mostly when they disagree: a score they agree
with gets a reaction 10-20% of the time, one they disagree with 70-90% of the time. Most
reactions are 👎, and a 👍 is rare and telling."""

from benchmarks.simulation.people import Person, default_judge

judge = default_judge

TEAM = (
    Person("jo", 0, 0.2, reacts_disagreeing=0.9),
    Person("kim", 4, 0.1, reacts_disagreeing=0.8),
    Person("lou", -3, 0.15, reacts_disagreeing=0.7),
    Person("max", 2, 0.1, reacts_disagreeing=0.8),
)
