"""The loop experiment: simulated people reacting to the Action's replies on a fake GitHub."""
