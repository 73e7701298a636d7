"""Reliability: failures early, clear and lossless."""
