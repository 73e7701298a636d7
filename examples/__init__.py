"""Runnable examples; each module has a main(...) that returns its main loop."""
