"""Training side of review-forge: data synthesis, rewards, the GRPO trainer, adapter evaluation.

Heavy dependencies (torch, transformers, peft, oumi) come from the `train`/`model` extras; `bot`
never imports this package.
"""
