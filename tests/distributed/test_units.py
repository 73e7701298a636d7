"""The parts of data-parallel training that need no MPI job: sharding, the
fused buffer, the rank-0 wrapper, the wiring of :func:`data_parallel`, the
step split in two functions, and the error without ``mpi4py``."""
import pickle
import sys

import numpy
import pytest
from pytensor import config, tensor

from blocks.algorithms import GradientDescent, Momentum, Scale
from blocks.distributed import algorithms as dp_algorithms
from blocks.distributed import training as dp_training
from blocks.distributed.algorithms import DataParallel
from blocks.distributed.monitoring import DistributedDatasetEvaluator
from blocks.distributed.mpi import FusedBuffer, require_mpi
from blocks.distributed.training import (RankZeroOnly, WorkerSync,
                                         data_parallel)
from blocks.extensions import FinishAfter, Printing, TrainingExtension
from blocks.extensions.monitoring import DataStreamMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.main_loop import MainLoop
from blocks.utils import shared_floatx
from fuel.schemes import (ConstantScheme, SequentialExampleScheme,
                          SequentialScheme, ShardedScheme, ShuffledScheme)
from tests.helpers import regression_stream


@pytest.mark.parametrize('examples,batch_size,size', [
    (10, 4, 2), (10, 4, 3), (7, 7, 2), (5, 2, 3), (100, 15, 4)])
def test_shards_partition_every_batch(examples, batch_size, size):
    scheme = ShuffledScheme(examples, batch_size, rng=4)
    expected = list(scheme.get_request_iterator())
    shards = [list(ShardedScheme(ShuffledScheme(examples, batch_size, rng=4),
                                 rank=rank, size=size).get_request_iterator())
              for rank in range(size)]
    assert all(len(worker) == len(expected) for worker in shards)
    for index, batch in enumerate(expected):
        union = [example for worker in shards for example in worker[index]]
        assert union == batch
        lengths = [len(worker[index]) for worker in shards]
        assert max(lengths) - min(lengths) <= 1


def test_batch_size_requests_are_sharded():
    shards = [list(ShardedScheme(ConstantScheme(5, num_examples=12),
                                 rank=rank, size=2).get_request_iterator())
              for rank in range(2)]
    assert shards == [[2, 2, 1], [3, 3, 1]]


def test_pickled_shard_iterator_continues_with_the_rank_it_runs_on(
        monkeypatch):
    from fuel import schemes
    monkeypatch.setattr(schemes, '_world_rank_and_size', lambda: (0, 2))
    iterator = ShardedScheme(SequentialScheme(12, 4)).get_request_iterator()
    assert next(iterator) == [0, 1]
    state = pickle.dumps(iterator)
    # Resumed on rank 1 of 2, then in a job of 3 workers.
    monkeypatch.setattr(schemes, '_world_rank_and_size', lambda: (1, 2))
    assert next(pickle.loads(state)) == [6, 7]
    monkeypatch.setattr(schemes, '_world_rank_and_size', lambda: (2, 3))
    assert list(pickle.loads(state)) == [[6, 7], [10, 11]]


def test_sharded_scheme_rejects_bad_arguments():
    with pytest.raises(ValueError, match='single examples'):
        ShardedScheme(SequentialExampleScheme(4))
    with pytest.raises(ValueError, match=r'rank must be .* got 2'):
        ShardedScheme(SequentialScheme(4, 2), rank=2, size=2)
    with pytest.raises(ValueError, match='size must be a positive integer'):
        ShardedScheme(SequentialScheme(4, 2), size=0)
    with pytest.raises(TypeError, match='IterationScheme'):
        ShardedScheme([1, 2])


def test_fused_buffer_round_trips_in_order():
    arrays = [numpy.arange(6.).reshape(2, 3), numpy.array(7.),
              numpy.arange(4.)]
    fused = FusedBuffer([array.shape for array in arrays], 'float64',
                        extra=1)
    buffer = fused.pack(arrays, extra=[3])
    assert buffer.shape == (12,) and fused.nbytes == 96
    for array, unpacked in zip(arrays, fused.unpack(buffer)):
        assert numpy.array_equal(array, unpacked)
    assert fused.extra_values(buffer).tolist() == [3.]
    with pytest.raises(ValueError, match='expected 1 extra values'):
        fused.pack(arrays)


def test_missing_mpi4py_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mpi4py', None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[mpi\]'"):
        require_mpi()


class Calls(TrainingExtension):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def after_batch(self, batch):
        self.calls.append('after_batch')


@pytest.mark.parametrize('rank,expected', [(0, ['after_batch']), (1, [])])
def test_rank_zero_only_runs_the_extension_on_rank_zero(monkeypatch, rank,
                                                        expected):
    monkeypatch.setattr(dp_training, 'rank', lambda: rank)
    calls = Calls()
    wrapper = RankZeroOnly(calls)
    wrapper.dispatch('after_batch', {})
    assert calls.calls == expected
    assert wrapper.name == 'Calls' and wrapper.calls is calls.calls


def linear_regression(step_rule):
    W = shared_floatx(numpy.zeros(2), name='W')
    b = shared_floatx(0., name='b')
    x = tensor.matrix('features')
    y = tensor.vector('targets')
    cost = ((tensor.dot(x, W) + b - y) ** 2).mean()
    cost.name = 'cost'
    return cost, [W, b], GradientDescent(cost=cost, parameters=[W, b],
                                         step_rule=step_rule)


floatX = config.floatX


class OneWorker:
    """A communicator of one worker (the reductions are the identity)."""
    def Get_size(self):
        return 1

    def Get_rank(self):
        return 0

    def allgather(self, value):
        return [value]

    def allreduce(self, value):
        return value


def test_the_split_step_equals_gradient_descent(monkeypatch):
    monkeypatch.setattr(
        dp_algorithms, 'allreduce',
        lambda comm, send, receive=None, operation='sum': send.copy())
    rng = numpy.random.RandomState(3)
    features = rng.normal(size=(20, 2)).astype(floatX)
    targets = rng.normal(size=20).astype(floatX)
    batches = [{'features': features[i:i + 5], 'targets': targets[i:i + 5]}
               for i in range(0, 20, 5)]
    results = []
    for wrap in (False, True):
        cost, parameters, algorithm = linear_regression(
            Momentum(learning_rate=0.05, momentum=0.9))
        total = shared_floatx(0., name='total')
        algorithm.add_updates([(total, total + cost)])
        if wrap:
            algorithm = DataParallel(algorithm, comm=OneWorker())
        algorithm.initialize()
        for batch in batches:
            algorithm.process_batch(batch)
        results.append([parameter.get_value() for parameter in parameters] +
                       [total.get_value()])
    for expected, actual in zip(*results):
        numpy.testing.assert_allclose(actual, expected, rtol=1e-12)


def matrix_regression(step_rule):
    """A regression onto 3 targets: W's gradient is a matrix product."""
    W = shared_floatx(numpy.zeros((2, 3)), name='W')
    b = shared_floatx(numpy.zeros(3), name='b')
    x = tensor.matrix('features')
    y = tensor.matrix('targets')
    cost = ((tensor.dot(x, W) + b - y) ** 2).mean()
    return cost, [W, b], GradientDescent(cost=cost, parameters=[W, b],
                                         step_rule=step_rule)


def regression_batches(count=4, size=5, targets=None):
    rng = numpy.random.RandomState(3)
    features = rng.normal(size=(count * size, 2)).astype(floatX)
    targets = rng.normal(size=(count * size,) + (
        (targets,) if targets else ())).astype(floatX)
    return [{'features': features[i:i + size], 'targets': targets[i:i + size]}
            for i in range(0, count * size, size)]


@pytest.mark.parametrize('reduction', ['shared', 'mpi'])
def test_both_engines_alone_equal_gradient_descent_in_the_c_mode(reduction):
    # One MPI process (COMM_SELF): the shared engine sums in place, the
    # C matrix product writes the weights' gradient into the buffer.
    MPI = pytest.importorskip('mpi4py.MPI')
    batches = regression_batches(targets=3)
    results = []
    for wrap in (False, True):
        cost, parameters, algorithm = matrix_regression(
            Momentum(learning_rate=0.05, momentum=0.9))
        algorithm.theano_func_kwargs['mode'] = 'CVM'
        if wrap:
            algorithm = DataParallel(algorithm, comm=MPI.COMM_SELF,
                                     reduction=reduction)
        for batch in batches:
            algorithm.process_batch(batch)
        if wrap:
            assert algorithm.engine == reduction
            # W's gradient is a matrix product (b's a sum).
            assert algorithm.in_place_gradients >= 1 or floatX != 'float64'
            # The buffers are dropped and rebuilt after close().
            algorithm.close()
            assert algorithm.engine is None
            algorithm.process_batch(batches[0])
            assert algorithm.engine == reduction
            algorithm.close()
        else:
            algorithm.process_batch(batches[0])
        results.append([parameter.get_value() for parameter in parameters])
    for expected, actual in zip(*results):
        numpy.testing.assert_allclose(actual, expected, rtol=1e-12)


def test_a_pickled_data_parallel_resumes_identically():
    MPI = pytest.importorskip('mpi4py.MPI')
    batches = regression_batches(6)
    _, parameters, algorithm = linear_regression(
        Momentum(learning_rate=0.05, momentum=0.9))
    algorithm = DataParallel(algorithm, comm=MPI.COMM_SELF)
    for batch in batches[:3]:
        algorithm.process_batch(batch)
    state = pickle.dumps((algorithm, parameters))
    restored, restored_parameters = pickle.loads(state)
    assert restored.engine is None and restored._shared is None
    for batch in batches[3:]:
        algorithm.process_batch(batch)
        restored.process_batch(batch)
    assert restored.engine == 'shared'
    for expected, actual in zip(parameters, restored_parameters):
        assert numpy.array_equal(actual.get_value(), expected.get_value())
    # Nothing of the windows in the pickle, after steps either.
    pickle.dumps(restored)
    algorithm.close()
    restored.close()


def test_the_reduction_engine_is_checked():
    _, _, algorithm = linear_regression(Scale(0.1))
    with pytest.raises(ValueError, match="reduction must be one of 'auto', "
                                         "'shared', 'mpi', got 'nccl'"):
        DataParallel(algorithm, reduction='nccl')
    # Not confused with the extra updates' reductions.
    assert DataParallel(algorithm, reductions={algorithm.parameters[0]: 'sum'},
                        reduction='mpi').reduction == 'mpi'
    pytest.importorskip('mpi4py')
    algorithm = DataParallel(algorithm, comm=OneWorker(), reduction='shared')
    with pytest.raises(TypeError, match="reduction='shared' needs an mpi4py"):
        algorithm.process_batch(regression_batches(1)[0])


def test_a_step_rule_that_reads_the_data_is_refused():
    _, (W, b), algorithm = linear_regression(Scale(0.1))
    x = tensor.matrix('features')
    # A parameter update that depends on the batch beyond the gradients.
    algorithm.updates = [(W, W - algorithm.gradients[W] * x.sum()),
                         (b, b - algorithm.gradients[b])]
    with pytest.raises(ValueError, match='other than through the gradients'):
        DataParallel(algorithm, comm=OneWorker()).initialize()


def test_data_parallel_wires_a_main_loop_and_pickles(monkeypatch, tmp_path):
    monkeypatch.setattr(dp_training, 'rank', lambda: 1)
    cost, _, algorithm = linear_regression(Scale(0.1))
    stream = regression_stream(20, 5)
    monitoring = DataStreamMonitoring([cost], regression_stream(10, 5))
    finish = FinishAfter(after_n_epochs=1)
    main_loop = MainLoop(
        algorithm, stream,
        extensions=[monitoring, finish, Printing(),
                    Checkpoint(str(tmp_path / 'checkpoint.tar'))])
    assert data_parallel(main_loop) is main_loop
    assert isinstance(main_loop.algorithm, DataParallel)
    assert main_loop.algorithm.algorithm is algorithm
    kinds = [type(extension) for extension in main_loop.extensions]
    assert kinds == [DataStreamMonitoring, FinishAfter, RankZeroOnly,
                     RankZeroOnly, WorkerSync]
    assert monitoring.evaluator_class is DistributedDatasetEvaluator
    assert main_loop.algorithm.cost is cost
    # Idempotent, and everything pickles.
    data_parallel(main_loop)
    assert [type(extension) for extension in main_loop.extensions] == kinds
    restored = pickle.loads(pickle.dumps(main_loop))
    assert isinstance(restored.algorithm, DataParallel)
    assert restored.extensions[2].extension.__class__ is Printing


def test_data_parallel_rejects_other_objects():
    with pytest.raises(TypeError, match='MainLoop or a GradientDescent'):
        data_parallel(object())
    with pytest.raises(TypeError, match='GradientDescent'):
        DataParallel(object())
    _, (W, _), algorithm = linear_regression(Scale(0.1))
    with pytest.raises(ValueError, match=r"reductions\[W\] must be one of "
                                         r"'mean', 'sum'.* got 'avg'"):
        DataParallel(algorithm, reductions={W: 'avg'})


@pytest.mark.parametrize('rank', [0, 1])
def test_only_rank_zero_keeps_the_sqlite_log(monkeypatch, tmp_path, rank):
    from blocks.log import SQLiteLog, TrainingLog
    monkeypatch.setattr(dp_training, 'rank', lambda: rank)
    _, _, algorithm = linear_regression(Scale(0.1))
    log = SQLiteLog(str(tmp_path / 'log.sqlite'))
    log.status['iterations_done'] = 3
    log[2]['cost'] = 0.5
    main_loop = data_parallel(MainLoop(algorithm, regression_stream(20, 5),
                                       log=log))
    if rank == 0:
        assert main_loop.log is log
    else:
        # An in-memory copy: the other workers never write the database.
        assert isinstance(main_loop.log, TrainingLog)
        assert main_loop.log.uuid == log.uuid
        assert main_loop.log.status['iterations_done'] == 3
        assert main_loop.log[2]['cost'] == 0.5
        main_loop.log[3]['cost'] = 0.25
        assert 3 not in log or 'cost' not in log[3]
