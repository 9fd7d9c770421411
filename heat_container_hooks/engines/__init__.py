"""Engines: one adapter per tool, each carrying desired state out and
reporting an Outcome. No engine imports another engine."""
