"""Recurrent bricks: the :func:`recurrent` decorator and the architectures."""
from blocks.bricks.recurrent.base import BaseRecurrent, recurrent
from blocks.bricks.recurrent.architectures import (
    GatedRecurrent, LSTM, SimpleRecurrent)
from blocks.bricks.recurrent.misc import (
    Bidirectional, RECURRENTSTACK_SEPARATOR, RecurrentStack)

__all__ = ['BaseRecurrent', 'Bidirectional', 'GatedRecurrent', 'LSTM',
           'RECURRENTSTACK_SEPARATOR', 'RecurrentStack', 'SimpleRecurrent',
           'recurrent']
