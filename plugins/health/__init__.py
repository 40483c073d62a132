"""Model health: the per-model state machine and the background monitor that feeds it."""
