"""A training run for the exact-resumption test, killed and resumed in subprocesses.

``python -c 'from tests.resumption import main; main()' CHECKPOINT [KILL_AT]``
trains a dropout MLP with Adam on shuffled MNIST batches and checkpoints
after every batch; with ``KILL_AT`` the process SIGKILLs itself after that
iteration, before the iteration's checkpoint is written.
"""
import os
import signal
import sys

import numpy

from blocks.algorithms import Adam, GradientDescent
from blocks.extensions import FinishAfter, TrainingExtension
from blocks.extensions.monitoring import TrainingDataMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.main_loop import MainLoop
from blocks.model import Model
from fuel.datasets import MNIST
from fuel.schemes import ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten
from tests.helpers import dropout_mlp_cost

NUM_EXAMPLES = 1280
BATCH_SIZE = 128
EPOCHS = 2


class KillAt(TrainingExtension):
    """SIGKILLs the training process after the given iteration, once."""
    def __init__(self, iteration, **kwargs):
        super().__init__(**kwargs)
        self.iteration = iteration

    def after_batch(self, batch):
        if (self.iteration is not None and
                self.main_loop.status['iterations_done'] == self.iteration
                and os.environ.get('BLOCKS_TEST_KILL') == '1'):
            os.kill(os.getpid(), signal.SIGKILL)


def build_main_loop(checkpoint_path, kill_at=None):
    mnist = MNIST(('train',), subset=slice(0, NUM_EXAMPLES))
    scheme = ShuffledScheme(NUM_EXAMPLES, BATCH_SIZE,
                            rng=numpy.random.RandomState(11))
    stream = Flatten(DataStream.default_stream(mnist,
                                               iteration_scheme=scheme))
    dropout_cost, parameters = dropout_mlp_cost(100)
    dropout_cost.name = 'cost'
    algorithm = GradientDescent(cost=dropout_cost, parameters=parameters,
                                step_rule=Adam())
    extensions = [TrainingDataMonitoring([dropout_cost], prefix='train',
                                         every_n_batches=3),
                  FinishAfter(after_n_epochs=EPOCHS),
                  KillAt(kill_at),
                  Checkpoint(checkpoint_path, every_n_batches=1)]
    return MainLoop(algorithm, stream, model=Model(dropout_cost),
                    extensions=extensions)


def main(args=None):
    args = sys.argv[1:] if args is None else args
    kill_at = int(args[1]) if len(args) > 1 else None
    build_main_loop(args[0], kill_at).run()
