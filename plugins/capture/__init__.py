"""Opt-in capture of routed requests for retraining (issue 19): the scrubber, the file writer, and the
reader that joins feedback onto decisions for `agent-router eval`."""
