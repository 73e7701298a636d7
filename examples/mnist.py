"""Train the introduction tutorial's MLP on MNIST.

The model, cost and training set-up are exactly those of the introduction
tutorial (``docs/tutorial.rst``): a 784-100-10 rectifier/softmax network,
cross-entropy plus L2 regularization, plain SGD with learning rate 0.1 on
sequential batches of 256 examples, and the test-set cost monitored before
the first and after every epoch. MNIST ships with the ``fuel`` package, so
no network is needed.

One epoch (the default) reaches the tutorial's numbers: a test cost of
0.6649 and a test error rate of 13.9%, from 2.3424 before training; it took
17 s on a shared two-core machine, 14 s of it compiling with a cold cache
and 0.7 s training.

Run ``python examples/mnist.py --help`` for the options.
"""
import argparse

from pytensor import tensor

from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import Linear, Rectifier, Softmax
from blocks.bricks.cost import CategoricalCrossEntropy, MisclassificationRate
from blocks.extensions import (FinishAfter, NanGuard, Printing, ProgressBar,
                               Timing)
from blocks.extensions.monitoring import (DataStreamMonitoring,
                                          TrainingDataMonitoring)
from blocks.extensions.saveload import Checkpoint
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.roles import WEIGHT
from fuel.datasets import MNIST
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten


def tutorial_mlp():
    """The tutorial's MLP, not initialized, without regularization.

    Returns ``(input_to_hidden, hidden_to_output, y, y_hat, cost)``: the two
    :class:`~blocks.bricks.Linear` bricks, the targets, the predicted
    distribution and the cross-entropy cost. The inputs are named
    ``features`` and ``targets``, as the sources of MNIST.

    """
    x = tensor.matrix('features')
    input_to_hidden = Linear(name='input_to_hidden', input_dim=784,
                             output_dim=100)
    h = Rectifier().apply(input_to_hidden.apply(x))
    hidden_to_output = Linear(name='hidden_to_output', input_dim=100,
                              output_dim=10)
    y_hat = Softmax().apply(hidden_to_output.apply(h))
    y = tensor.lmatrix('targets')
    cost = CategoricalCrossEntropy().apply(y.flatten(), y_hat)
    return input_to_hidden, hidden_to_output, y, y_hat, cost


def build_model():
    """Return the tutorial's regularized cost and its misclassification rate.

    The MLP of :func:`tutorial_mlp` with L2 regularization of both weight
    matrices (0.005 each), initialized as in the tutorial.

    """
    input_to_hidden, hidden_to_output, y, y_hat, cost = tutorial_mlp()
    cg = ComputationGraph(cost)
    W1, W2 = VariableFilter(roles=[WEIGHT])(cg.variables)
    cost = cost + 0.005 * (W1 ** 2).sum() + 0.005 * (W2 ** 2).sum()
    cost.name = 'cost_with_regularization'
    error_rate = MisclassificationRate().apply(y.flatten(), y_hat)
    error_rate.name = 'error_rate'

    for brick in (input_to_hidden, hidden_to_output):
        brick.weights_init = IsotropicGaussian(0.01)
        brick.biases_init = Constant(0)
        brick.initialize()
    return cost, error_rate


def stream(split, batch_size, num_examples=None):
    """A flattened MNIST stream of sequential batches.

    ``num_examples`` keeps only the first examples of the split.

    """
    dataset = MNIST((split,), subset=slice(0, num_examples))
    return Flatten(DataStream.default_stream(
        dataset, iteration_scheme=SequentialScheme(dataset.num_examples,
                                                   batch_size=batch_size)))


def build_main_loop(epochs=1, batch_size=256, learning_rate=0.1,
                    progress_bar=True, checkpoint=None, num_examples=None,
                    make_stream=stream):
    """The tutorial's main loop, not yet run.

    ``make_stream(split, batch_size, num_examples)`` makes the training
    and test streams (:func:`stream` by default; the data-parallel example
    passes its sharded streams).

    """
    cost, error_rate = build_model()
    cg = ComputationGraph(cost)
    algorithm = GradientDescent(cost=cost, parameters=cg.parameters,
                                step_rule=Scale(learning_rate=learning_rate))
    extensions = [
        Timing(),
        DataStreamMonitoring(variables=[cost, error_rate],
                             data_stream=make_stream('test', 1024),
                             prefix="test"),
        TrainingDataMonitoring([cost], prefix="train", after_epoch=True),
        NanGuard(),  # stops at the first NaN, keeping the last checkpoint
        FinishAfter(after_n_epochs=epochs),
    ]
    if checkpoint:
        extensions.append(Checkpoint(checkpoint, every_n_epochs=1))
    if progress_bar:
        extensions.append(ProgressBar())
    extensions.append(Printing())
    return MainLoop(data_stream=make_stream('train', batch_size, num_examples),
                    algorithm=algorithm, model=Model(cost),
                    extensions=extensions)


def main(epochs=1, batch_size=256, learning_rate=0.1, progress_bar=True,
         checkpoint=None, num_examples=None):
    """Train the tutorial's MLP and return the main loop.

    ``num_examples`` trains on the first examples of the training set only
    (the test set is monitored whole).

    """
    main_loop = build_main_loop(epochs, batch_size, learning_rate,
                                progress_bar, checkpoint, num_examples)
    main_loop.run()
    return main_loop


def parse_args(args=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=1,
                        help='number of epochs to train (default: 1)')
    parser.add_argument('--batch-size', type=int, default=256,
                        help='training batch size (default: 256)')
    parser.add_argument('--learning-rate', type=float, default=0.1,
                        help='SGD learning rate (default: 0.1)')
    parser.add_argument('--no-progress-bar', action='store_true',
                        help='do not show a progress bar')
    parser.add_argument('--checkpoint', default=None,
                        help='save the main loop to this path every epoch')
    parser.add_argument('--num-examples', type=int, default=None,
                        help='train on the first N examples only '
                             '(default: all 60,000)')
    return parser.parse_args(args)


if __name__ == '__main__':
    arguments = parse_args()
    main(epochs=arguments.epochs, batch_size=arguments.batch_size,
         learning_rate=arguments.learning_rate,
         progress_bar=not arguments.no_progress_bar,
         checkpoint=arguments.checkpoint,
         num_examples=arguments.num_examples)
