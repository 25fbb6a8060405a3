"""Feedback: the record, its collection from reactions, and feedback given by hand."""
