"""Exceptions of Blocks."""


class TrainingFinish(Exception):
    """Raised when the main loop is requested to finish training."""
