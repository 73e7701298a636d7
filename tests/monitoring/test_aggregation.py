"""Aggregation schemes against NumPy over batches of different sizes."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.monitoring.aggregation import (
    Aggregator, Concatenate, Maximum, Mean, Minimum, MonitoredQuantity,
    Perplexity, TakeLast, _DataIndependent, concatenate, maximum, mean,
    minimum, perplexity, take_last)
from blocks.monitoring.evaluators import AggregationBuffer
from blocks.utils import compile_function, shared_floatx
from tests.helpers import Accuracy

floatX = pytensor.config.floatX


@pytest.fixture
def batches():
    rng = numpy.random.default_rng(1234)
    return [rng.normal(size=(size, 3)).astype(floatX) for size in (2, 5, 3)]


def aggregate(variables, x, batches, use_take_last=False):
    """Run an AggregationBuffer over the batches, fed to `x`."""
    buffer = AggregationBuffer(variables, use_take_last=use_take_last)
    assert buffer.inputs == [x]
    accumulate = compile_function([x], [],
                                  updates=buffer.accumulation_updates)
    buffer.initialize_aggregators()
    for batch in batches:
        accumulate(batch)
    return buffer.get_aggregated_values()


def named(variable, name):
    variable.name = name
    return variable


def test_mean_weighs_examples(batches):
    x = tensor.matrix('x')
    per_example = mean(x.sum(), x.shape[0])
    per_example.name = 'per_example'
    values = aggregate([per_example], x, batches)
    everything = numpy.concatenate(batches)
    assert_allclose(values['per_example'], everything.sum() / len(everything),
                    rtol=1e-5)


def test_perplexity_is_the_exponential_of_the_mean_per_token(batches):
    x = tensor.matrix('x')
    # Non-negative "negative log-likelihoods", one per token.
    nll = abs(x)
    value = named(perplexity(nll.sum(), nll.size), 'perplexity')
    assert isinstance(value.tag.aggregation_scheme, Perplexity)
    values = aggregate([value], x, batches)
    everything = abs(numpy.concatenate(batches))
    assert_allclose(values['perplexity'], numpy.exp(everything.mean()),
                    rtol=1e-5)
    # Not the mean of the batches' perplexities.
    assert not numpy.isclose(
        values['perplexity'],
        numpy.mean([numpy.exp(abs(batch).mean()) for batch in batches]))


def test_mean_keeps_the_numerator_name():
    costs = tensor.vector('costs')
    cost = mean(named(costs.sum(), 'cost'), costs.shape[0])
    assert cost.name == 'cost'
    scheme = cost.tag.aggregation_scheme
    assert isinstance(scheme, Mean)
    assert scheme.denominator is not None


def test_default_is_the_mean_of_batch_values(batches):
    x = tensor.matrix('x')
    values = aggregate([named(x.mean(), 'batch_mean'),
                        named(x.mean(axis=0), 'column_means')], x, batches)
    assert_allclose(values['batch_mean'],
                    numpy.mean([batch.mean() for batch in batches]),
                    rtol=1e-5)
    assert_allclose(values['column_means'],
                    numpy.mean([batch.mean(axis=0) for batch in batches],
                               axis=0), rtol=1e-5)
    assert values['column_means'].shape == (3,)
    # The default scheme does not change the variable's tag.
    variable = named(x.sum(), 'total')
    aggregate([variable], x, batches)
    assert not hasattr(variable.tag, 'aggregation_scheme')


def test_mean_of_integers_does_not_overflow():
    y = tensor.bvector('y')  # int8
    # Each batch sums to 100 in int8; the sum over batches exceeds 127.
    total = mean(tensor.cast(y.sum(), 'int8'), tensor.cast(y.shape[0], 'int8'))
    total.name = 'total'
    batches = [numpy.full(n, 100 // n, dtype='int8') for n in (1, 2, 4)]
    values = aggregate([total], y, batches)
    assert_allclose(values['total'], 300. / 7)


def test_take_last(batches):
    x = tensor.matrix('x')
    last = take_last(named(x.sum(axis=0), 'last'))
    assert last.name == 'last'
    assert isinstance(last.tag.aggregation_scheme, TakeLast)
    values = aggregate([last], x, batches)
    assert_allclose(values['last'], batches[-1].sum(axis=0), rtol=1e-5)


@pytest.mark.parametrize('sign', [1, -1])
def test_minimum_and_maximum(batches, sign):
    # All-positive and all-negative values: an initial value of zero would
    # be wrong for one of the two schemes in one of the two cases.
    batches = [sign * (numpy.abs(batch) + 1) for batch in batches]
    x = tensor.matrix('x')
    smallest = minimum(named(x.min(axis=0), 'smallest'))
    largest = maximum(named(x.max(axis=0), 'largest'))
    assert isinstance(smallest.tag.aggregation_scheme, Minimum)
    assert isinstance(largest.tag.aggregation_scheme, Maximum)
    values = aggregate([smallest, largest], x, batches)
    everything = numpy.concatenate(batches)
    assert_allclose(values['smallest'], everything.min(axis=0))
    assert_allclose(values['largest'], everything.max(axis=0))


def test_concatenate(batches):
    x = tensor.matrix('x')
    rows = concatenate(named(2 * x, 'rows'))
    sums = concatenate(named(x.sum(), 'sums'))
    assert isinstance(rows.tag.aggregation_scheme, Concatenate)
    values = aggregate([rows, sums], x, batches)
    assert_allclose(values['rows'], 2 * numpy.concatenate(batches),
                    rtol=1e-5)
    assert_allclose(values['sums'], [batch.sum() for batch in batches],
                    rtol=1e-5)


def test_reinitialization_starts_over(batches):
    x = tensor.matrix('x')
    variables = [mean(named(x.sum(), 'mean'), x.shape[0]),
                 minimum(named(x.min(), 'min')),
                 concatenate(named(x.sum(), 'sums'))]
    buffer = AggregationBuffer(variables)
    accumulate = compile_function([x], [],
                                  updates=buffer.accumulation_updates)
    for chunk in (batches, batches[1:]):
        buffer.initialize_aggregators()
        for batch in chunk:
            accumulate(batch)
        values = buffer.get_aggregated_values()
        everything = numpy.concatenate(chunk)
        assert_allclose(values['mean'], everything.sum() / len(everything),
                        rtol=1e-5)
        assert_allclose(values['min'], everything.min())
        assert_allclose(values['sums'], [batch.sum() for batch in chunk],
                        rtol=1e-5)


def test_data_independent_variables(batches):
    x = tensor.matrix('x')
    W = shared_floatx(numpy.ones((2, 2)), name='W')
    W_norm = named(tensor.sqrt((W ** 2).sum()), 'W_norm')
    buffer = AggregationBuffer([W_norm, named(x.sum(), 'total')])
    assert len(buffer.accumulation_updates) == 2  # only for 'total'
    buffer.initialize_aggregators()
    assert_allclose(buffer.get_aggregated_values()['W_norm'], 2.)
    # Read when read out, not when accumulated.
    W.set_value(2 * W.get_value())
    assert_allclose(buffer.get_aggregated_values()['W_norm'], 4.)
    assert not hasattr(W_norm.tag, 'aggregation_scheme')
    # With use_take_last, the value computed with the last batch is kept.
    values = aggregate([W_norm, named(x.sum(), 'total')], x, batches,
                       use_take_last=True)
    assert_allclose(values['W_norm'], 4.)
    assert not hasattr(W_norm.tag, 'aggregation_scheme')


def test_accumulator_dtypes_match_under_float32():
    with pytensor.config.change_flags(floatX='float32', warn_float64='raise'):
        x = tensor.matrix('x', dtype='float32')
        variables = [named(x.mean(), 'default'),
                     take_last(named(x.sum(), 'last')),
                     minimum(named(x.min(), 'min')),
                     maximum(named(x.max(), 'max')),
                     concatenate(named(x.sum(axis=1), 'all'))]
        buffer = AggregationBuffer(variables)
        for shared, update in (buffer.initialization_updates +
                               buffer.accumulation_updates):
            assert update.dtype == shared.dtype, shared.name
            assert shared.dtype == 'float32', shared.name
        accumulate = compile_function([x], [],
                                      updates=buffer.accumulation_updates)
        buffer.initialize_aggregators()
        accumulate(numpy.ones((2, 2), dtype='float32'))
        accumulate(3 * numpy.ones((1, 2), dtype='float32'))
        values = buffer.get_aggregated_values()
    assert values['default'].dtype == 'float32'
    assert_allclose(values['default'], 2.)
    assert_allclose(values['last'], 6.)
    assert_allclose(values['min'], 1.)
    assert_allclose(values['max'], 3.)
    assert_allclose(values['all'], [2., 2., 6.])


def test_aggregator_defaults():
    aggregator = Aggregator(None)
    assert aggregator.initialization_updates == []
    assert aggregator.accumulation_updates == []
    assert aggregator.readout_variable is None


def test_data_independent_scheme():
    W = shared_floatx(numpy.ones(2), name='W')
    aggregator = _DataIndependent(W).get_aggregator()
    assert aggregator.readout_variable is W
    assert aggregator.accumulation_updates == []


def test_monitored_quantity():
    predicted, targets = tensor.lvector('predicted'), tensor.lvector('y')
    accuracy = Accuracy(requires=[predicted, targets], name='accuracy')
    assert accuracy.requires == [predicted, targets]
    accuracy.initialize()
    accuracy.aggregate(numpy.array([1, 2, 3]), numpy.array([1, 0, 3]))
    accuracy.aggregate(numpy.array([0]), numpy.array([0]))
    assert accuracy.get_aggregated_value() == 0.75
    assert pickle.loads(pickle.dumps(accuracy)).get_aggregated_value() == 0.75
    assert Accuracy().requires == []


def test_monitored_quantity_is_abstract():
    with pytest.raises(TypeError):
        MonitoredQuantity()


def test_monitored_quantity_requires_variables():
    with pytest.raises(TypeError, match="requires must be a list of "
                                        "PyTensor variables, got \\[3\\]"):
        Accuracy(requires=[3], name='accuracy')


def test_readout_before_any_batch():
    x = tensor.vector('x')
    buffer = AggregationBuffer([minimum(named(x.min(), 'min')),
                                maximum(named(x.max(), 'max')),
                                concatenate(named(x, 'all'))])
    buffer.initialize_aggregators()
    values = buffer.get_aggregated_values()
    assert numpy.isnan(values['min']) and numpy.isnan(values['max'])
    assert values['all'].shape == (0,)
