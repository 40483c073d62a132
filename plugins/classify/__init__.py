"""Intent classifiers: `classify(prompt) -> Decision`, pure (no I/O, no clock); `build` picks one."""
