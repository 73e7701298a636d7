"""A small MLP trained one process or data-parallel, for the MPI tests.

``python -m tests.distributed.mlp_job OUT --batch-size B [--parallel]
[--checkpoint PATH] [--kill-at K]`` trains for ``--steps`` steps with Adam
on random float64 data, monitors a sharded validation stream, and writes to
``OUT`` (a ``.npz``, by rank 0) the final parameters and the log's
monitored values; with ``--parallel`` every rank also writes the digest of
its parameters to ``OUT.rankR`` and rank 0 the engine that reduced the
gradients to ``OUT.engine`` (``--reduction``, ``--reduce-scatter`` and
``--simulated-nodes`` choose it; ``--no-shard`` keeps the whole step on every
worker; ``--no-factors`` sends the dense layers' whole gradients). With
``--replace-at K --replace-rank R``, rank R halves the first
weight matrix with ``set_value`` after step K (a value replaced outside the
shared memory of the sharded step). With ``--kill-at K`` and the environment
variable ``BLOCKS_TEST_KILL_RANK=R``, rank R SIGKILLs itself after step K
(with ``BLOCKS_TEST_FAIL_RANK=R``, it raises an exception instead; with
``BLOCKS_TEST_TERM_RANK=R`` it sends itself SIGTERM, the main loop's
request to stop after the batch). Run it
as a module, so that the checkpoint refers to its classes by module.
"""
import argparse
import os
import signal
import sys

import numpy
from pytensor import tensor

from blocks.algorithms import Adam, GradientDescent
from blocks.bricks import MLP, Softmax, Tanh
from blocks.bricks.cost import CategoricalCrossEntropy, MisclassificationRate
from blocks.extensions import FinishAfter, Printing, TrainingExtension
from blocks.extensions.monitoring import (DataStreamMonitoring,
                                          TrainingDataMonitoring)
from blocks.extensions.saveload import Checkpoint
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.monitoring.aggregation import maximum, mean, minimum
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme, ShardedScheme, ShuffledScheme
from fuel.streams import DataStream

INPUT_DIM, HIDDEN_DIM, CLASSES = 12, 16, 4
TRAIN_EXAMPLES, VALID_EXAMPLES = 96, 30


class KillRankAt(TrainingExtension):
    """SIGKILLs this process after an iteration, on one rank, once."""
    def __init__(self, iteration, **kwargs):
        super().__init__(**kwargs)
        self.iteration = iteration

    def after_batch(self, batch):
        from blocks.distributed import rank
        if (self.iteration is not None and
                self.main_loop.status['iterations_done'] == self.iteration and
                os.environ.get('BLOCKS_TEST_KILL_RANK') == str(rank())):
            os.kill(os.getpid(), signal.SIGKILL)
        if (self.iteration is not None and
                self.main_loop.status['iterations_done'] == self.iteration and
                os.environ.get('BLOCKS_TEST_FAIL_RANK') == str(rank())):
            raise RuntimeError('a deliberate failure on this worker')
        if (self.iteration is not None and
                self.main_loop.status['iterations_done'] == self.iteration and
                os.environ.get('BLOCKS_TEST_TERM_RANK') == str(rank())):
            os.kill(os.getpid(), signal.SIGTERM)


class ReplaceValueAt(TrainingExtension):
    """Halves the first parameter with ``set_value`` after an iteration,
    on one rank."""
    def __init__(self, iteration, rank, **kwargs):
        super().__init__(**kwargs)
        self.iteration = iteration
        self.rank = rank

    def after_batch(self, batch):
        from blocks.distributed import rank
        if (self.iteration is not None and rank() == self.rank and
                self.main_loop.status['iterations_done'] == self.iteration):
            parameter = self.main_loop.model.parameters[0]
            parameter.set_value(parameter.get_value() / 2)


def dataset(examples, seed):
    rng = numpy.random.RandomState(seed)
    features = rng.normal(size=(examples, INPUT_DIM)).astype('float64')
    targets = rng.randint(CLASSES, size=(examples, 1)).astype('int64')
    return IndexableDataset({'features': features, 'targets': targets})


def build_main_loop(batch_size, steps, parallel, checkpoint=None,
                    kill_at=None, reduction='auto', reduce_scatter=False,
                    simulated_nodes=None, shard=True, replace_at=None,
                    replace_rank=0, factors=True):
    x = tensor.matrix('features')
    y = tensor.lmatrix('targets')
    mlp = MLP([Tanh(), Softmax()], [INPUT_DIM, HIDDEN_DIM, CLASSES],
              weights_init=IsotropicGaussian(0.3), biases_init=Constant(0.01),
              seed=5)
    mlp.initialize()
    probabilities = mlp.apply(x)
    cost = CategoricalCrossEntropy().apply(y.flatten(), probabilities)
    cost.name = 'cost'
    error_rate = MisclassificationRate().apply(y.flatten(), probabilities)
    error_rate.name = 'error_rate'
    # Aggregated with sums (Mean's numerator and denominator) and with the
    # extrema, rather than averaged over batches.
    mistakes = tensor.neq(y.flatten(), probabilities.argmax(axis=1))
    example_error_rate = mean(mistakes.sum(), mistakes.shape[0])
    example_error_rate.name = 'example_error_rate'
    top = maximum(probabilities.max())
    top.name = 'top_probability'
    bottom = minimum(probabilities.min())
    bottom.name = 'bottom_probability'
    parameters = ComputationGraph(cost).parameters
    algorithm = GradientDescent(cost=cost, parameters=parameters,
                                step_rule=Adam(learning_rate=0.01))

    train_scheme = ShuffledScheme(TRAIN_EXAMPLES, batch_size, rng=3)
    valid_scheme = SequentialScheme(VALID_EXAMPLES, 7)  # uneven shards
    if parallel:
        train_scheme = ShardedScheme(train_scheme)
        valid_scheme = ShardedScheme(valid_scheme)
    train = DataStream(dataset(TRAIN_EXAMPLES, 1),
                       iteration_scheme=train_scheme)
    valid = DataStream(dataset(VALID_EXAMPLES, 2),
                       iteration_scheme=valid_scheme)
    extensions = [
        TrainingDataMonitoring([cost], prefix='train', after_batch=True),
        DataStreamMonitoring([cost, error_rate, example_error_rate, top,
                              bottom], valid, prefix='valid',
                             every_n_batches=5),
        FinishAfter(after_n_batches=steps),
        KillRankAt(kill_at),
        ReplaceValueAt(replace_at, replace_rank),
        Printing(every_n_batches=10)]
    if checkpoint:
        extensions.append(Checkpoint(checkpoint, every_n_batches=1))
    main_loop = MainLoop(algorithm, train, model=Model(cost),
                         extensions=extensions)
    if parallel:
        from blocks.distributed import data_parallel
        main_loop = data_parallel(main_loop, reduction=reduction)
        main_loop.algorithm.fuse_sum_of_two = not reduce_scatter
        main_loop.algorithm._simulated_nodes = simulated_nodes
        main_loop.algorithm.shard_step = shard
        main_loop.algorithm.exchange_factors = factors
    return main_loop


def records(main_loop):
    """The monitored values in the log, by ``name@iteration``."""
    values = {}
    for time, row in main_loop.log.items():
        for key, value in row.items():
            if key.startswith(('train_', 'valid_')):
                values['{}@{}'.format(key, time)] = numpy.asarray(value)
    return values


def write(path, main_loop, parallel):
    from blocks.distributed import rank
    parameters = {'parameter:' + name: value for name, value in
                  main_loop.model.get_parameter_values().items()}
    if parallel:
        digest = main_loop.algorithm.check_parameters()
        with open('{}.rank{}'.format(path, rank()), 'w') as handle:
            handle.write(digest)
        shared = main_loop.algorithm._shared
        if rank() == 0:
            with open('{}.engine'.format(path), 'w') as handle:
                handle.write(main_loop.algorithm.engine if shared is None
                             else 'shared {} {} node(s){}'.format(
                                 'fused' if shared.fused else
                                 'reduce-scatter', shared.nodes,
                                 ', sharded step' if
                                 main_loop.algorithm._step_shards else '') +
                             (', factors' if
                              main_loop.algorithm._factor_window else ''))
    if rank() == 0:
        numpy.savez(path, **parameters, **records(main_loop))


def main(args=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('out')
    parser.add_argument('--batch-size', type=int, required=True)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--parallel', action='store_true')
    parser.add_argument('--checkpoint')
    parser.add_argument('--kill-at', type=int)
    parser.add_argument('--resume', action='store_true',
                        help='continue from --checkpoint instead')
    parser.add_argument('--reduction', default='auto')
    parser.add_argument('--reduce-scatter', action='store_true')
    parser.add_argument('--simulated-nodes', type=int)
    parser.add_argument('--no-shard', action='store_true')
    parser.add_argument('--no-factors', action='store_true')
    parser.add_argument('--replace-at', type=int)
    parser.add_argument('--replace-rank', type=int, default=0)
    arguments = parser.parse_args(args)
    if arguments.resume:
        from blocks.serialization import load
        with open(arguments.checkpoint, 'rb') as source:
            main_loop = load(source)
        main_loop.run()
    else:
        main_loop = build_main_loop(arguments.batch_size, arguments.steps,
                                    arguments.parallel, arguments.checkpoint,
                                    arguments.kill_at, arguments.reduction,
                                    arguments.reduce_scatter,
                                    arguments.simulated_nodes,
                                    not arguments.no_shard,
                                    arguments.replace_at,
                                    arguments.replace_rank,
                                    not arguments.no_factors)
        main_loop.run()
    write(arguments.out, main_loop, arguments.parallel)


if __name__ == '__main__':
    # Run the imported module's main, so that checkpoints refer to
    # tests.distributed.mlp_job.KillRankAt rather than __main__'s.
    from tests.distributed import mlp_job
    sys.exit(mlp_job.main())
