import pickle

import numpy
import pytest

from fuel.schemes import (ConcatenatedScheme, ConstantScheme,
                          SequentialExampleScheme, SequentialScheme,
                          ShuffledExampleScheme, ShuffledScheme,
                          cross_validation)


def requests(scheme):
    return list(scheme.get_request_iterator())


def test_constant_scheme():
    assert requests(ConstantScheme(3, num_examples=10)) == [3, 3, 3, 1]
    assert requests(ConstantScheme(5, num_examples=10)) == [5, 5]
    assert requests(ConstantScheme(2, times=3)) == [2, 2, 2]
    endless = ConstantScheme(4).get_request_iterator()
    assert [next(endless) for _ in range(100)] == [4] * 100


def test_constant_scheme_sizes():
    scheme = ConstantScheme(3, num_examples=10)
    assert (scheme.num_examples, scheme.num_batches, scheme.batch_size) == (10, 4, 3)
    assert ConstantScheme(2, times=3).num_examples == 6
    assert not hasattr(ConstantScheme(4), 'num_examples')
    assert not hasattr(ConstantScheme(4), 'num_batches')


def test_constant_scheme_errors():
    with pytest.raises(ValueError, match='num_examples or times, not both'):
        ConstantScheme(3, num_examples=10, times=2)
    with pytest.raises(ValueError, match='batch_size must be a positive integer, '
                                         'got 0'):
        ConstantScheme(0)


def test_sequential_scheme_matches_numpy():
    scheme = SequentialScheme(103, batch_size=10)
    batches = requests(scheme)
    assert all(isinstance(batch, list) for batch in batches)
    assert numpy.concatenate(batches).tolist() == list(range(103))
    assert [len(batch) for batch in batches] == [10] * 10 + [3]
    assert (scheme.num_examples, scheme.num_batches, scheme.batch_size) == (103, 11, 10)


def test_sequential_scheme_over_given_indices():
    assert requests(SequentialScheme([5, 3, 9], 2)) == [[5, 3], [9]]
    assert requests(SequentialScheme(numpy.array([4, 2]), 5)) == [[4, 2]]


def test_shuffled_scheme_is_a_seeded_permutation():
    scheme = ShuffledScheme(50, batch_size=7, rng=numpy.random.RandomState(3))
    batches = requests(scheme)
    expected = numpy.random.RandomState(3).permutation(50)
    assert numpy.concatenate(batches).tolist() == expected.tolist()
    assert [len(batch) for batch in batches] == [7] * 7 + [1]
    second_epoch = numpy.concatenate(requests(scheme))
    assert sorted(second_epoch.tolist()) == list(range(50))
    assert second_epoch.tolist() != expected.tolist()


def test_shuffled_scheme_default_rng_uses_default_seed():
    first = requests(ShuffledScheme(20, 5))
    assert first == requests(ShuffledScheme(20, 5))
    assert numpy.concatenate(first).tolist() == \
        numpy.random.RandomState(1).permutation(20).tolist()


def test_shuffled_scheme_sorted_indices():
    for batch in requests(ShuffledScheme(30, 8, rng=2, sorted_indices=True)):
        assert batch == sorted(batch)


def test_shuffled_scheme_rejects_bad_rng():
    with pytest.raises(TypeError, match='rng must be a numpy.random.RandomState'):
        ShuffledScheme(10, 2, rng='seed')


def test_example_schemes():
    scheme = SequentialExampleScheme(4)
    assert requests(scheme) == [0, 1, 2, 3]
    assert scheme.requests_examples and scheme.num_examples == 4
    assert not hasattr(scheme, 'batch_size')
    shuffled = ShuffledExampleScheme(6, rng=numpy.random.RandomState(5))
    assert requests(shuffled) == numpy.random.RandomState(5).permutation(6).tolist()
    assert requests(SequentialExampleScheme([7, 1])) == [7, 1]


def test_concatenated_scheme():
    scheme = ConcatenatedScheme([SequentialScheme(3, 2), ConstantScheme(4, times=1)])
    assert requests(scheme) == [[0, 1], [2], 4]
    assert scheme.num_batches == 3
    assert not hasattr(scheme, 'batch_size')
    same = ConcatenatedScheme([SequentialScheme(4, 2), SequentialScheme(2, 2)])
    assert same.batch_size == 2 and same.num_examples == 6
    with pytest.raises(ValueError, match='all schemes must request the same kind'):
        ConcatenatedScheme([SequentialScheme(3, 2), SequentialExampleScheme(3)])


def test_cross_validation_strict():
    folds = list(cross_validation(SequentialScheme, 10, 5, batch_size=2))
    assert len(folds) == 5
    for i, (train, valid) in enumerate(folds):
        assert valid.indices == [2 * i, 2 * i + 1]
        assert sorted(train.indices + valid.indices) == list(range(10))
        assert train.batch_size == 2
    # As the original's generator, the check runs when the first fold is asked for.
    folds = cross_validation(SequentialScheme, 10, 3, batch_size=2)
    with pytest.raises(ValueError, match='10 examples cannot be split into 3 folds'):
        next(folds)


def test_cross_validation_not_strict_gives_fold_sizes():
    folds = list(cross_validation(SequentialExampleScheme, 10, 3, strict=False))
    assert [size for _, _, size in folds] == [3, 3, 4]
    assert [len(train.indices) for train, _, _ in folds] == [7, 7, 6]


@pytest.mark.parametrize('scheme', [
    ConstantScheme(3, num_examples=20), ConstantScheme(2),
    SequentialScheme(20, 3), ShuffledScheme(20, 3, rng=4),
    SequentialExampleScheme(20), ShuffledExampleScheme(20, rng=4),
    ConcatenatedScheme([SequentialScheme(5, 2), ShuffledScheme(13, 3, rng=1)])])
def test_request_iterators_pickle_mid_epoch(scheme):
    iterator = scheme.get_request_iterator()
    [next(iterator) for _ in range(3)]
    copy = pickle.loads(pickle.dumps(iterator))
    assert [next(copy) for _ in range(4)] == [next(iterator) for _ in range(4)]


def test_shuffled_scheme_pickles_between_epochs():
    scheme = ShuffledScheme(20, 6, rng=9)
    requests(scheme)
    copy = pickle.loads(pickle.dumps(scheme))
    assert requests(copy) == requests(scheme)
