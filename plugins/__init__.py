"""agent-router: intent routing for the LiteLLM proxy. This package never imports litellm."""

__version__ = "0.1.0"
