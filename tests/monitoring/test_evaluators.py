"""DatasetEvaluator, AggregationBuffer and MonitoredQuantityBuffer."""
import pickle
from collections import OrderedDict

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

import blocks.monitoring.evaluators as evaluators
from blocks.monitoring.aggregation import (
    MonitoredQuantity, mean, minimum, take_last)
from blocks.monitoring.evaluators import (
    AggregationBuffer, DatasetEvaluator, MonitoredQuantityBuffer)
from blocks.utils import compile_function, shared_floatx
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from tests.helpers import Accuracy

floatX = pytensor.config.floatX


class ListStream:
    """A minimal data stream: an epoch is a list of dictionary batches."""
    def __init__(self, batches):
        self.batches = batches

    def get_epoch_iterator(self, as_dict=False):
        assert as_dict
        return iter(self.batches)


class ForbiddenStream:
    """A data stream that must not be iterated."""
    def get_epoch_iterator(self, as_dict=False):
        raise AssertionError("the stream was iterated")


class BatchCount(MonitoredQuantity):
    """Counts the batches; requires nothing."""
    def initialize(self):
        self.count = 0

    def aggregate(self):
        self.count += 1

    def get_aggregated_value(self):
        return self.count


def named(variable, name):
    variable.name = name
    return variable


@pytest.fixture
def data():
    rng = numpy.random.default_rng(1234)
    sizes = (4, 1, 3)
    features = [rng.normal(size=(size, 2)).astype(floatX) for size in sizes]
    targets = [rng.integers(0, 2, size=size) for size in sizes]
    return features, targets


@pytest.fixture
def model():
    x, y = tensor.matrix('features'), tensor.lvector('targets')
    W = shared_floatx([[1., -1.], [0.5, 2.]], name='W')
    scores = tensor.dot(x, W)
    predicted = scores.argmax(axis=1)
    errors = tensor.neq(predicted, y)
    return x, y, W, scores, predicted, errors


def stream_of(features, targets, extra=False):
    batches = []
    for x_value, y_value in zip(features, targets):
        batch = {'features': x_value, 'targets': y_value}
        if extra:
            batch['unused'] = numpy.zeros(3)
        batches.append(batch)
    return ListStream(batches)


def test_evaluate_matches_numpy(data, model):
    features, targets = data
    x, y, W, scores, predicted, errors = model
    error_rate = mean(named(errors.sum(), 'error_rate'), y.shape[0])
    batch_mean = named(scores.mean(), 'batch_mean')
    lowest = minimum(named(scores.min(), 'lowest'))
    W_norm = named(tensor.sqrt((W ** 2).sum()), 'W_norm')
    accuracy = Accuracy(requires=[predicted, y], name='accuracy')
    evaluator = DatasetEvaluator(
        [error_rate, batch_mean, accuracy, lowest, W_norm])
    values = evaluator.evaluate(stream_of(features, targets, extra=True))
    assert isinstance(values, OrderedDict)
    assert list(values) == ['error_rate', 'batch_mean', 'accuracy',
                            'lowest', 'W_norm']

    W_value = W.get_value()
    all_scores = [batch @ W_value for batch in features]
    wrong = numpy.concatenate([s.argmax(axis=1) != t
                               for s, t in zip(all_scores, targets)])
    assert_allclose(values['error_rate'], wrong.mean())
    assert_allclose(values['accuracy'], 1 - wrong.mean())
    assert_allclose(values['batch_mean'],
                    numpy.mean([s.mean() for s in all_scores]), rtol=1e-5)
    assert_allclose(values['lowest'], min(s.min() for s in all_scores),
                    rtol=1e-5)
    assert_allclose(values['W_norm'], numpy.sqrt((W_value ** 2).sum()),
                    rtol=1e-5)
    # A second evaluation starts from scratch.
    again = evaluator.evaluate(stream_of(features[:1], targets[:1]))
    assert_allclose(again['error_rate'], wrong[:4].mean())
    assert_allclose(again['accuracy'], 1 - wrong[:4].mean())


def test_evaluate_fuel_stream(model):
    x, y, W, scores, predicted, errors = model
    rng = numpy.random.default_rng(0)
    features = rng.normal(size=(7, 2)).astype(floatX)
    targets = rng.integers(0, 2, size=7)
    dataset = IndexableDataset(
        OrderedDict([('features', features), ('targets', targets)]))
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(7, 3))
    error_rate = mean(named(errors.sum(), 'error_rate'), y.shape[0])
    values = DatasetEvaluator([error_rate]).evaluate(stream)
    wrong = (features @ W.get_value()).argmax(axis=1) != targets
    assert_allclose(values['error_rate'], wrong.mean())


def test_one_function_compiled_in_the_requested_mode(data, model,
                                                     monkeypatch):
    features, targets = data
    x, y, W, scores, predicted, errors = model
    calls = []

    def recording_compile_function(inputs, outputs=None, **kwargs):
        calls.append((list(inputs), kwargs))
        return compile_function(inputs, outputs, **kwargs)
    monkeypatch.setattr(evaluators, 'compile_function',
                        recording_compile_function)
    evaluator = DatasetEvaluator(
        [mean(named(errors.sum(), 'errors'), y.shape[0]),
         named(scores.sum(), 'total'),
         Accuracy(requires=[predicted, y], name='accuracy')],
        compile_kwargs={'mode': 'FAST_COMPILE'})
    assert calls == []  # compiled on first use
    evaluator.evaluate(stream_of(features, targets))
    evaluator.evaluate(stream_of(features, targets))
    # The batch function, the initialization and the readout function.
    assert len(calls) == 3
    assert all(kwargs['mode'] == 'FAST_COMPILE' for _, kwargs in calls)
    batch_functions = [{id(input_) for input_ in inputs}
                       for inputs, _ in calls if inputs]
    assert batch_functions == [{id(x), id(y)}]


def test_unused_and_missing_sources(data, model):
    features, targets = data
    x, y, W, scores, predicted, errors = model
    evaluator = DatasetEvaluator([named(scores.sum(), 'total')])
    assert evaluator.input_names == ['features']
    # 'targets' and 'unused' are not needed and ignored.
    evaluator.evaluate(stream_of(features, targets, extra=True))
    evaluator = DatasetEvaluator(
        [mean(named(errors.sum(), 'errors'), y.shape[0])])
    with pytest.raises(ValueError, match="^Not all data sources required "
                                         "for monitoring were provided: the "
                                         "batch has no data for the "
                                         "source\\(s\\) 'targets'"):
        evaluator.evaluate(ListStream([{'features': features[0]}]))


def test_empty_stream_is_an_error(model):
    x, y, W, scores, predicted, errors = model
    evaluator = DatasetEvaluator([named(scores.sum(), 'total')])
    with pytest.raises(ValueError, match="gave no batches, so there is "
                                         "nothing to evaluate total on"):
        evaluator.evaluate(ListStream([]))


def test_data_independent_variables_do_not_read_the_stream(model):
    x, y, W, scores, predicted, errors = model
    W_norm = named(tensor.sqrt((W ** 2).sum()), 'W_norm')
    values = DatasetEvaluator([W_norm]).evaluate(ForbiddenStream())
    assert_allclose(values['W_norm'], numpy.sqrt((W.get_value() ** 2).sum()),
                    rtol=1e-6)


def test_stream_must_have_an_epoch_iterator(model):
    x, y, W, scores, predicted, errors = model
    evaluator = DatasetEvaluator([named(scores.sum(), 'total')])
    with pytest.raises(TypeError, match="data_stream must have a "
                                        "get_epoch_iterator method"):
        evaluator.evaluate([{'features': numpy.zeros((1, 2))}])


def test_names_are_checked(model):
    x, y, W, scores, predicted, errors = model
    with pytest.raises(ValueError, match="variables to monitor must have "
                                         "different names, got several "
                                         "named 'cost'"):
        DatasetEvaluator([named(scores.sum(), 'cost'),
                          Accuracy(requires=[predicted, y], name='cost')])
    with pytest.raises(ValueError, match="has no name; monitored variables "
                                         "and quantities are identified"):
        DatasetEvaluator([scores.sum()])
    with pytest.raises(ValueError, match="has no name"):
        DatasetEvaluator([Accuracy(requires=[predicted, y])])
    with pytest.raises(ValueError, match="different names, got several "
                                         "named 'a'"):
        AggregationBuffer([named(x.sum(), 'a'), named(x.max(), 'a')])
    with pytest.raises(TypeError, match="can not monitor 3: expected a "
                                        "PyTensor variable or a "
                                        "MonitoredQuantity"):
        DatasetEvaluator([3])


def test_unnamed_inputs_are_refused():
    x = tensor.matrix()
    with pytest.raises(ValueError, match="has no name, so no data source "
                                         "can feed it"):
        DatasetEvaluator([named(x.sum(), 'total')])


def test_updates(data, model):
    features, targets = data
    x, y, W, scores, predicted, errors = model
    seen = shared_floatx(0., name='seen')
    evaluator = DatasetEvaluator(
        [named(scores.sum(), 'total')],
        updates=[(seen, seen + tensor.cast(x.shape[0], floatX))])
    evaluator.evaluate(stream_of(features, targets))
    assert seen.get_value() == sum(len(batch) for batch in features)
    # Updates alone, with a quantity that requires nothing, still iterate.
    counter = shared_floatx(0., name='counter')
    evaluator = DatasetEvaluator(
        [BatchCount(name='batches')],
        updates=OrderedDict([(counter, counter + 1)]))
    values = evaluator.evaluate(stream_of(features, targets))
    assert values['batches'] == 3
    assert counter.get_value() == 3


def test_values_before_initialization_are_an_error(model):
    x, y, W, scores, predicted, errors = model
    evaluator = DatasetEvaluator([named(scores.sum(), 'total'),
                                  Accuracy(requires=[predicted, y],
                                           name='accuracy')])
    with pytest.raises(RuntimeError, match="call initialize_aggregators"):
        evaluator.get_aggregated_values()
    with pytest.raises(RuntimeError, match="call initialize_aggregators"):
        evaluator.process_batch({'features': numpy.zeros((1, 2), floatX),
                                 'targets': numpy.zeros(1, 'int64')})
    with pytest.raises(RuntimeError, match="call initialize_quantities"):
        MonitoredQuantityBuffer([]).get_aggregated_values()


def test_custom_loop(data, model):
    features, targets = data
    x, y, W, scores, predicted, errors = model
    evaluator = DatasetEvaluator([named(scores.sum(), 'total')])
    evaluator.initialize_aggregators()
    for batch in features:
        evaluator.process_batch({'features': batch})
    with pytest.raises(TypeError, match="batch must be a dictionary"):
        evaluator.process_batch([features[0]])
    W_value = W.get_value()
    assert_allclose(evaluator.get_aggregated_values()['total'],
                    numpy.mean([(b @ W_value).sum() for b in features]),
                    rtol=1e-5)


def test_evaluator_pickles_without_compiled_functions(data, model):
    features, targets = data
    x, y, W, scores, predicted, errors = model
    evaluator = DatasetEvaluator(
        [mean(named(errors.sum(), 'error_rate'), y.shape[0]),
         Accuracy(requires=[predicted, y], name='accuracy')])
    values = evaluator.evaluate(stream_of(features, targets))
    assert evaluator._accumulate_fun is not None
    loaded = pickle.loads(pickle.dumps(evaluator))
    assert loaded._accumulate_fun is None
    assert loaded.theano_buffer._readout_fun is None
    # The accumulators' values travel with the pickle...
    assert_allclose(loaded.get_aggregated_values()['error_rate'],
                    values['error_rate'])
    # ... and the unpickled evaluator evaluates again.
    again = loaded.evaluate(stream_of(features, targets))
    assert_allclose(again['error_rate'], values['error_rate'])
    assert again['accuracy'] == values['accuracy']


def test_aggregation_buffer_in_a_training_function(data):
    # What TrainingDataMonitoring does: the accumulation updates ride along
    # with the parameter updates, and values are taken before the update.
    features, _ = data
    x = tensor.matrix('features')
    W = shared_floatx(numpy.ones(2), name='W')
    cost = named(tensor.sqr(tensor.dot(x, W)).mean(), 'cost')
    W_sum = named(W.sum(), 'W_sum')
    buffer = AggregationBuffer([cost, W_sum], use_take_last=True)
    step = compile_function(
        [x], [], updates=[(W, W * 0.5)] + buffer.accumulation_updates)
    buffer.initialize_aggregators()
    W_value, costs = numpy.ones(2), []
    for batch in features:
        costs.append(((batch @ W_value) ** 2).mean())
        last_sum = W_value.sum()
        W_value = W_value * 0.5
        step(batch)
    values = buffer.get_aggregated_values()
    assert_allclose(values['cost'], numpy.mean(costs), rtol=1e-5)
    assert_allclose(values['W_sum'], last_sum)


def test_monitored_quantity_buffer(data, model):
    features, targets = data
    x, y, W, scores, predicted, errors = model
    accuracy = Accuracy(requires=[predicted, y], name='accuracy')
    reverse = Accuracy(requires=[y, predicted], name='reverse')
    buffer = MonitoredQuantityBuffer([accuracy, reverse])
    assert buffer.requires == [predicted, y]
    assert sorted(input_.name for input_ in buffer.inputs) == [
        'features', 'targets']
    assert buffer.quantity_names == ['accuracy', 'reverse']
    # What TrainingDataMonitoring does: take the last values of what the
    # quantities require, then aggregate them in Python.
    required = AggregationBuffer(
        [take_last(named(variable.copy(), 'required_{}'.format(i)))
         for i, variable in enumerate(buffer.requires)])
    compute = compile_function([x, y], [],
                               updates=required.accumulation_updates)
    buffer.initialize_quantities()
    required.initialize_aggregators()
    for x_value, y_value in zip(features, targets):
        compute(x_value, y_value)
        buffer.aggregate_quantities(
            list(required.get_aggregated_values().values()))
    values = buffer.get_aggregated_values()
    W_value = W.get_value()
    right = numpy.concatenate([(f @ W_value).argmax(axis=1) == t
                               for f, t in zip(features, targets)])
    assert values == {'accuracy': right.mean(), 'reverse': right.mean()}
    with pytest.raises(ValueError, match="numerical_values must hold one "
                                         "value for each of the 2 required "
                                         "variables, got 1"):
        buffer.aggregate_quantities([numpy.zeros(1)])
    with pytest.raises(TypeError, match="quantities must be "
                                        "MonitoredQuantity objects"):
        MonitoredQuantityBuffer([predicted])


def test_empty_buffers():
    buffer = AggregationBuffer([])
    buffer.initialize_aggregators()
    assert buffer.get_aggregated_values() == OrderedDict()
    assert buffer.accumulation_updates == [] and buffer.inputs == []
    quantities = MonitoredQuantityBuffer([])
    quantities.initialize_quantities()
    quantities.aggregate_quantities([])
    assert quantities.get_aggregated_values() == OrderedDict()
