"""One module per `review-forge` command: `add_arguments(parser)` and `run(args) -> int`."""
