"""Mistakes that must fail early and clearly, and costs that must stay exact.

Each test here failed before the fix it covers (issue 11): a cost that
turned exact probabilities into NaN, step rules that took NaN or missing
hyperparameters, and batches that did not fit the graph, reported only
after the compile (or not at all).

"""
import pickle
import re
from collections import OrderedDict

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.algorithms import (AdaDelta, AdaGrad, Adam, BasicMomentum,
                               BasicRMSProp, Momentum, RemoveNotFinite,
                               RMSProp, Scale, StepClipping, VariableClipping)
from blocks.algorithms import GradientDescent, UpdatesAlgorithm
from blocks.bricks import Linear, MLP, Softmax, Tanh
from blocks.bricks.cost import BinaryCrossEntropy, CategoricalCrossEntropy
from blocks.extensions import FinishAfter, TrainingExtension
from blocks.extensions.monitoring import DataStreamMonitoring
from blocks.graph import ComputationGraph
from blocks.initialization import Constant
from blocks.main_loop import MainLoop
from blocks.monitoring.evaluators import DatasetEvaluator
from blocks.utils import compile_function, shared_floatx
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme, ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import FilterSources, Rename

floatX = pytensor.config.floatX

# The default mode (the C VM) and the fast-compiling one the unit tests use.
MODES = ['FAST_COMPILE', 'CVM']


def _cost_and_gradient(cost, wrt, inputs, values, mode):
    gradient = tensor.grad(cost, wrt)
    return compile_function(inputs, [cost, gradient], mode=mode)(*values)


# A wrong cost: exact probabilities must give the exact cost, never NaN

@pytest.mark.parametrize('mode', MODES)
def test_categorical_cross_entropy_of_exact_probabilities(mode):
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    cost = CategoricalCrossEntropy().apply(y, y_hat)
    value, gradient = _cost_and_gradient(
        cost, y_hat, [y, y_hat],
        [numpy.array([1]), numpy.array([[0., 1.]], dtype=floatX)], mode)
    assert float(value) == 0.
    # d(-log y_hat[0, 1]) / d y_hat = -1 / y_hat[0, 1] at the label, 0 elsewhere
    assert_allclose(gradient, [[0., -1.]])


@pytest.mark.parametrize('mode', MODES)
def test_categorical_cross_entropy_of_exact_probabilities_batch(mode):
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    cost = CategoricalCrossEntropy().apply(y, y_hat)
    probabilities = numpy.array([[0., 1., 0.], [0.25, 0., 0.75],
                                 [1., 0., 0.]], dtype=floatX)
    labels = numpy.array([1, 2, 0])
    value, gradient = _cost_and_gradient(cost, y_hat, [y, y_hat],
                                         [labels, probabilities], mode)
    assert_allclose(value, -numpy.log(0.75) / 3, rtol=1e-6)
    expected = numpy.zeros((3, 3))
    expected[numpy.arange(3), labels] = (
        -1 / probabilities[numpy.arange(3), labels] / 3)
    assert_allclose(gradient, expected, rtol=1e-6)
    assert numpy.isfinite(gradient).all()


@pytest.mark.parametrize('mode', MODES)
def test_categorical_cross_entropy_of_a_wrong_certain_prediction_is_inf(mode):
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    cost = CategoricalCrossEntropy().apply(y, y_hat)
    value = compile_function([y, y_hat], cost, mode=mode)(
        numpy.array([0]), numpy.array([[0., 1.]], dtype=floatX))
    assert numpy.isposinf(value)


@pytest.mark.parametrize('mode', MODES)
def test_categorical_cross_entropy_of_exact_distributions(mode):
    y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    cost = CategoricalCrossEntropy().apply(y, y_hat)
    targets = numpy.array([[0., 1.], [0.5, 0.5]], dtype=floatX)
    probabilities = numpy.array([[0., 1.], [0.5, 0.5]], dtype=floatX)
    value, gradient = _cost_and_gradient(cost, y_hat, [y, y_hat],
                                         [targets, probabilities], mode)
    assert_allclose(value, numpy.log(2) / 2, rtol=1e-6)
    assert_allclose(gradient, [[0., -0.5], [-0.5, -0.5]], rtol=1e-6)


@pytest.mark.parametrize('mode', MODES)
def test_categorical_cross_entropy_after_softmax_of_infinite_logit(mode):
    # A logit of -inf is a probability of exactly 0 for a class that is not
    # the label: the cost is exact and the gradient finite.
    y, x = tensor.lvector('y'), tensor.matrix('x')
    cost = CategoricalCrossEntropy().apply(y, Softmax().apply(x))
    logits = numpy.array([[-numpy.inf, 0., 0.]], dtype=floatX)
    value, gradient = _cost_and_gradient(cost, x, [y, x],
                                         [numpy.array([1]), logits], mode)
    assert_allclose(value, numpy.log(2), rtol=1e-6)
    assert_allclose(gradient, [[0., -0.5, 0.5]], rtol=1e-6)


@pytest.mark.parametrize('mode', MODES)
def test_softmax_categorical_cross_entropy_of_an_infinite_logit(mode):
    y, x = tensor.lvector('y'), tensor.matrix('x')
    cost = Softmax().categorical_cross_entropy(y, x).mean()
    logits = numpy.array([[-numpy.inf, 0.]], dtype=floatX)
    value, gradient = _cost_and_gradient(cost, x, [y, x],
                                         [numpy.array([1]), logits], mode)
    assert float(value) == 0.
    assert_allclose(gradient, [[0., 0.]])


def test_categorical_cross_entropy_rejects_float_labels():
    y, y_hat = tensor.vector('y'), tensor.matrix('y_hat')
    with pytest.raises(TypeError, match=r"class labels must be integers, "
                       r"got y of dtype float"):
        CategoricalCrossEntropy().apply(y, y_hat)


@pytest.mark.parametrize('mode', MODES)
def test_binary_cross_entropy_of_exact_probabilities(mode):
    y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    cost = BinaryCrossEntropy().apply(y, y_hat)
    targets = numpy.array([[0., 1., 0.5]], dtype=floatX)
    probabilities = numpy.array([[0., 1., 0.5]], dtype=floatX)
    value, gradient = _cost_and_gradient(cost, y_hat, [y, y_hat],
                                         [targets, probabilities], mode)
    assert_allclose(value, numpy.log(2), rtol=1e-6)
    # d/dp of -(y log p + (1 - y) log(1 - p)) = (p - y) / (p (1 - p)),
    # which is 1 at (y, p) = (0, 0) and -1 at (1, 1).
    assert_allclose(gradient, [[1., -1., 0.]], rtol=1e-6)


# NaN hyperparameters: refused where they are given

NAN, INF = float('nan'), float('inf')

# (rule, the argument, how to build it with a bad value)
HYPERPARAMETERS = [
    ('Scale', 'learning_rate', lambda v: Scale(v)),
    ('Scale', 'learning_rate', lambda v: Scale(learning_rate=v)),
    ('BasicMomentum', 'momentum', lambda v: BasicMomentum(momentum=v)),
    ('Momentum', 'learning_rate', lambda v: Momentum(learning_rate=v)),
    ('Momentum', 'momentum', lambda v: Momentum(momentum=v)),
    ('AdaDelta', 'decay_rate', lambda v: AdaDelta(decay_rate=v)),
    ('AdaDelta', 'epsilon', lambda v: AdaDelta(epsilon=v)),
    ('BasicRMSProp', 'decay_rate', lambda v: BasicRMSProp(decay_rate=v)),
    ('BasicRMSProp', 'max_scaling', lambda v: BasicRMSProp(max_scaling=v)),
    ('RMSProp', 'learning_rate', lambda v: RMSProp(learning_rate=v)),
    ('RMSProp', 'decay_rate', lambda v: RMSProp(decay_rate=v)),
    ('RMSProp', 'max_scaling', lambda v: RMSProp(max_scaling=v)),
    ('StepClipping', 'threshold', lambda v: StepClipping(threshold=v)),
    ('VariableClipping', 'threshold', lambda v: VariableClipping(v)),
    ('AdaGrad', 'learning_rate', lambda v: AdaGrad(learning_rate=v)),
    ('AdaGrad', 'epsilon', lambda v: AdaGrad(epsilon=v)),
    ('Adam', 'learning_rate', lambda v: Adam(learning_rate=v)),
    ('Adam', 'beta1', lambda v: Adam(beta1=v)),
    ('Adam', 'beta2', lambda v: Adam(beta2=v)),
    ('Adam', 'epsilon', lambda v: Adam(epsilon=v)),
    ('Adam', 'decay_factor', lambda v: Adam(decay_factor=v)),
    ('RemoveNotFinite', 'scaler', lambda v: RemoveNotFinite(scaler=v)),
]


@pytest.mark.parametrize('value', [NAN, INF, -INF, numpy.float32('nan')],
                         ids=['nan', 'inf', '-inf', 'float32-nan'])
@pytest.mark.parametrize('rule,argument,build', HYPERPARAMETERS,
                         ids=['{}-{}'.format(rule, argument) for
                              rule, argument, _ in HYPERPARAMETERS])
def test_step_rules_refuse_non_finite_hyperparameters(rule, argument, build,
                                                      value):
    with pytest.raises(ValueError, match=r"^{}: {} must be a finite number, "
                       r"got -?(nan|inf)".format(rule, argument)):
        build(value)


@pytest.mark.parametrize('value', [None, 'fast', True, [0.1, 0.2]],
                         ids=['None', 'str', 'bool', 'list'])
@pytest.mark.parametrize('rule,argument,build', HYPERPARAMETERS,
                         ids=['{}-{}'.format(rule, argument) for
                              rule, argument, _ in HYPERPARAMETERS])
def test_step_rules_refuse_missing_hyperparameters(rule, argument, build,
                                                   value):
    if rule == 'StepClipping' and value is None:
        pytest.skip("StepClipping(threshold=None) is the documented "
                    "'no clipping'")
    with pytest.raises(TypeError, match=r"^{}: {} must be a number, "
                       r"got {}".format(rule, argument,
                                        re.escape(repr(value)))):
        build(value)


@pytest.mark.parametrize('rule,argument,build', HYPERPARAMETERS,
                         ids=['{}-{}'.format(rule, argument) for
                              rule, argument, _ in HYPERPARAMETERS])
def test_step_rules_check_the_value_of_a_shared_hyperparameter(
        rule, argument, build):
    bad = shared_floatx(numpy.nan, name='my_' + argument)
    with pytest.raises(ValueError, match=r"^{}: {} is the shared variable "
                       r"my_{} holding nan; it must hold a finite "
                       r"number".format(rule, argument, argument)):
        build(bad)


def test_a_shared_hyperparameter_is_used_as_given():
    # Shared variables stay allowed, so that the hyperparameter can change
    # during training: the rule uses the very variable.
    learning_rate = shared_floatx(0.5, name='learning_rate')
    rule = Momentum(learning_rate=learning_rate, momentum=0.)
    assert rule.learning_rate is learning_rate
    W = shared_floatx([1., 2.], name='W')
    steps, updates = rule.compute_steps(OrderedDict([(W, W)]))
    step = compile_function([], steps[W], updates=updates)
    assert_allclose(step(), [0.5, 1.])
    learning_rate.set_value(0.25)
    assert_allclose(step(), [0.25, 0.5])


def test_step_rules_range_checks_name_the_rule():
    with pytest.raises(ValueError, match=r"^RMSProp: decay_rate must be in "
                                         r"\[0, 1\], got 1\.5"):
        RMSProp(decay_rate=1.5)
    with pytest.raises(ValueError, match=r"^RMSProp: max_scaling must be "
                                         r"greater than 0, got -1"):
        RMSProp(max_scaling=-1)
    with pytest.raises(ValueError, match=r"^AdaDelta: decay_rate must be in "
                                         r"\[0, 1\], got 2\.0"):
        AdaDelta(decay_rate=shared_floatx(2.))


# Mistakes in the data surface before the compile, naming source and brick

def mlp_classifier(input_dim=784, name='mlp'):
    """An initialized MLP classifier's cost on ('features', 'targets')."""
    x = tensor.matrix('features')
    y = tensor.lmatrix('targets')
    mlp = MLP([Tanh(), Softmax()], [input_dim, 5, 3],
              weights_init=Constant(0.01), biases_init=Constant(0.),
              name=name)
    mlp.initialize()
    cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
    cost.name = 'cost'
    return cost


def classification_stream(features_shape, num_examples=8, batch_size=4,
                          features_dtype=None, targets=None, seed=1):
    rng = numpy.random.RandomState(seed)
    features = rng.uniform(size=(num_examples,) + tuple(features_shape))
    features = features.astype(features_dtype or floatX)
    if targets is None:
        targets = rng.randint(0, 3, size=(num_examples, 1)).astype('int64')
    dataset = IndexableDataset(OrderedDict([('features', features),
                                            ('targets', targets)]))
    return DataStream(dataset, iteration_scheme=SequentialScheme(
        num_examples, batch_size))


def training_loop(cost, stream, extensions=(), **kwargs):
    algorithm = GradientDescent(
        cost=cost, parameters=ComputationGraph(cost).parameters,
        step_rule=Scale(0.1), **kwargs)
    return MainLoop(algorithm, stream,
                    extensions=[FinishAfter(after_n_epochs=1)] +
                    list(extensions))


class CountCompiles:
    """Counts the functions that take data compiled in a module.

    (The aggregators' initialization and readout functions take none.)

    """
    def __init__(self, monkeypatch, module):
        self.count = 0
        original = module.compile_function

        def counting(inputs, *args, **kwargs):
            if inputs:
                self.count += 1
            return original(inputs, *args, **kwargs)
        monkeypatch.setattr(module, 'compile_function', counting)


@pytest.fixture
def training_compiles(monkeypatch):
    from blocks.algorithms import gradient_descent
    return CountCompiles(monkeypatch, gradient_descent)


@pytest.fixture
def monitoring_compiles(monkeypatch):
    from blocks.monitoring import evaluators
    return CountCompiles(monkeypatch, evaluators)


BEFORE_COMPILING = r"\(checked on the first training batch, before compiling\)"


def test_a_width_that_does_not_fit_names_the_brick(training_compiles):
    main_loop = training_loop(mlp_classifier(784),
                              classification_stream((783,)))
    with pytest.raises(ValueError, match=(
            r"^/mlp/linear_0\.apply: input has 783 columns, the brick "
            r"expects input_dim=784 \(the input comes from the source "
            r"'features' of shape \(4, 783\)\) " + BEFORE_COMPILING)):
        main_loop.run()
    assert training_compiles.count == 0
    assert main_loop.status['iterations_done'] == 0


def test_a_width_deeper_in_the_graph_names_its_brick(training_compiles):
    # The second layer of a hand-built pipeline gets 6 columns, not 5.
    x, y = tensor.matrix('features'), tensor.lmatrix('targets')
    first = Linear(4, 6, weights_init=Constant(0.1),
                   biases_init=Constant(0.), name='first')
    second = Linear(5, 3, weights_init=Constant(0.1),
                    biases_init=Constant(0.), name='second')
    first.initialize()
    second.initialize()
    cost = CategoricalCrossEntropy().apply(
        y.flatten(), Softmax().apply(second.apply(first.apply(x))))
    main_loop = training_loop(cost, classification_stream((4,)))
    with pytest.raises(ValueError, match=(
            r"^/second\.apply: input has 6 columns, the brick expects "
            r"input_dim=5 \(the input comes from the source 'features' of "
            r"shape \(4, 4\)\)")):
        main_loop.run()
    assert training_compiles.count == 0


def test_a_forgotten_flatten_reads_as_such(training_compiles):
    main_loop = training_loop(mlp_classifier(12),
                              classification_stream((1, 3, 4)))
    with pytest.raises(ValueError, match=(
            r"^source 'features' has 4 dimensions \(4, 1, 3, 4\); the "
            r"graph's input 'features' takes a matrix; flatten the examples "
            r"first, e.g. with Fuel's Flatten transformer: Flatten\(stream, "
            r"which_sources=\('features',\)\) " + BEFORE_COMPILING)):
        main_loop.run()
    assert training_compiles.count == 0


def test_a_float64_batch_in_a_float32_graph_gives_the_floatx_hint(
        training_compiles):
    with pytensor.config.change_flags(floatX='float32'):
        cost = mlp_classifier(3)
        main_loop = training_loop(
            cost, classification_stream((3,), features_dtype='float64'))
        with pytest.raises(TypeError, match=(
                r"^source 'features' holds float64 data, but the graph's "
                r"input 'features' is float32: floatX is float32 and "
                r"PyTensor does not downcast data silently; give the data "
                r"as float32 \(numpy: \.astype\('float32'\); Fuel: "
                r"Cast\(stream, 'floatX', which_sources=\('features',\)\), "
                r"or FUEL_FLOATX=float32 .*PYTENSOR_FLAGS=floatX=float64")):
            main_loop.run()
    assert training_compiles.count == 0


def test_float_labels_in_an_integer_input_say_so(training_compiles):
    stream = classification_stream(
        (3,), targets=numpy.zeros((8, 1), dtype=floatX))
    main_loop = training_loop(mlp_classifier(3), stream)
    with pytest.raises(TypeError, match=(
            r"^source 'targets' holds float\d+ data, but the graph's input "
            r"'targets' is int64; cast the data \(numpy: "
            r"\.astype\('int64'\); Fuel: Cast\(stream, 'int64', "
            r"which_sources=\('targets',\)\)\)")):
        main_loop.run()
    assert training_compiles.count == 0


def test_a_missing_source_fails_before_the_compile(training_compiles):
    stream = Rename(classification_stream((3,)), {'targets': 'labels'})
    main_loop = training_loop(mlp_classifier(3), stream)
    with pytest.raises(ValueError, match=(
            r"the batch lacks the sources \['targets'\] that the training "
            r"graph's inputs need; the batch's sources are \['features', "
            r"'labels'\]")):
        main_loop.run()
    assert training_compiles.count == 0


def test_an_unused_source_fails_before_the_compile(training_compiles):
    stream = FilterSources(classification_stream((3,)), ('features',))
    x = tensor.matrix('features')
    linear = Linear(3, 1, weights_init=Constant(0.1),
                    biases_init=Constant(0.))
    linear.initialize()
    cost = linear.apply(x).sum()
    main_loop = training_loop(cost, Rename(stream, {'features': 'images'}))
    with pytest.raises(ValueError, match=r"the batch lacks the sources "
                                         r"\['features'\]"):
        main_loop.run()
    main_loop = training_loop(cost, classification_stream((3,)))
    with pytest.raises(ValueError, match=r"the batch's sources \['targets'\] "
                                         r"match no input of the training "
                                         r"graph"):
        main_loop.run()
    assert training_compiles.count == 0


def test_gradient_descent_initialize_checks_the_batch_it_is_given(
        training_compiles):
    batch = next(classification_stream((783,)).get_epoch_iterator(
        as_dict=True))
    cost = mlp_classifier(784)
    algorithm = GradientDescent(cost=cost,
                                parameters=ComputationGraph(cost).parameters)
    with pytest.raises(ValueError, match=r"^/mlp/linear_0\.apply: input has "
                                         r"783 columns"):
        algorithm.initialize(batch=batch)
    with pytest.raises(ValueError, match=r"^/mlp/linear_0\.apply: input has "
                                         r"783 columns"):
        algorithm.process_batch(batch)
    assert training_compiles.count == 0
    assert not algorithm.initialized


def test_the_checked_first_batch_is_trained_on_and_epochs_are_unchanged():
    # The first batch is read ahead for the check; the loop must still see
    # every batch of every epoch, in the stream's own order (a shuffled
    # scheme would reveal an extra epoch iterator).
    def stream():
        scheme = ShuffledScheme(12, 4, rng=numpy.random.RandomState(3))
        features = numpy.arange(36, dtype=floatX).reshape((12, 3))
        targets = (numpy.arange(12) % 3).reshape((12, 1)).astype('int64')
        return DataStream(IndexableDataset(OrderedDict(
            [('features', features), ('targets', targets)])),
            iteration_scheme=scheme)

    reference = stream()
    expected = [batch['features'].tolist()
                for _ in range(2)
                for batch in reference.get_epoch_iterator(as_dict=True)]
    recorder = BatchRecorder()
    cost = mlp_classifier(3)
    algorithm = GradientDescent(cost=cost, step_rule=Scale(0.1),
                                parameters=ComputationGraph(cost).parameters)
    main_loop = MainLoop(algorithm, stream(),
                         extensions=[FinishAfter(after_n_epochs=2),
                                     recorder])
    main_loop.run()
    assert recorder.batches == expected
    assert main_loop.status['iterations_done'] == 6


class BatchRecorder(TrainingExtension):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.batches = []

    def before_batch(self, batch):
        self.batches.append(batch['features'].tolist())


class PickleBeforeFirstEpoch(TrainingExtension):
    """Pickles the main loop between the check and the first batch."""
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pickled = None

    def before_epoch(self):
        if self.pickled is None:
            self.pickled = pickle.dumps(self.main_loop)


def test_a_checkpoint_between_the_check_and_the_first_batch_resumes_exactly():
    def main_loop(extensions):
        cost = mlp_classifier(3)
        scheme = ShuffledScheme(12, 4, rng=numpy.random.RandomState(5))
        rng = numpy.random.RandomState(2)
        dataset = IndexableDataset(OrderedDict([
            ('features', rng.normal(size=(12, 3)).astype(floatX)),
            ('targets', rng.randint(0, 3, (12, 1)).astype('int64'))]))
        algorithm = GradientDescent(
            cost=cost, step_rule=Scale(0.5),
            parameters=ComputationGraph(cost).parameters)
        return MainLoop(algorithm, DataStream(dataset, iteration_scheme=scheme),
                        extensions=[FinishAfter(after_n_epochs=2)] +
                        extensions)

    straight = main_loop([])
    straight.run()
    expected = [p.get_value() for p in straight.algorithm.parameters]

    pickler = PickleBeforeFirstEpoch()
    main_loop([pickler]).run()
    resumed = pickle.loads(pickler.pickled)
    resumed.extensions[1].pickled = b'done'
    resumed.run()
    assert resumed.status['iterations_done'] == 6
    for value, reference in zip(
            [p.get_value() for p in resumed.algorithm.parameters], expected):
        assert numpy.array_equal(value, reference)


MONITORING_BEFORE_COMPILING = (r"\(checked on the first batch of the "
                               r"monitored data, before compiling\)")


def test_monitoring_checks_its_first_batch_before_compiling(
        monitoring_compiles):
    cost = mlp_classifier(784)
    evaluator = DatasetEvaluator([cost])
    with pytest.raises(ValueError, match=(
            r"^/mlp/linear_0\.apply: input has 783 columns, the brick "
            r"expects input_dim=784 .*" + MONITORING_BEFORE_COMPILING)):
        evaluator.evaluate(classification_stream((783,)))
    assert monitoring_compiles.count == 0


def test_data_stream_monitoring_fails_before_training_on_a_bad_stream(
        monitoring_compiles):
    cost = mlp_classifier(12)
    monitoring = DataStreamMonitoring(
        [cost], classification_stream((1, 3, 4)), prefix='valid')
    main_loop = training_loop(cost, classification_stream((12,)),
                              extensions=[monitoring])
    with pytest.raises(ValueError, match=(
            r"^source 'features' has 4 dimensions \(4, 1, 3, 4\); the "
            r"graph's input 'features' takes a matrix; flatten.*" +
            MONITORING_BEFORE_COMPILING)):
        main_loop.run()
    assert main_loop.status['iterations_done'] == 0
    assert monitoring_compiles.count == 0


@pytest.mark.parametrize('mode', MODES)
def test_softmax_categorical_cross_entropy_of_distributions_with_zeros(mode):
    y, x = tensor.matrix('y'), tensor.matrix('x')
    cost = Softmax().categorical_cross_entropy(y, x).mean()
    logits = numpy.array([[-numpy.inf, 0., 0.]], dtype=floatX)
    targets = numpy.array([[0., 0.5, 0.5]], dtype=floatX)
    value, gradient = _cost_and_gradient(cost, x, [y, x],
                                         [targets, logits], mode)
    assert_allclose(value, numpy.log(2), rtol=1e-6)
    assert_allclose(gradient, [[0., 0., 0.]], atol=1e-7)


def test_a_mismatch_outside_any_brick_names_the_sources(training_compiles):
    a, b = tensor.matrix('a'), tensor.matrix('b')
    total = shared_floatx(0., name='total')
    algorithm = UpdatesAlgorithm(updates=[(total, total + (a + b).sum())])
    batch = {'a': numpy.ones((4, 3), dtype=floatX),
             'b': numpy.ones((4, 2), dtype=floatX)}
    with pytest.raises(ValueError, match=(
            r"^the batch does not fit the graph: .*\(the data comes from the "
            r"sources 'a' of shape \(4, 3\), 'b' of shape \(4, 2\)\) " +
            BEFORE_COMPILING)):
        algorithm.process_batch(batch)
    assert training_compiles.count == 0
    batch['b'] = numpy.ones((4, 3), dtype=floatX)
    algorithm.process_batch(batch)
    assert float(total.get_value()) == 24.


@pytest.mark.parametrize('mode', MODES)
def test_categorical_cross_entropy_with_leading_axes(mode):
    # Labels of shape (time, batch) for probabilities (time, batch, class).
    y, y_hat = tensor.lmatrix('y'), tensor.tensor3('y_hat')
    cost = CategoricalCrossEntropy().apply(y, y_hat)
    rng = numpy.random.default_rng(4)
    probabilities = rng.dirichlet(numpy.ones(4), size=(3, 2)).astype(floatX)
    probabilities[0, 0] = [0., 1., 0., 0.]
    labels = rng.integers(0, 4, size=(3, 2))
    labels[0, 0] = 1
    value = compile_function([y, y_hat], cost, mode=mode)(labels,
                                                          probabilities)
    picked = numpy.take_along_axis(probabilities, labels[..., None], -1)
    assert_allclose(value, -numpy.log(picked).mean(), rtol=1e-5)


def test_select_classes_checks_the_ranks():
    from blocks.bricks.simple import select_classes
    with pytest.raises(TypeError, match=r"the classes \(2 dimensions\) must "
                       r"have one dimension less than the values they select "
                       r"from \(2 dimensions\)"):
        select_classes(tensor.matrix('x'), tensor.lmatrix('y'))
