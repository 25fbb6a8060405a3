"""Git hooks around review-forge: `review_lint` scores review drafts before they are posted.

Everything here runs on every commit, so it imports only the light path of `bot` (config,
score contract, rubric) and never torch.
"""
