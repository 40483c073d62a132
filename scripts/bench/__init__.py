"""`make bench`: the bundle's marginal cost over the same LiteLLM settings, and the classifier's latency."""
