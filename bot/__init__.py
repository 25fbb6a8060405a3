"""review-forge: scores code review comments and learns from people's reactions."""

__version__ = "0.1.0"
