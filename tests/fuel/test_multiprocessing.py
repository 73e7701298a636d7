"""MultiProcessing: the same batches as without it, through interruptions and pickles."""
import gc
import multiprocessing
import os
import pickle
import signal

import numpy
import pytest
from blocks.extensions import SimpleExtension

from fuel.datasets import IndexableDataset
from fuel.schemes import ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Mapping, MultiProcessing
from fuel.transformers.image import RandomFixedSizeCrop


class AddNoise:
    """A picklable mapping with a random state of its own, advanced per batch."""
    def __init__(self, seed):
        self.rng = numpy.random.RandomState(seed)

    def __call__(self, data):
        images, labels = data
        return images + self.rng.randint(0, 100, size=images.shape), labels


class Fail:
    def __call__(self, data):
        raise KeyError('broken mapping')


def make_stream():
    """A shuffled stream with two random transformers: any lost state shows."""
    images = numpy.arange(20 * 1 * 4 * 4).reshape(20, 1, 4, 4)
    dataset = IndexableDataset(
        {'images': images, 'labels': numpy.arange(20)},
        axis_labels={'images': ('batch', 'channel', 'height', 'width'),
                     'labels': ('batch',)})
    stream = DataStream(dataset, iteration_scheme=ShuffledScheme(20, 3, rng=7))
    stream = RandomFixedSizeCrop(stream, (2, 3), which_sources=('images',),
                                 rng=3)
    return Mapping(stream, AddNoise(5))


def take(iterator, count):
    return [next(iterator) for _ in range(count)]


def assert_same(batches, expected):
    assert len(batches) == len(expected)
    for batch, reference in zip(batches, expected):
        for value, reference_value in zip(batch, reference):
            numpy.testing.assert_array_equal(value, reference_value)


@pytest.fixture
def no_leaks():
    before = set(child.pid for child in multiprocessing.active_children())
    yield
    gc.collect()
    leaked = [child for child in multiprocessing.active_children()
              if child.pid not in before]
    assert not leaked, 'processes left running: {}'.format(leaked)


def test_same_batches_as_without_it(no_leaks):
    reference = make_stream()
    expected = [list(reference.get_epoch_iterator()) for _ in range(3)]
    stream = MultiProcessing(make_stream(), max_store=2)
    assert stream.sources == ('images', 'labels')
    assert stream.axis_labels == reference.axis_labels
    for epoch in expected:
        assert_same(list(stream.get_epoch_iterator()), epoch)
    assert stream.background_process.is_alive()
    process = stream.background_process
    stream.close()
    assert not process.is_alive()


def test_interrupted_epoch(no_leaks):
    reference = make_stream()
    expected = take(reference.get_epoch_iterator(), 2)
    expected_next = list(reference.get_epoch_iterator())
    stream = MultiProcessing(make_stream(), max_store=5)
    assert_same(take(stream.get_epoch_iterator(), 2), expected)
    assert_same(list(stream.get_epoch_iterator()), expected_next)
    stream.close()


@pytest.mark.parametrize('consumed', [0, 1, 4, 7])
def test_pickled_mid_epoch_resumes(no_leaks, consumed):
    reference = make_stream()
    first = list(reference.get_epoch_iterator())
    second = list(reference.get_epoch_iterator())
    stream = MultiProcessing(make_stream(), max_store=3)
    epoch = stream.get_epoch_iterator()
    assert_same(take(epoch, consumed), first[:consumed])
    copy_of_epoch = pickle.loads(pickle.dumps(epoch))
    assert_same(list(epoch), first[consumed:])
    stream.close()
    resumed = copy_of_epoch.data_stream
    assert resumed.background_process is None  # none until data is read
    assert_same(list(copy_of_epoch), first[consumed:])
    assert_same(list(resumed.get_epoch_iterator()), second)
    resumed.close()


def test_pickled_after_exhaustion_and_before_start(no_leaks):
    reference = make_stream()
    epochs = [list(reference.get_epoch_iterator()) for _ in range(2)]
    fresh = pickle.loads(pickle.dumps(MultiProcessing(make_stream())))
    assert_same(list(fresh.get_epoch_iterator()), epochs[0])
    exhausted = pickle.loads(pickle.dumps(fresh))
    fresh.close()
    assert_same(list(exhausted.get_epoch_iterator()), epochs[1])
    exhausted.close()


def test_garbage_collected_stream_stops_its_process(no_leaks):
    stream = MultiProcessing(make_stream(), max_store=1)
    next(stream.get_epoch_iterator())
    process = stream.background_process
    del stream
    gc.collect()
    process.join(timeout=10)
    assert not process.is_alive()


def test_errors_in_the_background_come_through(no_leaks):
    stream = MultiProcessing(Mapping(make_stream(), Fail()))
    with pytest.raises(KeyError, match='broken mapping'):
        next(stream.get_epoch_iterator())
    with pytest.raises(ValueError, match='max_store must be a positive integer'):
        MultiProcessing(make_stream(), max_store=0)


def test_a_killed_background_process_is_reported(no_leaks):
    stream = MultiProcessing(make_stream(), max_store=1)
    epoch = stream.get_epoch_iterator()
    next(epoch)
    os.kill(stream.background_process.pid, signal.SIGKILL)
    stream.background_process.join()
    with pytest.raises(RuntimeError, match='died with exit code'):
        list(epoch)
    stream.close()


class Snapshot(SimpleExtension):
    """Pickles the whole main loop after one batch."""
    def __init__(self, iteration, **kwargs):
        kwargs.setdefault('after_batch', True)
        super().__init__(**kwargs)
        self.iteration = iteration
        self.pickled = None

    def do(self, which_callback, *args):
        if self.main_loop.status['iterations_done'] == self.iteration:
            self.pickled = pickle.dumps(self.main_loop)


def train(stream, snapshot_at=None):
    from pytensor import shared, tensor
    from blocks.algorithms import GradientDescent, Scale
    from blocks.extensions import FinishAfter
    from blocks.main_loop import MainLoop
    images = tensor.tensor4('images')
    weights = shared(numpy.zeros((6, 1)), name='W')
    cost = ((images.flatten(2) @ weights - 1) ** 2).mean()
    cost.name = 'cost'
    extensions = [FinishAfter(after_n_epochs=2)]
    snapshot = None
    if snapshot_at is not None:
        snapshot = Snapshot(snapshot_at)
        extensions.append(snapshot)
    main_loop = MainLoop(GradientDescent(cost=cost, parameters=[weights],
                                         step_rule=Scale(1e-6)),
                         stream, extensions=extensions)
    main_loop.run()
    return main_loop, weights, snapshot


def test_a_blocks_main_loop_resumes_mid_epoch(no_leaks):
    """Pickled after batch 3 of 14 and resumed: the same training as without it."""
    from fuel.transformers import FilterSources
    _, reference, _ = train(FilterSources(make_stream(), ('images',)))
    stream = MultiProcessing(FilterSources(make_stream(), ('images',)), max_store=4)
    main_loop, weights, snapshot = train(stream, snapshot_at=3)
    numpy.testing.assert_allclose(weights.get_value(), reference.get_value())
    stream.close()
    resumed = pickle.loads(snapshot.pickled)
    resumed.run()
    resumed_weights, = resumed.algorithm.parameters
    numpy.testing.assert_allclose(resumed_weights.get_value(), reference.get_value())
    assert resumed.status['iterations_done'] == 14
    resumed.data_stream.close()
