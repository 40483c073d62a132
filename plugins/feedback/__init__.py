"""The learning loop's decision handles and feedback (issue 19): records, stores and the desk that
turns a report into counts. No LiteLLM here; router_hooks feeds it ids and callers."""
