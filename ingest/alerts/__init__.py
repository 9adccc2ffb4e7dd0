"""Alerts: incidents from Dagster's checks and runs, sent to a webhook and listed at /healthz."""
