"""Developer commands: the local stack behind `make run` and its helpers."""
