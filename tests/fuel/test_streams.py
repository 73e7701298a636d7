import pickle
from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_array_equal

from fuel.datasets import IndexableDataset, IterableDataset
from fuel.schemes import (ConcatenatedScheme, SequentialExampleScheme,
                          SequentialScheme, ShuffledExampleScheme,
                          ShuffledScheme)
from fuel.streams import DataStream


def make_dataset(num_examples=23):
    features = numpy.arange(num_examples * 3, dtype='float32').reshape(-1, 3)
    targets = numpy.arange(num_examples).reshape(-1, 1) % 4
    return IndexableDataset(OrderedDict([('features', features),
                                         ('targets', targets)]))


def assert_same_data(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_array_equal(x, y)


def test_data_stream_batches_match_numpy():
    dataset = make_dataset()
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(23, 5))
    batches = list(stream.get_epoch_iterator())
    assert len(batches) == 5
    assert_array_equal(numpy.concatenate([b[0] for b in batches]),
                       dataset.indexables[0])
    assert stream.sources == ('features', 'targets')
    assert not stream.produces_examples


def test_as_dict_and_iterate_epochs():
    stream = DataStream(make_dataset(4), iteration_scheme=SequentialScheme(4, 4))
    batch = next(stream.get_epoch_iterator(as_dict=True))
    assert set(batch) == {'features', 'targets'}
    epochs = stream.iterate_epochs(as_dict=True)
    assert [len(list(next(epochs))) for _ in range(3)] == [1, 1, 1]


def test_iterable_dataset_stream_restarts_each_epoch():
    stream = DataStream(IterableDataset(numpy.arange(3)))
    assert stream.produces_examples
    assert [x for x, in stream.get_epoch_iterator()] == [0, 1, 2]
    assert [x for x, in stream.get_epoch_iterator()] == [0, 1, 2]
    iterator = stream.get_epoch_iterator()
    next(iterator)
    stream.reset()
    assert [x for x, in stream.get_epoch_iterator()] == [0, 1, 2]
    stream.close()
    assert [x for x, in stream.get_epoch_iterator()] == [0, 1, 2]


def test_indexable_dataset_needs_a_scheme():
    stream = DataStream(make_dataset())
    with pytest.raises(ValueError, match='IndexableDataset needs a request'):
        next(stream.get_epoch_iterator())


def test_iterable_dataset_takes_no_scheme():
    stream = DataStream(IterableDataset([1, 2]),
                        iteration_scheme=SequentialScheme(2, 1))
    with pytest.raises(ValueError, match='IterableDataset is read from start to '
                                         'end and takes no requests'):
        next(stream.get_epoch_iterator())


def test_produces_examples_follows_scheme():
    stream = DataStream(make_dataset(), iteration_scheme=SequentialExampleScheme(23))
    assert stream.produces_examples
    with pytest.raises(ValueError, match='produces_examples cannot be set'):
        stream.produces_examples = False


def test_axis_labels_come_from_the_dataset():
    dataset = IndexableDataset({'x': numpy.zeros((2, 3))},
                               axis_labels={'x': ('batch', 'feature')})
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(2, 2))
    assert stream.axis_labels == {'x': ('batch', 'feature')}
    assert dataset.axis_labels == {'x': ('batch', 'feature')}


def test_a_stream_of_examples_drops_the_batch_axis_label():
    # As in the original Fuel: an example has no batch axis.
    dataset = IterableDataset([1, 2, 3], axis_labels={'data': ('batch',)})
    assert DataStream(dataset).axis_labels == {'data': ()}
    dataset = IndexableDataset({'x': numpy.zeros((2, 3)), 'y': numpy.zeros(2)},
                               axis_labels={'x': ('batch', 'feature'),
                                            'y': ('index',)})
    stream = DataStream(dataset, iteration_scheme=SequentialExampleScheme(2))
    assert stream.axis_labels == {'x': ('feature',), 'y': ('index',)}
    assert dataset.axis_labels['x'] == ('batch', 'feature')


SCHEMES = [SequentialScheme(23, 4), ShuffledScheme(23, 4, rng=3),
           SequentialExampleScheme(23), ShuffledExampleScheme(23, rng=3),
           ConcatenatedScheme([SequentialScheme(10, 3), ShuffledScheme(13, 4, rng=5)])]


@pytest.mark.parametrize('scheme', SCHEMES, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize('position', [0, 1, 3])
def test_stream_pickles_mid_epoch(scheme, position):
    stream = DataStream(make_dataset(), iteration_scheme=scheme)
    stream.get_epoch_iterator()  # a first epoch, so the rng has moved
    iterator = stream.get_epoch_iterator()
    for _ in range(position):
        next(iterator)
    stream_copy, iterator_copy = pickle.loads(pickle.dumps((stream, iterator)))
    assert_same_data(list(iterator_copy), list(iterator))
    for _ in range(2):  # later epochs agree too
        assert_same_data(list(stream_copy.get_epoch_iterator()),
                         list(stream.get_epoch_iterator()))


def test_iterable_stream_pickles_mid_epoch():
    stream = DataStream(IterableDataset({'a': list(range(10)), 'b': 'abcdefghij'}))
    iterator = stream.get_epoch_iterator()
    next(iterator), next(iterator)
    copy = pickle.loads(pickle.dumps(iterator))
    assert list(copy) == list(iterator) == [(i, 'abcdefghij'[i]) for i in range(2, 10)]


def test_a_scheme_over_an_iterable_dataset_is_not_checked_against_its_size():
    # Blocks' progress bar tests build such streams to read num_batches only.
    dataset = IterableDataset({'features': [1, 2, 3]})
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(1000, 10))
    assert stream.iteration_scheme.num_batches == 100
    indexable = DataStream(IndexableDataset({'features': [1, 2, 3]}),
                           iteration_scheme=SequentialScheme(1000, 10))
    with pytest.raises(ValueError, match='requests example 999'):
        indexable.get_epoch_iterator()


def test_a_stream_past_the_end_is_made_as_in_fuel():
    # Fuel's own Merge test builds one, to see Merge refuse it.
    from fuel.transformers import Merge
    examples = DataStream(IndexableDataset(['Hola mundo!']))
    batches = DataStream(IndexableDataset(['Hola mundo!']),
                         iteration_scheme=SequentialScheme(2, 2))
    with pytest.raises(ValueError):
        Merge((examples, batches), ('english', 'spanish'))
