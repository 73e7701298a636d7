"""Extensions that live in the extras: :class:`.plot.Plot`."""
