"""Draft tokens for greedy decoding: guesses the model checks in one step, its answer unchanged.

The retrain teaches the adapter the rubric's answer (`training.data_synthesis`) and then moves
it where people disagree, so an adapter's answer repeats long runs of the rubric's answer for
the same comment: the same lines, mostly the same numbers and notes. Each decoding step can feed
the model its next token plus a few tokens guessed from that text and keep the guesses the
model would have written itself (its argmax after each one), so one step may yield several
tokens. Decoding a token on a CPU is bound by reading the weights, not by arithmetic: checking
a few guesses in the same step costs little more than decoding one. Greedy answers stay exactly
what they would be without drafts; only the number of steps changes.

The guess is prompt-lookup decoding: the answer's last `n` tokens are looked up in the draft
text and what follows them there is proposed. A row whose guesses keep missing asks for fewer.
"""

from __future__ import annotations

MIN_MATCH = 2  # tokens of the answer's end that must be found in the draft
START, MOST = 4, 16  # tokens guessed per step: at first, and at most


class Drafter:
    """One row's draft text and how many tokens to guess next (see the module's doc)."""

    def __init__(self, draft: list[int]) -> None:
        self.draft = draft
        self.size = START

    def propose(self, answer: list[int], room: int) -> list[int]:
        """Up to `room` tokens the draft says follow `answer`; [] without a match.

        >>> Drafter([7, 1, 2, 3, 4, 5, 6]).propose([9, 1, 2], room=3)
        [3, 4, 5]
        >>> Drafter([1, 2, 3]).propose([5, 6], room=3), Drafter([1, 2, 3]).propose([1, 2, 3], 3)
        ([], [])
        """
        limit = min(self.size, room)
        if limit <= 0 or len(answer) < MIN_MATCH:
            return []
        for length in (4, 3, MIN_MATCH):
            tail = answer[-length:]
            if len(tail) < length:
                continue
            for start in range(len(self.draft) - length):
                if self.draft[start : start + length] == tail:
                    return self.draft[start + length : start + length + limit]
        return []

    def accepted(self, proposed: int, kept: int) -> None:
        """All guesses kept: guess more next time; one missed: guess fewer.

        >>> drafter = Drafter([])
        >>> drafter.accepted(4, 4); drafter.size
        8
        >>> drafter.accepted(8, 1); drafter.size
        2
        """
        if proposed and kept == proposed:
            self.size = min(MOST, self.size * 2)
        elif proposed:
            self.size = max(MIN_MATCH, kept + 1)
