"""Integrations that run wheelfit in CI systems."""
