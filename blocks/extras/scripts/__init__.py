"""Command-line tools of the extras: ``blocks-plot``."""
