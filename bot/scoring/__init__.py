"""The score and the scorers: the rubric, the model, and the one place that picks between them."""
