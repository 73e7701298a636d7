"""Train the tutorial's MLP on MNIST data-parallel over MPI workers.

The model, cost and set-up are those of ``examples/mnist.py`` (the
introduction tutorial); the one change that makes it data-parallel is
``data_parallel(MainLoop(...))``, with the streams' schemes wrapped in
:class:`~fuel.schemes.ShardedScheme`. Run it with::

    mpiexec -n 2 python examples/mnist_distributed.py

Each worker reads its half of every batch of 256; the gradients are
averaged over the workers after every batch, so the training is the
tutorial's (the same numbers up to floating point rounding): one epoch
reaches a test cost of 0.6649 and a test error rate of 13.9%. With two
workers on a quiet two-core machine the run took 5.6 s (with a warm compile
cache), 0.44 s of it training the epoch, as long as one process takes
(0.45 s, ``examples/mnist.py``): this MLP (784-100-10) is too small for two
workers to pay off; ``benchmarks/distributed.py`` trains a larger one
(784-1024-1024-10) 1.8 times as fast on two workers. Only rank 0 prints,
shows the progress bar and writes the checkpoint; resume with
``mpiexec -n 2 blocks-continue CHECKPOINT``.

Run ``python examples/mnist_distributed.py --help`` for the options.
"""
import argparse

from blocks.distributed import data_parallel
from fuel.datasets import MNIST
from fuel.schemes import SequentialScheme, ShardedScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten


def sharded_stream(split, batch_size, num_examples=None):
    """This worker's shard of every batch of a flattened MNIST stream."""
    dataset = MNIST((split,), subset=slice(0, num_examples))
    scheme = ShardedScheme(SequentialScheme(dataset.num_examples,
                                            batch_size=batch_size))
    return Flatten(DataStream.default_stream(dataset,
                                             iteration_scheme=scheme))


def main(epochs=1, batch_size=256, learning_rate=0.1, progress_bar=True,
         checkpoint=None, num_examples=None):
    """Train the tutorial's MLP on this worker's shards; return the loop.

    ``batch_size`` is the batch of all the workers together.

    """
    from examples.mnist import build_main_loop
    main_loop = data_parallel(build_main_loop(
        epochs, batch_size, learning_rate, progress_bar, checkpoint,
        num_examples, make_stream=sharded_stream))
    main_loop.run()
    return main_loop


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='Run under MPI: mpiexec -n WORKERS python '
               'examples/mnist_distributed.py [options]')
    parser.add_argument('--epochs', type=int, default=1,
                        help='number of epochs to train (default: 1)')
    parser.add_argument('--batch-size', type=int, default=256,
                        help='training batch size of all the workers '
                             'together (default: 256)')
    parser.add_argument('--learning-rate', type=float, default=0.1,
                        help='SGD learning rate (default: 0.1)')
    parser.add_argument('--no-progress-bar', action='store_true',
                        help='do not show a progress bar')
    parser.add_argument('--checkpoint', default=None,
                        help='rank 0 saves the main loop to this path every '
                             'epoch')
    parser.add_argument('--num-examples', type=int, default=None,
                        help='train on the first N examples only '
                             '(default: all 60,000)')
    return parser.parse_args(args)


if __name__ == '__main__':
    import os
    import sys
    # Run as a script, the repository's root holds the examples package.
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    arguments = parse_args()
    main(epochs=arguments.epochs, batch_size=arguments.batch_size,
         learning_rate=arguments.learning_rate,
         progress_bar=not arguments.no_progress_bar,
         checkpoint=arguments.checkpoint,
         num_examples=arguments.num_examples)
