"""GitHub: the client, the event's plan, the replies, the runner and the data branch."""
