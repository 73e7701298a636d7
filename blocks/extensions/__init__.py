"""Extensions of the main loop: callbacks run at given stages of training."""
from blocks.extensions.base import (
    always_true, callback, CallbackName, CompositeExtension, FinishAfter,
    has_done_epochs, Predicate, Printing, ProgressBar, SimpleExtension,
    Timestamp, Timing, TrainingExtension)

__all__ = ['always_true', 'callback', 'CallbackName', 'CompositeExtension',
           'FinishAfter', 'has_done_epochs', 'Predicate', 'Printing',
           'ProgressBar', 'SimpleExtension', 'Timestamp', 'Timing',
           'TrainingExtension']
