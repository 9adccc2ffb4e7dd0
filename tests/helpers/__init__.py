"""Helpers the tests import: workspaces on the shared broker, processes, warehouse comparisons."""
