import pickle
from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from fuel import config
from fuel.datasets import (Dataset, IndexableDataset, IterableDataset, Spiral,
                           SwissRoll, TextFile)
from fuel.schemes import SequentialExampleScheme
from fuel.streams import DataStream
from fuel.transformers import Mapping


class NoSources(Dataset):
    pass


def test_dataset_needs_provides_sources():
    with pytest.raises(ValueError, match='NoSources does not say what it provides'):
        NoSources()


def test_dataset_sources_must_be_provided():
    with pytest.raises(ValueError, match=r"sources must be a non-empty subset of "
                                         r"\('x', 'y'\), got \('z',\)"):
        IterableDataset({'x': [1], 'y': [2]}, sources=('z',))
    # As in the original Fuel, a wrong ``sources`` is a ValueError, a string too.
    with pytest.raises(ValueError, match='got the string'):
        IterableDataset({'x': [1]}, sources='x')


def test_iterable_dataset_selects_and_orders_sources():
    dataset = IterableDataset(OrderedDict([('x', [1, 2]), ('y', [3, 4])]),
                              sources=('y',))
    assert dataset.sources == ('y',)
    assert list(DataStream(dataset).get_epoch_iterator()) == [(3,), (4,)]


def test_iterable_dataset_errors():
    with pytest.raises(ValueError, match=r'same length, got lengths \[1, 2\]'):
        IterableDataset({'x': [1], 'y': [1, 2]})
    # The original Fuel raises ValueError for data that is not iterable.
    with pytest.raises(ValueError, match='iterables must be an iterable'):
        IterableDataset(3)
    with pytest.raises(ValueError, match=r"source\(s\) \['x'\] are not"):
        IterableDataset({'x': None, 'y': [1]})


def test_iterable_dataset_over_a_generator_has_unknown_length():
    dataset = IterableDataset(i for i in range(3))
    assert numpy.isnan(dataset.num_examples)
    assert list(DataStream(dataset).get_epoch_iterator()) == [(0,), (1,), (2,)]


def test_indexable_dataset_requests_match_numpy(rng):
    features = rng.normal(size=(10, 3))
    words = ['w{}'.format(i) for i in range(10)]
    dataset = IndexableDataset({'features': features, 'words': words})
    request = [7, 2, 2, 9]
    got_features, got_words = dataset.get_data(request=request)
    assert_array_equal(got_features, features[request])
    assert got_words == ['w7', 'w2', 'w2', 'w9']
    assert_array_equal(dataset.get_data(request=slice(2, 4))[0], features[2:4])
    assert dataset.example_iteration_scheme.num_examples == 10
    assert_array_equal(dataset.features, features)


def test_indexable_dataset_start_stop_and_sources():
    data = numpy.arange(10)
    dataset = IndexableDataset({'x': data, 'y': -data}, start=2, stop=6,
                               sources=('y',))
    assert dataset.num_examples == 4
    assert dataset.get_data(request=[0, 3]) == (pytest.approx([-2, -5]),)
    with pytest.raises(AttributeError):
        dataset.x


def test_indexable_dataset_different_lengths():
    with pytest.raises(ValueError, match='the indexables must have the same length'):
        IndexableDataset({'x': [1, 2], 'y': [1]})


def test_indexable_dataset_pickles():
    dataset = IndexableDataset({'x': numpy.arange(4)})
    copy = pickle.loads(pickle.dumps(dataset))
    assert_array_equal(copy.x, numpy.arange(4))


def test_spiral_matches_its_formula():
    spiral = Spiral(num_examples=50, classes=3, cycles=2, noise=0.0, seed=4)
    rng = numpy.random.RandomState(4)
    position = rng.uniform(0, 1, size=50)
    label = rng.randint(0, 3, size=50)
    radius = (2 * position + 1) / 3
    angle = 2 * numpy.pi * 2 * position + label * 2 * numpy.pi / 3
    expected = numpy.stack([radius * numpy.sin(angle), radius * numpy.cos(angle)], 1)
    assert spiral.features.dtype == config.floatX
    assert_allclose(spiral.features, expected, rtol=1e-5, atol=1e-6)
    assert_array_equal(spiral.label, label)
    assert_allclose(spiral.position, position)


def test_swiss_roll_matches_its_formula():
    roll = SwissRoll(num_examples=30, seed=2)
    rng = numpy.random.RandomState(2)
    position = rng.uniform(0, 1, size=30)
    height = rng.uniform(-1, 1, size=30)
    phi = 1.5 * numpy.pi * (1 + 2 * position)
    radius = (1 + 2 * position) / 3
    expected = numpy.stack([radius * numpy.cos(phi), radius * numpy.sin(phi),
                            height], 1)
    assert_allclose(roll.features, expected, rtol=1e-5, atol=1e-6)
    assert_allclose(roll.position, numpy.stack([position, height], 1), rtol=1e-6)


def test_toy_noise_changes_the_points():
    assert not numpy.allclose(Spiral(10, noise=0.1).features, Spiral(10).features)


DICTIONARY = {'<S>': 0, '</S>': 1, '<UNK>': 2, 'a': 3, 'b': 4, 'c': 5}


@pytest.fixture
def text_files(tmp_path):
    first, second = tmp_path / 'one.txt', tmp_path / 'two.txt'
    first.write_text('a b\nc x\n')
    second.write_text('b\nA c\n')
    return [str(first), str(second)]


def test_text_file_words(text_files):
    stream = DataStream(TextFile(text_files, DICTIONARY))
    assert [data for data, in stream.get_epoch_iterator()] == [
        [0, 3, 4, 1], [0, 5, 2, 1], [0, 4, 1], [0, 2, 5, 1]]


def test_text_file_characters_and_preprocess(text_files):
    dataset = TextFile(text_files[1:], DICTIONARY, bos_token=None,
                       eos_token=None, level='character', preprocess=str.lower)
    assert [data for data, in DataStream(dataset).get_epoch_iterator()] == [
        [4], [3, 2, 5]]


def test_text_file_without_unk_token(text_files):
    dataset = TextFile(text_files, DICTIONARY, unk_token=None)
    iterator = DataStream(dataset).get_epoch_iterator()
    next(iterator)
    with pytest.raises(KeyError, match="'x' is not in the dictionary"):
        next(iterator)


def test_text_file_errors(text_files):
    with pytest.raises(ValueError, match="bos_token '<B>' is not in the dictionary"):
        TextFile(text_files, DICTIONARY, bos_token='<B>')
    with pytest.raises(ValueError, match="level must be 'word' or 'character'"):
        TextFile(text_files, DICTIONARY, level='sentence')


@pytest.mark.parametrize('position', [0, 1, 2, 3])
def test_text_file_stream_pickles_mid_epoch(text_files, position):
    stream = DataStream(TextFile(text_files, DICTIONARY))
    iterator = stream.get_epoch_iterator()
    for _ in range(position):
        next(iterator)
    copy = pickle.loads(pickle.dumps(iterator))
    assert list(copy) == list(iterator)


def add_one(data):
    return (data[0] + 1,)


def test_example_iteration_scheme_with_mapping():
    dataset = IndexableDataset(numpy.arange(3))
    stream = Mapping(DataStream(dataset,
                                iteration_scheme=SequentialExampleScheme(3)),
                     add_one)
    assert [int(x) for x, in stream.get_epoch_iterator()] == [1, 2, 3]


def test_text_file_reads_gzipped_files_and_pickles_mid_file(tmp_path, text_files):
    import gzip
    import pickle
    zipped = tmp_path / 'one.txt.gz'
    with gzip.open(zipped, 'wt') as file_:
        file_.write(open(text_files[0]).read())
    plain = [data for data, in DataStream(TextFile(text_files, DICTIONARY))
             .get_epoch_iterator()]
    iterator = DataStream(TextFile([str(zipped), text_files[1]], DICTIONARY)) \
        .get_epoch_iterator()
    first, = next(iterator)
    copy = pickle.loads(pickle.dumps(iterator))
    assert [first] + [data for data, in iterator] == plain
    assert [data for data, in copy] == plain[1:]


def test_iterable_dataset_has_no_example_iteration_scheme():
    # The original's class attribute: None, rather than an AttributeError.
    dataset = IterableDataset([1, 2])
    assert dataset.example_iteration_scheme is None
    assert list(dataset.get_example_stream().get_epoch_iterator()) == [(1,), (2,)]
