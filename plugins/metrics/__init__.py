"""The agent_router_* Prometheus series, their exporter and the fallback-rate window."""
