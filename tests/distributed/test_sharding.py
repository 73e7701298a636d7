"""The sharded step (:mod:`blocks.distributed.sharding`) in one process: which
steps are row-local, the parameters in a shared-memory window, and the rows
of two workers computed one after the other equal to the whole step."""
import numpy
import pytest
from pytensor import tensor

from blocks.algorithms import (AdaDelta, AdaGrad, Adam, CompositeRule,
                               GradientDescent, Momentum, RemoveNotFinite,
                               RMSProp, Scale, StepClipping)
from blocks.distributed.sharding import (SharedFactors, ShardedStep,
                                         SharedVariables, gradient_factors,
                                         reduced_step, row_local, shard_plan)
from blocks.utils import compile_function, shared_floatx


def algorithm(step_rule, l2=0):
    W = shared_floatx(numpy.linspace(-1, 1, 15).reshape(5, 3), name='W')
    b = shared_floatx([0.5, -0.25, 0.125], name='b')
    x = tensor.matrix('x')
    cost = ((tensor.tanh(x.dot(W) + b)) ** 2).mean()
    if l2:
        cost = cost + l2 * (W ** 2).sum()
    return GradientDescent(cost=cost, parameters=[W, b], step_rule=step_rule)


def plan_names(step_rule):
    descent = algorithm(step_rule)
    plan = shard_plan(descent.updates, descent.parameters,
                      [descent.gradients[parameter]
                       for parameter in descent.parameters])
    return None if plan is None else [variable.name for variable in plan]


@pytest.mark.parametrize('step_rule, buffers', [
    (Scale(0.1), []),
    (Momentum(0.1, 0.9), ['velocity']),
    (AdaGrad(), ['adagrad_sqs']),
    (RMSProp(), ['mean_square_step_tm1']),
    (AdaDelta(), ['mean_square_step_tm1', 'mean_square_delta_x_tm1']),
    (Adam(), ['adam_mean', 'adam_variance']),  # not adam_time: a scalar
    (CompositeRule([Momentum(0.1, 0.9), Scale(0.5)]), ['velocity'])])
def test_elementwise_step_rules_are_sharded(step_rule, buffers):
    names = plan_names(step_rule)
    expected = ['W', 'b'] + ['{}_{}'.format(parameter, buffer)
                             for parameter in 'Wb' for buffer in buffers]
    assert sorted(names) == sorted(expected)


@pytest.mark.parametrize('step_rule', [
    CompositeRule([StepClipping(1.0), Scale(0.1)]), RemoveNotFinite()])
def test_step_rules_reducing_whole_gradients_are_not(step_rule):
    assert plan_names(step_rule) is None


def test_row_local_needs_elementwise_operations_on_equal_shapes():
    W, g = tensor.matrix('W'), tensor.matrix('g')
    v, s = tensor.vector('v'), tensor.scalar('s')
    shapes = {W: (4, 3), g: (4, 3), v: (3,), s: ()}
    assert row_local(W - s * g, (4, 3), shapes)
    assert row_local(W - numpy.ones((1, 1)) * g, (4, 3), shapes)
    # A row of another shape, broadcast over the rows, is not sliced.
    assert not row_local(W - v, (4, 3), shapes)
    assert not row_local(W - numpy.ones((1, 3)) * g, (4, 3), shapes)
    assert not row_local(W - g.T.T, (4, 3), shapes)
    assert not row_local(W - tensor.matrix('data'), (4, 3), shapes)
    # A scalar's new value may read scalars only.
    assert row_local(s + 1, (), shapes)
    assert not row_local(s + g.sum(), (), shapes)


def test_a_step_reading_the_data_is_refused():
    descent = algorithm(Scale(0.1))
    x = tensor.matrix('other')
    updates = [(variable, value + x.sum())
               for variable, value in descent.updates]
    with pytest.raises(ValueError, match='depends on the data'):
        reduced_step(updates, descent.parameters,
                     [descent.gradients[p] for p in descent.parameters], 2)


@pytest.fixture
def comm_self():
    MPI = pytest.importorskip('mpi4py.MPI')
    return MPI.COMM_SELF


def test_shared_variables_hold_views_of_the_window(comm_self):
    W = shared_floatx(numpy.arange(6.).reshape(3, 2), name='W')
    v = shared_floatx([1., 2., 3.], name='v')
    window = SharedVariables(comm_self, [W, v])
    try:
        assert window.attached()
        assert W.get_value(borrow=True) is window.views[0]
        assert numpy.array_equal(W.get_value(), numpy.arange(6.).reshape(3, 2))
        assert window.rows == [slice(0, 3), slice(0, 3)]
        assert not window.attach()
        # A replaced value goes into the window (rank 0's, here).
        v.set_value(numpy.array([4., 5., 6.]))
        assert not window.attached()
        assert window.attach()
        assert v.get_value(borrow=True) is window.views[1]
        assert numpy.array_equal(window.views[1], [4., 5., 6.])
        v.set_value(numpy.zeros(2))
        with pytest.raises(ValueError, match='changed shape'):
            window.attach()
        v.set_value(numpy.array([4., 5., 6.]))
    finally:
        window.free()
    window.free()
    assert not window.is_open
    # Private copies again, with the last values.
    assert numpy.array_equal(v.get_value(), [4., 5., 6.])
    assert W.get_value(borrow=True).base is None


def whole_and_sharded(comm, descent, segments, run_worker):
    """The step's new values, whole (on `segments`), then computed by two
    workers' :class:`ShardedStep` one after the other (`run_worker(window)`
    builds and runs one), each from the same private scalars."""
    parameters = descent.parameters
    gradients = [descent.gradients[parameter] for parameter in parameters]
    updates = descent.updates
    variables = [variable for variable, _ in updates]
    before = [variable.get_value() for variable in variables]
    inputs, total, values = reduced_step(updates, parameters, gradients, 2)
    whole = compile_function(inputs + [total], [],
                             updates=list(zip(variables, values)))
    whole(*sum(segments, []) + [7.])
    expected = [variable.get_value() for variable in variables]

    for variable, value in zip(variables, before):
        variable.set_value(value)
    plan = shard_plan(updates, parameters, gradients)
    window = SharedVariables(comm, plan)
    private = [variable for variable in variables if variable not in plan]
    try:
        scalars = [variable.get_value() for variable in private]
        for worker in range(2):
            for variable, value in zip(private, scalars):
                variable.set_value(value)
            window.rows = [slice(*[(0, 2), (2, None)][worker])
                           for _ in plan]
            run_worker(window)
            assert window.attached()
        return expected, [variable.get_value() for variable in variables]
    finally:
        window.free()


def sharded_step(descent, window, **kwargs):
    parameters = descent.parameters
    return ShardedStep(window, descent.updates, parameters,
                       [descent.gradients[parameter]
                        for parameter in parameters], 2, **kwargs)


@pytest.mark.parametrize('mode', ['FAST_COMPILE', 'CVM'])
@pytest.mark.parametrize('step_rule', [Adam(learning_rate=0.01),
                                       Momentum(0.1, 0.9)])
def test_two_workers_rows_equal_the_whole_step(comm_self, monkeypatch, mode,
                                               step_rule):
    # FAST_COMPILE writes new arrays (copied into the window), the C VM
    # updates in place.
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', mode)
    descent = algorithm(step_rule)
    rng = numpy.random.RandomState(1)
    segments = [[rng.normal(size=parameter.get_value().shape)
                 for parameter in descent.parameters] for _ in range(2)]

    def run_worker(window):
        step = sharded_step(descent, window)
        assert step.gradient_rows == window.rows[:2]
        step(segments, 7.)
    expected, actual = whole_and_sharded(comm_self, descent, segments,
                                         run_worker)
    for value, reference in zip(actual, expected):
        assert numpy.array_equal(value, reference)


def test_dense_layers_gradients_are_found_as_factors():
    descent = algorithm(Scale(0.1))
    parameters = descent.parameters
    gradients = [descent.gradients[parameter] for parameter in parameters]
    plan = shard_plan(descent.updates, parameters, gradients)
    factors = gradient_factors(parameters, gradients, plan, 'float64')
    assert list(factors) == [0]  # W's; b's gradient is a sum
    left, right, rest = factors[0]
    assert left.name == 'x' and right.ndim == 2 and rest is None
    # With an L2 penalty in the cost, the rest of W's gradient is its own.
    descent = algorithm(Scale(0.1), l2=0.5)
    gradients = [descent.gradients[parameter]
                 for parameter in descent.parameters]
    factors = gradient_factors(descent.parameters, gradients,
                               descent.parameters, 'float64')
    left, right, rest = factors[0]
    assert left.name == 'x'
    W = descent.parameters[0]
    assert numpy.allclose(rest.eval(), W.get_value())
    assert not gradient_factors(parameters, gradients, plan, 'float32')
    assert not gradient_factors(parameters, gradients, plan[1:], 'float64')
    # A weight matrix used twice has a sum of products for gradient.
    W = shared_floatx(numpy.ones((3, 3)), name='W')
    x = tensor.matrix('x')
    cost = x.dot(W).dot(W).sum()
    gradient = tensor.grad(cost, W)
    assert not gradient_factors([W], [gradient], [W], 'float64')


def test_shared_factors_grow_and_round_trip(comm_self):
    window = SharedFactors(comm_self, [(3, 2), (2, 4)], 'float64')
    rng = numpy.random.RandomState(3)
    try:
        for rows in (2, 5, 0, 4):
            factors = [(rng.normal(size=(rows, 3)), rng.normal(size=(rows, 2))),
                       (rng.normal(size=(rows, 2)), rng.normal(size=(rows, 4)))]
            window.write(factors, examples=rows + 0.5)
            assert window.capacity >= rows
            assert window.nbytes == 8 * (3 + rows * 11)
            (read, examples), = window.read()
            assert examples == rows + 0.5
            for pair, expected in zip(read, factors):
                for array, reference in zip(pair, expected):
                    assert numpy.array_equal(array, reference)
        assert window.capacity == 5
    finally:
        window.free()
    assert not window.is_open


@pytest.mark.parametrize('mode', ['FAST_COMPILE', 'CVM'])
@pytest.mark.parametrize('step_rule, l2', [
    (Scale(0.1), 0), (Adam(learning_rate=0.01), 0), (Scale(0.1), 0.25)])
def test_factored_rows_equal_the_whole_step(comm_self, monkeypatch, mode,
                                            step_rule, l2):
    # In the C VM, Scale's step is an in-place Gemm per worker.
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', mode)
    descent = algorithm(step_rule, l2)
    parameters = descent.parameters
    gradients = [descent.gradients[parameter] for parameter in parameters]
    factored = {index: rest for index, (_, _, rest) in gradient_factors(
        parameters, gradients, parameters, 'float64').items()}
    assert list(factored) == [0]
    rng = numpy.random.RandomState(2)
    examples = [3., 4.]
    factors = [[(rng.normal(size=(int(count), 5)),
                 rng.normal(size=(int(count), 3)))] for count in examples]
    biases = [[rng.normal(size=3)] for _ in examples]
    # The whole step on the gradients the workers would have sent, each
    # weighted by its examples (the penalty's 2 * l2 * W included).
    penalty = 2 * l2 * parameters[0].get_value()
    segments = [[count * (left.T.dot(right) + penalty), bias]
                for count, [(left, right)], [bias]
                in zip(examples, factors, biases)]

    def run_worker(window):
        sharded_step(descent, window, factored=factored)(
            biases, 7., factors=list(zip(factors, examples)))
    expected, actual = whole_and_sharded(comm_self, descent, segments,
                                         run_worker)
    for value, reference in zip(actual, expected):
        numpy.testing.assert_allclose(value, reference, rtol=1e-13,
                                      atol=1e-15)
