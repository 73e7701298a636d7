import pickle
from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from fuel import config
from fuel.datasets import IndexableDataset, IterableDataset
from fuel.schemes import ConstantScheme, SequentialScheme, ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import (AgnosticSourcewiseTransformer, Batch, Cache,
                               Cast, Filter, FilterSources, Flatten,
                               ForceFloatX, Mapping, Merge, NGrams, Padding,
                               Rename, ScaleAndShift, SortMapping, Transformer,
                               Unpack, Window)

FEATURES = numpy.arange(60, dtype='uint8').reshape(10, 2, 3)
TARGETS = numpy.arange(10).reshape(10, 1)


def batch_stream(batch_size=4, scheme=None):
    dataset = IndexableDataset(
        OrderedDict([('features', FEATURES), ('targets', TARGETS)]),
        axis_labels={'features': ('batch', 'height', 'width'),
                     'targets': ('batch', 'index')})
    return DataStream(dataset, iteration_scheme=scheme or
                      SequentialScheme(10, batch_size))


def example_stream(data=None):
    return DataStream(IterableDataset(data if data is not None else
                                      OrderedDict([('features', FEATURES),
                                                   ('targets', TARGETS)])))


def epoch(stream):
    return list(stream.get_epoch_iterator())


def test_flatten_batches_and_examples():
    stream = Flatten(batch_stream(), which_sources=('features',))
    features, targets = epoch(stream)[0]
    assert_array_equal(features, FEATURES[:4].reshape(4, 6))
    assert_array_equal(targets, TARGETS[:4])
    assert stream.axis_labels['features'] == ('batch', 'feature')
    example = epoch(Flatten(example_stream()))[3]
    assert_array_equal(example[0], FEATURES[3].ravel())


def test_scale_and_shift_matches_numpy():
    stream = ScaleAndShift(batch_stream(), 2., -1., which_sources=('features',))
    features, targets = epoch(stream)[1]
    assert_allclose(features, FEATURES[4:8] * 2. - 1.)
    assert targets.dtype == TARGETS.dtype
    integers = epoch(ScaleAndShift(batch_stream(), 2, 0.5))[0][1]
    assert_allclose(integers, TARGETS[:4] * 2 + 0.5)


def test_cast_and_floatx():
    features, _ = epoch(Cast(batch_stream(), 'float16',
                             which_sources=('features',)))[0]
    assert features.dtype == numpy.float16
    features, _ = epoch(Cast(batch_stream(), 'floatX'))[0]
    assert features.dtype == config.floatX
    with pytest.raises(TypeError, match="dtype must name a NumPy dtype or be "
                                        "'floatX', got 'floaty'"):
        Cast(batch_stream(), 'floaty')


def test_force_floatx_casts_only_floats():
    data = OrderedDict([('x', [numpy.ones(2, 'float16')]),
                        ('y', [numpy.ones(2, 'int32')]), ('z', ['text'])])
    x, y, z = epoch(ForceFloatX(example_stream(data)))[0]
    assert x.dtype == config.floatX and y.dtype == numpy.int32 and z == 'text'


def test_sourcewise_transformer_checks_sources():
    with pytest.raises(ValueError, match=r"which_sources must be sources of the "
                                         r"wrapped stream \('features', 'targets'\)"):
        Flatten(batch_stream(), which_sources=('labels',))
    # As in the original, a string names one source.
    assert Flatten(batch_stream(), which_sources='features').which_sources == \
        ('features',)


class Negate(AgnosticSourcewiseTransformer):
    def __init__(self, data_stream, **kwargs):
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, _):
        return -numpy.asarray(source_data, dtype=int)


def test_agnostic_sourcewise_transformer_on_examples_and_batches():
    assert_array_equal(epoch(Negate(batch_stream()))[0][1], -TARGETS[:4])
    assert_array_equal(epoch(Negate(example_stream()))[2][1], -TARGETS[2])


def test_transformer_needs_a_stream():
    with pytest.raises(TypeError, match='data_stream must be a data stream'):
        Flatten([1, 2])


def test_example_only_transformer_on_batches_is_a_clear_error():
    class ExamplesOnly(Transformer):
        def transform_example(self, example):
            return example
    stream = ExamplesOnly(batch_stream(), produces_examples=True)
    with pytest.raises(NotImplementedError, match='the wrapped data stream '
                                                  'produces batches while the '
                                                  'ExamplesOnly transformer '
                                                  'produces examples'):
        epoch(stream)


def double_targets(data):
    return (data[1] * 2,)


def test_mapping_adds_or_replaces_sources():
    stream = Mapping(batch_stream(), double_targets, add_sources=('doubled',))
    assert stream.sources == ('features', 'targets', 'doubled')
    assert_array_equal(epoch(stream)[0][2], TARGETS[:4] * 2)
    replaced = Mapping(batch_stream(), double_targets)
    assert len(epoch(replaced)[0]) == 1


def first_length(example):
    return len(example[0])


def test_sort_mapping():
    batch = ([[1, 2, 3], [1], [1, 2]], numpy.array([10, 20, 30]))
    words, numbers = SortMapping(first_length)(batch)
    assert words == [[1], [1, 2], [1, 2, 3]]
    assert_array_equal(numbers, [20, 30, 10])
    _, numbers = SortMapping(first_length, reverse=True)(batch)
    assert_array_equal(numbers, [10, 30, 20])


def even_target(data):
    return data[1][0] % 2 == 0


def test_filter():
    kept = epoch(Filter(example_stream(), even_target))
    assert [int(targets[0]) for _, targets in kept] == [0, 2, 4, 6, 8]


def test_batch_and_strictness():
    examples = example_stream()
    batches = epoch(Batch(examples, ConstantScheme(4)))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert_array_equal(batches[0][0], FEATURES[:4])
    assert [len(b[0]) for b in epoch(Batch(example_stream(), ConstantScheme(4),
                                           strictness=1))] == [4, 4]
    with pytest.raises(ValueError, match='the examples ran out after 2 of the 4'):
        epoch(Batch(example_stream(), ConstantScheme(4), strictness=2))
    with pytest.raises(ValueError, match='Batch needs a stream of examples'):
        Batch(batch_stream(), ConstantScheme(2))


def test_batch_axis_labels():
    stream = Batch(DataStream(IterableDataset({'x': [1, 2]},
                                              axis_labels={'x': ('feature',)})),
                   ConstantScheme(2))
    assert stream.axis_labels == {'x': ('batch', 'feature')}


def test_unpack_inverts_batch():
    stream = Unpack(batch_stream(batch_size=3))
    examples = epoch(stream)
    assert len(examples) == 10
    assert_array_equal(numpy.array([e[0] for e in examples]), FEATURES)
    assert stream.axis_labels['features'] == ('height', 'width')


def test_padding_matches_numpy():
    sequences = [numpy.ones((length, 2)) * length for length in (3, 1, 2)]
    stream = Padding(Batch(example_stream({'seq': sequences}), ConstantScheme(3)))
    assert stream.sources == ('seq', 'seq_mask')
    padded, mask = epoch(stream)[0]
    expected = numpy.zeros((3, 3, 2))
    for i, sequence in enumerate(sequences):
        expected[i, :len(sequence)] = sequence
    assert_array_equal(padded, expected)
    assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    assert mask.dtype == config.floatX


def test_padding_errors():
    bad = [numpy.ones((2, 2)), numpy.ones((2, 3))]
    stream = Padding(Batch(example_stream({'seq': bad}), ConstantScheme(2)))
    with pytest.raises(ValueError, match="the examples of source 'seq' must agree"):
        epoch(stream)
    with pytest.raises(ValueError, match='Padding needs a stream of batches'):
        Padding(example_stream())


def test_cache_gives_smaller_batches():
    stream = Cache(batch_stream(batch_size=4), ConstantScheme(3))
    batches = epoch(stream)
    assert [len(b[0]) for b in batches] == [3, 3, 3, 1]
    assert_array_equal(numpy.concatenate([b[1] for b in batches]), TARGETS)
    assert len(epoch(stream)) == 4


def test_merge():
    merged = Merge([batch_stream(), DataStream(IndexableDataset(-TARGETS),
                                               iteration_scheme=SequentialScheme(10, 4))],
                   ('features', 'targets', 'negated'))
    features, targets, negated = epoch(merged)[0]
    assert_array_equal(negated, -targets)
    with pytest.raises(ValueError, match='sources must name the 4 sources'):
        Merge([batch_stream(), batch_stream(batch_size=2)], ('a', 'b', 'c'))
    with pytest.raises(ValueError, match='must produce the same kind'):
        Merge([batch_stream(), example_stream()], ('a', 'b', 'c', 'd'))


def test_rename():
    stream = Rename(batch_stream(), {'features': 'x', 'absent': 'y'},
                    on_non_existent='ignore')
    assert stream.sources == ('x', 'targets')
    assert stream.axis_labels['x'] == ('batch', 'height', 'width')
    assert set(next(stream.get_epoch_iterator(as_dict=True))) == {'x', 'targets'}
    # The original raised KeyError here; SourceNameError is a ValueError too.
    with pytest.raises(KeyError, match="cannot rename source 'absent'"):
        Rename(batch_stream(), {'absent': 'y'})
    with pytest.raises(ValueError, match='would give two sources the same name'):
        Rename(batch_stream(), {'features': 'targets'})
    with pytest.raises(KeyError, match='several sources to the same name'):
        Rename(batch_stream(), {'features': 'x', 'targets': 'x'})
    assert Rename(batch_stream(), {'features': 'targets', 'targets': 'features'}
                  ).sources == ('targets', 'features')
    with pytest.raises(ValueError, match="on_non_existent must be 'raise'"):
        Rename(batch_stream(), {}, on_non_existent='skip')


def test_filter_sources():
    stream = FilterSources(batch_stream(), ('targets',))
    assert stream.sources == ('targets',)
    assert_array_equal(epoch(stream)[0][0], TARGETS[:4])
    assert stream.axis_labels == {'targets': ('batch', 'index')}
    with pytest.raises(ValueError, match=r"\['labels'\] are not"):
        FilterSources(batch_stream(), ('labels',))


def test_window_and_ngrams():
    sentences = example_stream({'words': [list(range(6)), [7, 8]]})
    windows = epoch(Window(0, 2, 2, False, sentences))
    assert windows == [([0, 1], [2, 3]), ([1, 2], [3, 4]), ([2, 3], [4, 5])]
    overlapping = epoch(Window(1, 3, 3, True, example_stream(
        {'words': [list(range(5))]})))
    assert overlapping == [([0, 1, 2], [1, 2, 3]), ([1, 2, 3], [2, 3, 4])]
    ngrams = NGrams(3, example_stream({'words': [list(range(5)), [1, 2]]}))
    assert ngrams.sources == ('words', 'targets')
    assert epoch(ngrams) == [([0, 1, 2], 3), ([1, 2, 3], 4)]
    with pytest.raises(ValueError, match='NGrams needs a stream with one source'):
        NGrams(2, example_stream())


def add_noise_free(data):
    return (data[0] + 1, data[1])


def padded_chain():
    sequences = [list(range(length)) for length in (3, 1, 4, 2, 5, 2, 1)]
    stream = DataStream(IterableDataset({'seq': sequences}))
    return Padding(Batch(stream, ConstantScheme(3)))


def shuffled_chain():
    stream = Flatten(ScaleAndShift(Cast(batch_stream(
        scheme=ShuffledScheme(10, 3, rng=4)), 'float32'), 0.5, 1))
    return Rename(FilterSources(Mapping(stream, add_noise_free), ('features',
                                                                  'targets')),
                  {'features': 'x'})


def unpack_chain():
    return Cache(Batch(Unpack(batch_stream(batch_size=4)), ConstantScheme(5)),
                 ConstantScheme(2))


def window_chain():
    return NGrams(2, DataStream(IterableDataset({'w': [list(range(5)), [1, 2, 3]]})))


def merged_chain():
    return Merge([Filter(example_stream(), even_target),
                  DataStream(IterableDataset(range(100)))],
                 ('f', 't', 'n'))


@pytest.mark.parametrize('make_chain', [padded_chain, shuffled_chain,
                                        unpack_chain, window_chain, merged_chain])
@pytest.mark.parametrize('position', [0, 1, 2])
def test_transformer_chains_pickle_mid_epoch(make_chain, position):
    stream = make_chain()
    iterator = stream.get_epoch_iterator()
    for _ in range(position):
        next(iterator)
    stream_copy, iterator_copy = pickle.loads(pickle.dumps((stream, iterator)))
    rest, rest_copy = list(iterator), list(iterator_copy)
    assert len(rest) == len(rest_copy)
    for item, item_copy in zip(rest, rest_copy):
        for a, b in zip(item, item_copy):
            assert_array_equal(a, b)
    for item, item_copy in zip(epoch(stream), epoch(stream_copy)):
        for a, b in zip(item, item_copy):
            assert_array_equal(a, b)


# --- the original's behaviour, which the suites reproducing it check ----------

def test_cache_takes_only_batch_size_schemes():
    with pytest.raises(ValueError, match='BatchSizeScheme'):
        Cache(batch_stream(), SequentialScheme(10, 3))


def test_cache_fills_as_the_original():
    stream = Cache(Batch(DataStream(IterableDataset(range(100))), ConstantScheme(11)),
                   ConstantScheme(7))
    sizes = [len(stream.cache[0]) for _ in zip(stream.get_epoch_iterator(), range(12))]
    assert sizes == [4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 0, 4]


def test_flatten_keeps_the_first_label_and_drops_missing_ones():
    dataset = IndexableDataset(
        OrderedDict([('x', numpy.ones((4, 2, 2))), ('y', numpy.ones((4, 3)))]),
        axis_labels={'x': ('example', 'height', 'width'), 'y': None})
    batches = Flatten(DataStream(dataset, iteration_scheme=SequentialScheme(4, 2)))
    assert batches.axis_labels == {'x': ('example', 'feature'), 'y': None}
    from fuel.schemes import SequentialExampleScheme
    examples = Flatten(DataStream(dataset, iteration_scheme=SequentialExampleScheme(4)))
    assert examples.axis_labels == {'x': ('feature',), 'y': None}


def test_filter_sources_refuses_a_string_with_value_error():
    with pytest.raises(ValueError, match='got the string'):
        FilterSources(batch_stream(), 'features')
