"""The command-line scripts ``fuel-download``, ``fuel-convert`` and ``fuel-info``."""
