"""Extensions of the main loop: callbacks run at given stages of training."""
from blocks.extensions.base import (
    always_true, callback, CallbackName, CompositeExtension, has_done_epochs,
    Predicate, SimpleExtension, TrainingExtension)
from blocks.extensions.nan_guard import NanGuard
from blocks.extensions.printing import Printing, ProgressBar
from blocks.extensions.stopping import FinishAfter
from blocks.extensions.timing import Timestamp, Timing

__all__ = ['always_true', 'callback', 'CallbackName', 'CompositeExtension',
           'FinishAfter', 'has_done_epochs', 'NanGuard', 'Predicate', 'Printing',
           'ProgressBar', 'SimpleExtension', 'Timestamp', 'Timing',
           'TrainingExtension']
