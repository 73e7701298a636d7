"""Small training set-ups shared by the main loop, extension and serialization tests."""
from collections import OrderedDict

import numpy
import pytensor
from pytensor import tensor

from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import Linear
from blocks.bricks.cost import SquaredError
from blocks.extensions import TrainingExtension
from blocks.graph import ComputationGraph
from blocks.initialization import Constant
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream

TRUE_WEIGHTS = numpy.array([[1.], [-2.], [0.5]])


def regression_data(num_examples=20, seed=1):
    """Features and noiseless linear targets, in floatX."""
    rng = numpy.random.RandomState(seed)
    floatX = pytensor.config.floatX
    features = rng.normal(size=(num_examples, 3)).astype(floatX)
    targets = features.dot(TRUE_WEIGHTS).astype(floatX)
    return features, targets


def regression_stream(num_examples=20, batch_size=5, scheme=None, seed=1):
    features, targets = regression_data(num_examples, seed)
    dataset = IndexableDataset(OrderedDict([('features', features),
                                            ('targets', targets)]))
    if scheme is None:
        scheme = SequentialScheme(num_examples, batch_size)
    return DataStream(dataset, iteration_scheme=scheme)


def regression_model(learning_rate=0.1, name='linear'):
    """A linear regression cost and its brick, initialized to zero."""
    x = tensor.matrix('features')
    y = tensor.matrix('targets')
    linear = Linear(3, 1, weights_init=Constant(0.), biases_init=Constant(0.),
                    name=name)
    linear.initialize()
    cost = SquaredError().apply(y, linear.apply(x))
    cost.name = 'cost'
    return cost, linear


def regression_algorithm(cost, learning_rate=0.1, **kwargs):
    return GradientDescent(cost=cost,
                           parameters=ComputationGraph(cost).parameters,
                           step_rule=Scale(learning_rate), **kwargs)


class RecordingExtension(TrainingExtension):
    """Records every callback with the iteration count at the time."""
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def dispatch(self, callback_name, *args):
        self.calls.append((str(callback_name),
                           self.main_loop.status['iterations_done']))
        super().dispatch(callback_name, *args)
