"""Bricks: parametrized graph operations, and their roles."""
from blocks.bricks.base import application, Brick, lazy
from blocks.bricks.interfaces import (
    Activation, Feedforward, Initializable, LinearLike, Random, RNGMixin)
from blocks.bricks.simple import (
    Bias, Identity, LeakyRectifier, Linear, LinearMaxout, Logistic, Maxout,
    NDimensionalSoftmax, Rectifier, Softmax, Softplus, Tanh)
from blocks.bricks.sequences import FeedforwardSequence, MLP, Sequence
from blocks.bricks.wrappers import WithExtraDims
from blocks.bricks.bn import (BatchNormalization, BatchNormalizedMLP,
                              SpatialBatchNormalization)
from blocks.bricks.recurrent import (
    BaseRecurrent, Bidirectional, GatedRecurrent, LSTM,
    RECURRENTSTACK_SEPARATOR, RecurrentStack, SimpleRecurrent, recurrent)
from blocks.roles import (  # noqa: F401  (the tutorials import roles from here)
    add_role, has_roles, AUXILIARY, BIAS, COST, DROPOUT, FILTER, INITIAL_STATE,
    INPUT, OUTPUT, PARAMETER, WEIGHT)

__all__ = ['application', 'Brick', 'lazy', 'Activation', 'Feedforward',
           'Initializable', 'LinearLike', 'Random', 'RNGMixin', 'Bias',
           'Identity', 'LeakyRectifier', 'Linear', 'LinearMaxout', 'Logistic',
           'Maxout', 'NDimensionalSoftmax', 'Rectifier', 'Softmax',
           'Softplus', 'Tanh', 'FeedforwardSequence', 'MLP', 'Sequence',
           'WithExtraDims', 'BatchNormalization', 'BatchNormalizedMLP',
           'SpatialBatchNormalization', 'BaseRecurrent', 'Bidirectional',
           'GatedRecurrent', 'LSTM', 'RECURRENTSTACK_SEPARATOR',
           'RecurrentStack', 'SimpleRecurrent', 'recurrent']
