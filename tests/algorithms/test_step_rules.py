"""Step rules against NumPy recurrences, over several compiled steps."""
import pickle
from collections import OrderedDict

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.algorithms import (
    AdaDelta, AdaGrad, Adam, BasicMomentum, BasicRMSProp, CompositeRule,
    Momentum, RemoveNotFinite, Restrict, RMSProp, Scale, StepClipping,
    StepRule, VariableClipping)
from blocks.algorithms.step_rules import algorithm_buffer, hyperparameter
from blocks.roles import ALGORITHM_BUFFER, ALGORITHM_HYPERPARAMETER, has_roles
from blocks.utils import compile_function, shared_floatx

SHAPES = [(2, 3), (3,)]
N_STEPS = 4


def rtol():
    return 1e-5 if pytensor.config.floatX == 'float32' else 1e-10


def make_parameters(rng, shapes=SHAPES):
    return [shared_floatx(rng.normal(size=shape), name='p{}'.format(i))
            for i, shape in enumerate(shapes)]


def compile_rule(rule, parameters):
    """Compile gradients (inputs) -> steps, applying the rule's updates."""
    floatX = pytensor.config.floatX
    gradients = [tensor.tensor(dtype=floatX, shape=(None,) * p.ndim,
                               name='g_' + p.name) for p in parameters]
    steps, updates = rule.compute_steps(OrderedDict(zip(parameters,
                                                        gradients)))
    assert list(steps) == parameters
    return compile_function(gradients, [steps[p] for p in parameters],
                            updates=updates), updates


def run_rule(rule, reference, rng, parameters=None, gradients=None):
    """Check N_STEPS compiled steps against ``reference(state, p, g)``.

    ``reference`` takes a per-parameter state dict, the parameter value and
    the gradient, and returns the expected step.

    """
    if parameters is None:
        parameters = make_parameters(rng)
    function, updates = compile_rule(rule, parameters)
    states = [{} for _ in parameters]
    for step_index in range(N_STEPS):
        if gradients is None:
            values = [rng.normal(size=p.get_value().shape).astype(
                pytensor.config.floatX) for p in parameters]
        else:
            values = gradients[step_index]
        steps = function(*values)
        for parameter, state, value, step in zip(parameters, states, values,
                                                 steps):
            expected = reference(state, parameter.get_value(),
                                 value.astype('float64'))
            assert step.dtype == parameter.dtype
            assert_allclose(step, expected, rtol=rtol(), atol=1e-7)
    return parameters, updates


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


def test_scale(rng):
    run_rule(Scale(learning_rate=0.3), lambda state, p, g: 0.3 * g, rng)


def test_basic_momentum(rng):
    def reference(state, p, g):
        state['v'] = 0.5 * state.get('v', 0) + g
        return state['v']
    parameters, updates = run_rule(BasicMomentum(momentum=0.5), reference,
                                   rng)
    assert [buffer_.name for buffer_, _ in updates] == ['p0_velocity',
                                                        'p1_velocity']


def test_momentum(rng):
    def reference(state, p, g):
        state['v'] = 0.9 * state.get('v', 0) + 0.1 * g
        return state['v']
    run_rule(Momentum(learning_rate=0.1, momentum=0.9), reference, rng)


def test_adadelta(rng):
    decay, eps = 0.9, 1e-6

    def reference(state, p, g):
        msg = decay * state.get('msg', 0) + (1 - decay) * g ** 2
        delta = (numpy.sqrt(state.get('msd', 0) + eps) /
                 numpy.sqrt(msg + eps) * g)
        state['msg'] = msg
        state['msd'] = (decay * state.get('msd', 0) +
                        (1 - decay) * delta ** 2)
        return delta
    parameters, updates = run_rule(AdaDelta(decay_rate=decay, epsilon=eps),
                                   reference, rng)
    assert [buffer_.name for buffer_, _ in updates][:2] == [
        'p0_mean_square_step_tm1', 'p0_mean_square_delta_x_tm1']


def basic_rms_prop_reference(decay, max_scaling, learning_rate=1.):
    def reference(state, p, g):
        state['ms'] = decay * state.get('ms', 0) + (1 - decay) * g ** 2
        return learning_rate * g / numpy.maximum(numpy.sqrt(state['ms']),
                                                 1. / max_scaling)
    return reference


def test_basic_rms_prop(rng):
    run_rule(BasicRMSProp(decay_rate=0.8, max_scaling=1e5),
             basic_rms_prop_reference(0.8, 1e5), rng)


def test_basic_rms_prop_max_scaling_binds(rng):
    # Tiny gradients: sqrt(mean square) < 1 / max_scaling = 0.5.
    parameters = make_parameters(rng)
    gradients = [[numpy.full(p.get_value().shape, 0.01 * (i + 1),
                             dtype=pytensor.config.floatX)
                  for p in parameters] for i in range(N_STEPS)]
    run_rule(BasicRMSProp(decay_rate=0.5, max_scaling=2.),
             basic_rms_prop_reference(0.5, 2.), rng, parameters, gradients)


def test_rms_prop(rng):
    rule = RMSProp(learning_rate=0.1, decay_rate=0.8, max_scaling=1e5)
    assert rule.learning_rate is rule.components[1].learning_rate
    assert rule.decay_rate is rule.components[0].decay_rate
    run_rule(rule, basic_rms_prop_reference(0.8, 1e5, 0.1), rng)


def test_adagrad(rng):
    def reference(state, p, g):
        state['s'] = state.get('s', 0) + g ** 2
        return 0.1 * g / (numpy.sqrt(state['s']) + 1e-6)
    run_rule(AdaGrad(learning_rate=0.1, epsilon=1e-6), reference, rng)


def adam_reference(learning_rate, beta1, beta2, epsilon, decay_factor):
    def reference(state, p, g):
        t = state['t'] = state.get('t', 0) + 1
        beta1_t = beta1 * decay_factor ** (t - 1)
        state['m'] = beta1_t * state.get('m', 0) + (1 - beta1_t) * g
        state['v'] = beta2 * state.get('v', 0) + (1 - beta2) * g ** 2
        rate = learning_rate * numpy.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        return rate * state['m'] / (numpy.sqrt(state['v']) + epsilon)
    return reference


def test_adam_defaults(rng):
    parameters, updates = run_rule(
        Adam(), adam_reference(0.002, 0.9, 0.999, 1e-8, 1.), rng)
    time = updates[2][0]
    assert time.name == 'p0_adam_time'
    assert time.get_value().shape == ()
    assert float(time.get_value()) == N_STEPS


def test_adam_decay_factor(rng):
    run_rule(Adam(learning_rate=0.01, beta1=0.8, beta2=0.99, epsilon=1e-4,
                  decay_factor=0.9),
             adam_reference(0.01, 0.8, 0.99, 1e-4, 0.9), rng)


def test_step_clipping(rng):
    # Norms of the gradients vary around the threshold 3.
    parameters = make_parameters(rng)
    gradients = [[(scale * rng.normal(size=p.get_value().shape)).astype(
        pytensor.config.floatX) for p in parameters]
        for scale in (0.1, 5., 0.5, 3.)]
    norms = [numpy.sqrt(sum((g.astype('float64') ** 2).sum() for g in gs))
             for gs in gradients]
    assert min(norms) < 3. < max(norms)
    function, updates = compile_rule(StepClipping(threshold=3.), parameters)
    assert updates == []
    for gs, norm in zip(gradients, norms):
        for step, g in zip(function(*gs), gs):
            assert_allclose(step, g * min(1., 3. / norm), rtol=rtol())


def test_step_clipping_without_threshold(rng):
    parameters = make_parameters(rng)
    steps = OrderedDict((p, 2 * p) for p in parameters)
    new_steps, updates = StepClipping().compute_steps(steps)
    assert new_steps == steps and updates == []


@pytest.mark.parametrize('axis', [None, 0, 1, (0, 1), -1])
def test_variable_clipping(rng, axis):
    threshold = 1.5
    axes = None if axis is None else tuple(numpy.atleast_1d(axis))

    def reference(state, p, g):
        updated = p - g
        norms = numpy.sqrt((updated ** 2).sum(axis=axes, keepdims=True))
        return numpy.where(norms > threshold,
                           p - threshold / norms * updated, g)
    parameters = make_parameters(rng, [(3, 4)])
    run_rule(VariableClipping(threshold, axis=axis), reference, rng,
             parameters)


def test_variable_clipping_result_norms(rng):
    parameter = shared_floatx(rng.normal(size=(3, 4)) * 3, name='W')
    steps, _ = VariableClipping(1., axis=1).compute_steps(
        OrderedDict([(parameter, 0 * parameter)]))
    updated = (parameter - steps[parameter]).eval()
    assert_allclose(numpy.sqrt((updated ** 2).sum(axis=1)), numpy.ones(3),
                    rtol=1e-5)


def test_variable_clipping_errors():
    with pytest.raises(ValueError, match=r"axis must name each axis at most "
                                         r"once, got \(0, 0\)"):
        VariableClipping(1., axis=(0, 0))
    W = shared_floatx(numpy.zeros((2, 2)), name='W')
    with pytest.raises(ValueError, match=r"axis \[2\] of VariableClipping is "
                                         r"invalid for the parameter W "
                                         r"with ndim=2"):
        VariableClipping(1., axis=2).compute_steps(OrderedDict([(W, W)]))


def test_remove_not_finite(rng):
    parameters = make_parameters(rng)
    floatX = pytensor.config.floatX
    gradients = []
    for bad in (None, numpy.nan, numpy.inf, -numpy.inf):
        values = [rng.normal(size=p.get_value().shape).astype(floatX)
                  for p in parameters]
        if bad is not None:
            values[0][0, 1] = bad
        gradients.append(values)

    def reference(state, p, g):
        return 0.25 * p if not numpy.isfinite(g).all() else g
    run_rule(RemoveNotFinite(scaler=0.75), reference, rng, parameters,
             gradients)


def test_composite_rule(rng):
    rule = CompositeRule([StepClipping(1.), Scale(0.1), BasicMomentum(0.9)])
    parameters = make_parameters(rng)
    function, updates = compile_rule(rule, parameters)
    assert [buffer_.name for buffer_, _ in updates] == ['p0_velocity',
                                                        'p1_velocity']
    velocities = [0, 0]
    for _ in range(N_STEPS):
        gs = [(3 * rng.normal(size=p.get_value().shape)).astype(
            pytensor.config.floatX) for p in parameters]
        norm = numpy.sqrt(sum((g.astype('float64') ** 2).sum() for g in gs))
        steps = function(*gs)
        for i, g in enumerate(gs):
            velocities[i] = (0.9 * velocities[i] +
                             0.1 * g * min(1., 1. / norm))
            assert_allclose(steps[i], velocities[i], rtol=rtol())


def test_restrict(rng):
    parameters = make_parameters(rng)
    rule = Restrict(BasicMomentum(0.5), [parameters[1]])
    function, updates = compile_rule(rule, parameters)
    assert [buffer_.name for buffer_, _ in updates] == ['p1_velocity']
    velocity = 0
    for _ in range(N_STEPS):
        gs = [rng.normal(size=p.get_value().shape).astype(
            pytensor.config.floatX) for p in parameters]
        steps = function(*gs)
        velocity = 0.5 * velocity + gs[1]
        assert_allclose(steps[0], gs[0])
        assert_allclose(steps[1], velocity, rtol=rtol())


def test_hyperparameters_are_shared_with_roles():
    rules = [Scale(), BasicMomentum(), Momentum(), AdaDelta(), BasicRMSProp(),
             RMSProp(), Adam(), AdaGrad(), StepClipping(1.),
             VariableClipping(1.), RemoveNotFinite()]
    for rule in rules:
        for name, value in vars(rule).items():
            if name in ('components', 'axis'):
                continue
            assert has_roles(value, [ALGORITHM_HYPERPARAMETER]), (rule, name)
            assert value.name == name
            assert value.dtype == pytensor.config.floatX


def hyperparameter_values(rule, names):
    return [round(float(getattr(rule, name).get_value()), 10)
            for name in names]


def test_defaults():
    floatX = pytensor.config.floatX

    def expected(*values):
        return [round(float(numpy.asarray(v, dtype=floatX)), 10)
                for v in values]
    assert hyperparameter_values(Scale(), ['learning_rate']) == expected(1.)
    assert hyperparameter_values(BasicMomentum(), ['momentum']) == [0.]
    assert hyperparameter_values(
        Momentum(), ['learning_rate', 'momentum']) == [1., 0.]
    assert hyperparameter_values(
        AdaDelta(), ['decay_rate', 'epsilon']) == expected(0.95, 1e-6)
    assert hyperparameter_values(
        BasicRMSProp(), ['decay_rate', 'max_scaling']) == expected(0.9, 1e5)
    assert hyperparameter_values(
        RMSProp(), ['learning_rate', 'decay_rate', 'max_scaling']
    ) == expected(1., 0.9, 1e5)
    assert hyperparameter_values(
        Adam(), ['learning_rate', 'beta1', 'beta2', 'epsilon', 'decay_factor']
    ) == expected(0.002, 0.9, 0.999, 1e-8, 1.)
    assert hyperparameter_values(
        AdaGrad(), ['learning_rate', 'epsilon']) == expected(0.002, 1e-6)
    assert StepClipping().threshold is None
    assert VariableClipping(2.).axis == set()
    assert hyperparameter_values(RemoveNotFinite(), ['scaler']) == [1.]
    assert BasicRMSProp(max_scaling=4.).epsilon == 0.25


def test_hyperparameter_change_takes_effect_without_recompiling(rng):
    rule = Scale(learning_rate=0.5)
    parameters = make_parameters(rng, [(2,)])
    function, _ = compile_rule(rule, parameters)
    g = numpy.ones(2, dtype=pytensor.config.floatX)
    assert function(g)[0].tolist() == [0.5, 0.5]
    rule.learning_rate.set_value(numpy.asarray(0.25,
                                               pytensor.config.floatX))
    assert function(g)[0].tolist() == [0.25, 0.25]


def test_buffers(rng):
    W = shared_floatx(numpy.ones((2, 3)), name='W', shape=(None, 3))
    buffer_ = algorithm_buffer(W, 'velocity')
    assert buffer_.name == 'W_velocity'
    assert has_roles(buffer_, [ALGORITHM_BUFFER])
    assert buffer_.tag.for_parameter is W
    assert buffer_.type == W.type
    assert buffer_.get_value().tolist() == [[0.] * 3] * 2
    unnamed = shared_floatx(numpy.ones(2))
    assert algorithm_buffer(unnamed, 'velocity').name == 'velocity'
    counter = algorithm_buffer(W, 'time', shape=())
    assert counter.get_value().shape == () and counter.dtype == W.dtype


def test_buffers_follow_the_parameter_dtype(rng):
    other = 'float32' if pytensor.config.floatX == 'float64' else 'float64'
    W = shared_floatx(numpy.ones(3), name='W', dtype=other)
    rules = [BasicMomentum(0.5), AdaDelta(), BasicRMSProp(), AdaGrad(),
             Adam()]
    for rule in rules:
        steps, updates = rule.compute_steps(OrderedDict([(W, 2 * W)]))
        for buffer_, value in updates:
            assert buffer_.dtype == other
            assert value.dtype == other
        compile_function([], steps[W], updates=updates)()


def test_buffer_needs_shared_parameter():
    x = tensor.vector('x')
    with pytest.raises(TypeError, match="the parameter must be a shared "
                                        "variable, got x of type"):
        BasicMomentum(0.5).compute_steps(OrderedDict([(x, x)]))


def test_validation_errors():
    with pytest.raises(ValueError, match=r"decay_rate must be in \[0, 1\], "
                                         r"got 1\.5"):
        AdaDelta(decay_rate=1.5)
    with pytest.raises(ValueError, match=r"decay_rate must be in \[0, 1\], "
                                         r"got -0\.1"):
        BasicRMSProp(decay_rate=-0.1)
    with pytest.raises(ValueError, match="max_scaling must be greater than "
                                         "0, got 0"):
        RMSProp(max_scaling=0)
    with pytest.raises(TypeError, match="learning_rate must be a number, "
                                        "got 'fast'"):
        Scale(learning_rate='fast')
    with pytest.raises(TypeError, match="components must be StepRule "
                                        "instances, got \\[1\\]"):
        CompositeRule([Scale(), 1])
    with pytest.raises(TypeError, match="step_rule must be a StepRule "
                                        "instance, got None"):
        Restrict(None, [])
    W = shared_floatx(numpy.zeros(2), name='W')
    with pytest.raises(NotImplementedError, match="StepRule must implement "
                                                  "compute_step"):
        StepRule().compute_steps(OrderedDict([(W, W)]))


def test_empty_steps():
    for rule in [Scale(), StepClipping(1.), CompositeRule([Momentum()]),
                 Restrict(Scale(), [])]:
        steps, updates = rule.compute_steps(OrderedDict())
        assert list(steps) == [] and updates == []


def test_rules_pickle(rng):
    rules = [Scale(0.5), Momentum(0.1, 0.9), AdaDelta(), RMSProp(), Adam(),
             AdaGrad(), StepClipping(2.), VariableClipping(1., axis=(0,)),
             RemoveNotFinite(0.5),
             CompositeRule([StepClipping(1.), Scale(0.1)]),
             Restrict(Scale(0.1), make_parameters(rng))]
    for rule in rules:
        copy = pickle.loads(pickle.dumps(rule))
        assert type(copy) is type(rule)
    copy = pickle.loads(pickle.dumps(Momentum(0.1, 0.9)))
    assert float(copy.momentum.get_value()) == pytest.approx(0.9)
    assert has_roles(copy.momentum, [ALGORITHM_HYPERPARAMETER])


def test_hyperparameter_helper():
    variable = hyperparameter(0.5, 'momentum')
    assert variable.name == 'momentum'
    assert float(variable.get_value()) == 0.5
    assert has_roles(variable, [ALGORITHM_HYPERPARAMETER])
