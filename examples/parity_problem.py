"""Learn the parity of binary sequences with an LSTM trained by Adam.

Each example is a sequence of random bits; at every step the network
predicts the parity (the XOR) of the bits seen so far, so that the last
prediction is the parity of the whole sequence. The model is the usual
Blocks recurrent set-up: a :class:`~blocks.bricks.Linear` projection of the
whole input sequence to the LSTM's four gates (computed outside the loop),
an :class:`~blocks.bricks.recurrent.LSTM`, and a logistic readout of every
state; the cost is the binary cross-entropy of all the steps' predictions.
The data are generated from a fixed seed (1,000 training and 500 test
sequences of 12 bits), so a run is reproducible.

With the defaults (20 epochs, batches of 50, Adam with learning rate 0.01)
the parity of whole test sequences is predicted with 100% accuracy from the
4th epoch on (48% before training). The 20 epochs took 34 s with a cold
compile cache (24 s of it compiling) and 18 s with a warm one (10 s
compiling, 2.2 s training), in the default compile mode on a shared
two-core machine.

Run ``python examples/parity_problem.py --help`` for the options.
"""
import argparse
import logging
from collections import OrderedDict

import numpy
import pytensor
from pytensor import tensor

from blocks.algorithms import Adam, GradientDescent
from blocks.bricks import Linear
from blocks.bricks.recurrent import LSTM
from blocks.extensions import FinishAfter, Printing, Timing
from blocks.extensions.monitoring import (DataStreamMonitoring,
                                          TrainingDataMonitoring)
from blocks.extensions.saveload import Checkpoint
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme, ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Mapping


def parity_data(num_examples, length, seed):
    """Random bit sequences and the running parity of each.

    Returns ``(features, targets)``, both of shape
    ``(num_examples, length, 1)`` in floatX: ``targets[:, t]`` is the XOR of
    ``features[:, :t + 1]``.

    >>> features, targets = parity_data(1, 5, seed=3)
    >>> features.ravel().tolist(), targets.ravel().tolist()
    ([0.0, 0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0])

    """
    rng = numpy.random.RandomState(seed)
    bits = rng.randint(0, 2, size=(num_examples, length, 1))
    floatX = pytensor.config.floatX
    return (bits.astype(floatX),
            (numpy.cumsum(bits, axis=1) % 2).astype(floatX))


def time_major(batch):
    """Swap the example and time axes of every source of a batch."""
    return tuple(numpy.swapaxes(source, 0, 1) for source in batch)


def stream(num_examples, length, batch_size, seed, shuffle_seed=None):
    """A time-major stream of parity batches (``features``, ``targets``)."""
    features, targets = parity_data(num_examples, length, seed)
    dataset = IndexableDataset(OrderedDict([('features', features),
                                            ('targets', targets)]))
    if shuffle_seed is None:
        scheme = SequentialScheme(num_examples, batch_size)
    else:
        scheme = ShuffledScheme(num_examples, batch_size,
                                rng=numpy.random.RandomState(shuffle_seed))
    return Mapping(DataStream(dataset, iteration_scheme=scheme), time_major)


def build_model(dim):
    """The LSTM parity model: cost, final-parity accuracy and the bricks."""
    x = tensor.tensor3('features')
    y = tensor.tensor3('targets')
    to_gates = Linear(1, 4 * dim, name='to_gates',
                      weights_init=IsotropicGaussian(1.),
                      biases_init=Constant(0.))
    lstm = LSTM(dim, name='lstm', weights_init=IsotropicGaussian(0.1))
    readout = Linear(dim, 1, name='readout',
                     weights_init=IsotropicGaussian(0.1),
                     biases_init=Constant(0.))
    for brick in (to_gates, lstm, readout):
        brick.initialize()
    # A positive forget-gate bias (the second quarter of the projection)
    # lets the cells hold the parity from the start
    bias = to_gates.b.get_value()
    bias[dim:2 * dim] = 1.
    to_gates.b.set_value(bias)

    states, cells = lstm.apply(to_gates.apply(x))
    logits = readout.apply(states)
    # Binary cross-entropy from the logits, stable in every compile mode
    cost = (tensor.softplus(logits) - y * logits).mean()
    cost.name = 'cost'
    prediction = tensor.cast(logits[-1] > 0, y.dtype)
    accuracy = tensor.eq(prediction, y[-1]).mean()
    accuracy.name = 'accuracy'
    return cost, accuracy, (to_gates, lstm, readout)


def main(epochs=20, dim=16, length=12, batch_size=50, learning_rate=0.01,
         num_train=1000, num_test=500, checkpoint=None):
    """Train the parity LSTM and return the main loop."""
    cost, accuracy, _ = build_model(dim)
    algorithm = GradientDescent(
        cost=cost, parameters=ComputationGraph(cost).parameters,
        step_rule=Adam(learning_rate=learning_rate))
    extensions = [
        Timing(),
        DataStreamMonitoring([cost, accuracy],
                             stream(num_test, length, num_test, seed=2),
                             prefix='test'),
        TrainingDataMonitoring([cost], prefix='train', after_epoch=True),
        FinishAfter(after_n_epochs=epochs),
    ]
    if checkpoint:
        extensions.append(Checkpoint(checkpoint, every_n_epochs=1))
    extensions.append(Printing())
    main_loop = MainLoop(
        algorithm, stream(num_train, length, batch_size, seed=1,
                          shuffle_seed=3),
        model=Model(cost), extensions=extensions)
    main_loop.run()
    return main_loop


def parse_args(args=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=20,
                        help='number of epochs to train (default: 20)')
    parser.add_argument('--dim', type=int, default=16,
                        help='dimension of the LSTM (default: 16)')
    parser.add_argument('--length', type=int, default=12,
                        help='length of the bit sequences (default: 12)')
    parser.add_argument('--batch-size', type=int, default=50,
                        help='training batch size (default: 50)')
    parser.add_argument('--learning-rate', type=float, default=0.01,
                        help='Adam learning rate (default: 0.01)')
    parser.add_argument('--num-train', type=int, default=1000,
                        help='number of training sequences (default: 1000)')
    parser.add_argument('--checkpoint', default=None,
                        help='save the main loop to this path every epoch')
    return parser.parse_args(args)


if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO)
    arguments = parse_args()
    main(epochs=arguments.epochs, dim=arguments.dim, length=arguments.length,
         batch_size=arguments.batch_size,
         learning_rate=arguments.learning_rate,
         num_train=arguments.num_train, checkpoint=arguments.checkpoint)
