"""Small training set-ups and models shared by several test modules."""
from collections import OrderedDict

import numpy
import pytensor
from pytensor import tensor

from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import MLP, Linear, Rectifier, Softmax
from blocks.bricks.cost import CategoricalCrossEntropy, SquaredError
from blocks.extensions import TrainingExtension
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph, apply_dropout
from blocks.initialization import Constant, IsotropicGaussian
from blocks.monitoring.aggregation import MonitoredQuantity
from blocks.roles import OUTPUT
from examples.mnist import tutorial_mlp  # noqa: F401 (the tutorial's model)
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


def dropout_mlp_cost(hidden_dim):
    """An initialized MNIST MLP's cost, with dropout on its hidden layer.

    The MLP has one Rectifier layer of ``hidden_dim`` units and a Softmax
    output; its hidden outputs are dropped with probability 0.5 (seed 5).
    Returns the cost with dropout and the parameters of the MLP.
    """
    x = tensor.matrix('features')
    y = tensor.lmatrix('targets')
    mlp = MLP([Rectifier(), Softmax()], [784, hidden_dim, 10],
              weights_init=IsotropicGaussian(0.01), biases_init=Constant(0))
    mlp.initialize()
    cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
    cg = ComputationGraph(cost)
    hidden = VariableFilter(bricks=[Rectifier], roles=[OUTPUT])(cg.variables)
    dropout_cost, = apply_dropout(cg, hidden, 0.5, seed=5).outputs
    return dropout_cost, cg.parameters


class RecordingExtension(TrainingExtension):
    """Records every callback with the iteration count at the time."""
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def dispatch(self, callback_name, *args):
        self.calls.append((str(callback_name),
                           self.main_loop.status['iterations_done']))
        super().dispatch(callback_name, *args)


class Accuracy(MonitoredQuantity):
    """The fraction of correct predictions, computed in Python."""
    def initialize(self):
        self.correct, self.total = 0, 0

    def aggregate(self, predicted, targets):
        self.correct += int((predicted == targets).sum())
        self.total += len(targets)

    def get_aggregated_value(self):
        return self.correct / self.total
