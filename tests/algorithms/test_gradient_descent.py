"""GradientDescent and UpdatesAlgorithm: gradients, updates, batches."""
import pickle
import warnings
from collections import OrderedDict

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor
from pytensor.compile.mode import Mode

from blocks.algorithms import (
    Adam, CompositeRule, GradientDescent, Momentum, Scale, StepClipping,
    TrainingAlgorithm, UpdatesAlgorithm)
from blocks.graph import ComputationGraph
from blocks.utils import compile_function, shared_floatx


def floatX_array(value):
    return numpy.asarray(value, dtype=pytensor.config.floatX)


def rtol():
    return 1e-5 if pytensor.config.floatX == 'float32' else 1e-10


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


def regression(rng):
    """A linear regression: parameters W, b; inputs x, y; its cost."""
    W = shared_floatx(rng.normal(size=(3, 2)), name='W')
    b = shared_floatx(rng.normal(size=(2,)), name='b')
    x, y = tensor.matrix('x'), tensor.matrix('y')
    cost = tensor.sqr(tensor.dot(x, W) + b - y).mean()
    batch = {'x': floatX_array(rng.normal(size=(5, 3))),
             'y': floatX_array(rng.normal(size=(5, 2)))}
    return W, b, cost, batch


def numpy_gradients(W, b, batch):
    x, y = (batch[name].astype('float64') for name in ('x', 'y'))
    residual = x @ W + b - y
    scale = 2. / residual.size
    return scale * x.T @ residual, scale * residual.sum(axis=0)


def test_gradient_descent():
    W = shared_floatx(numpy.array([[1, 2], [3, 4]]))
    W_start_value = W.get_value()
    cost = tensor.sum(W ** 2)

    algorithm = GradientDescent(cost=cost, parameters=[W])
    algorithm.step_rule.learning_rate.set_value(floatX_array(0.75))
    algorithm.initialize()
    algorithm.process_batch(dict())
    assert_allclose(W.get_value(), -0.5 * W_start_value)


def test_gradient_descent_with_data_matches_numpy(rng):
    W, b, cost, batch = regression(rng)
    algorithm = GradientDescent(cost=cost, parameters=[W, b],
                                step_rule=Scale(learning_rate=0.1))
    algorithm.initialize()
    assert [variable.name for variable in algorithm.inputs] == ['x', 'y']
    for _ in range(3):
        W_value, b_value = W.get_value(), b.get_value()
        gW, gb = numpy_gradients(W_value, b_value, batch)
        algorithm.process_batch(batch)
        assert_allclose(W.get_value(), W_value - 0.1 * gW, rtol=rtol())
        assert_allclose(b.get_value(), b_value - 0.1 * gb, rtol=rtol())


def test_momentum_training_matches_numpy(rng):
    W, b, cost, batch = regression(rng)
    algorithm = GradientDescent(cost=cost, parameters=[W, b],
                                step_rule=Momentum(0.1, 0.5))
    velocities = [0, 0]
    values = [W.get_value().astype('float64'), b.get_value().astype('float64')]
    for _ in range(3):
        gradients = numpy_gradients(*values, batch)
        velocities = [0.5 * v + 0.1 * g
                      for v, g in zip(velocities, gradients)]
        values = [value - v for value, v in zip(values, velocities)]
        algorithm.process_batch(batch)
        assert_allclose(W.get_value(), values[0], rtol=1e-4)
        assert_allclose(b.get_value(), values[1], rtol=1e-4)


def test_gradient_descent_with_gradients():
    W = shared_floatx(numpy.array([[1, 2], [3, 4]]))
    W_start_value = W.get_value()
    cost = tensor.sum(W ** 2)
    for gradients in (OrderedDict([(W, tensor.grad(cost, W))]),
                      [(W, tensor.grad(cost, W))]):
        W.set_value(W_start_value)
        algorithm = GradientDescent(gradients=gradients)
        assert algorithm.parameters == [W]
        algorithm.step_rule.learning_rate.set_value(floatX_array(0.75))
        algorithm.initialize()
        algorithm.process_batch(dict())
        assert_allclose(W.get_value(), -0.5 * W_start_value)


def test_gradients_as_plain_dict_need_parameters():
    W = shared_floatx(numpy.ones(2), name='W')
    b = shared_floatx(numpy.ones(2), name='b')
    with pytest.raises(ValueError, match="cannot infer the parameters in a "
                                         "fixed order from the gradients: "
                                         "they were given as a dict"):
        GradientDescent(gradients={W: W, b: b})
    algorithm = GradientDescent(gradients={W: W, b: 2 * b},
                                parameters=[b, W])
    assert algorithm.parameters == [b, W]
    assert [variable for variable, _ in algorithm.updates] == [b, W]
    with pytest.raises(ValueError, match="cannot infer the parameters"):
        GradientDescent(gradients={W: W, b: b}, parameters=[W])


def test_parameters_not_matching_ordered_gradients_warn():
    W = shared_floatx(numpy.ones(2), name='W')
    b = shared_floatx(numpy.ones(2), name='b')
    with pytest.warns(UserWarning, match="do not match the keys of the "
                                         "gradients"):
        algorithm = GradientDescent(
            gradients=OrderedDict([(W, W), (b, b)]), parameters=[W])
    assert algorithm.parameters == [W, b]


def test_cost_unused_with_gradients_warns():
    W = shared_floatx(numpy.ones(2), name='W')
    with pytest.warns(UserWarning, match="gradients already specified "
                                         "directly; cost is unused"):
        GradientDescent(cost=W.sum(), gradients=[(W, W)])


def test_gradient_arguments_errors():
    W = shared_floatx(numpy.ones(2), name='W')
    with pytest.raises(ValueError, match="no cost specified"):
        GradientDescent(parameters=[W])
    with pytest.raises(ValueError, match=r"no parameters specified \(got "
                                         r"parameters=\[\]\)"):
        GradientDescent(cost=W.sum(), parameters=[])
    with pytest.raises(ValueError, match="known_grads has no effect"):
        GradientDescent(gradients=[(W, W)], known_grads={W: W})
    with pytest.raises(ValueError, match="consider_constant has no effect"):
        GradientDescent(gradients=[(W, W)], consider_constant=[W])
    with pytest.raises(TypeError, match="step_rule must be a StepRule "
                                        "instance, got 0.1"):
        GradientDescent(cost=W.sum(), parameters=[W], step_rule=0.1)


def test_known_grads(rng):
    W = shared_floatx(numpy.ones((2, 2)), name='W')
    x = tensor.matrix('x')
    hidden = tensor.dot(x, W)
    known = tensor.matrix('known')
    algorithm = GradientDescent(cost=tensor.sqr(W).sum(), parameters=[W],
                                known_grads={hidden: known},
                                step_rule=Scale(0.5))
    x_value = floatX_array([[1., 2.], [3., 4.]])
    known_value = floatX_array([[1., 0.], [0., 2.]])
    algorithm.process_batch({'x': x_value, 'known': known_value})
    gradient = 2 * numpy.ones((2, 2)) + x_value.T @ known_value
    assert_allclose(W.get_value(), numpy.ones((2, 2)) - 0.5 * gradient)


def test_consider_constant():
    W = shared_floatx(numpy.array([1., 2.]), name='W')
    doubled = 2 * W
    cost = (doubled * W).sum()
    algorithm = GradientDescent(cost=cost, parameters=[W],
                                consider_constant=[doubled])
    gradient = compile_function([], algorithm.gradients[W])()
    assert gradient.tolist() == [2., 4.]
    algorithm = GradientDescent(cost=cost, parameters=[W])
    assert compile_function([], algorithm.gradients[W])().tolist() == [4., 8.]


def test_total_norms(rng):
    W, b, cost, batch = regression(rng)
    algorithm = GradientDescent(
        cost=cost, parameters=[W, b],
        step_rule=CompositeRule([StepClipping(0.1), Scale(0.5)]))
    assert algorithm.total_gradient_norm.name == 'total_gradient_norm'
    assert algorithm.total_step_norm.name == 'total_step_norm'
    inputs = ComputationGraph(cost).inputs
    norms = compile_function(inputs, [algorithm.total_gradient_norm,
                                      algorithm.total_step_norm])(
        *[batch[variable.name] for variable in inputs])
    gW, gb = numpy_gradients(W.get_value(), b.get_value(), batch)
    gradient_norm = numpy.sqrt((gW ** 2).sum() + (gb ** 2).sum())
    assert gradient_norm > 0.1
    assert_allclose(norms[0], gradient_norm, rtol=rtol())
    assert_allclose(norms[1], 0.5 * 0.1, rtol=rtol())


def test_update_order():
    W = shared_floatx(numpy.ones(2), name='W')
    b = shared_floatx(numpy.ones(2), name='b')
    counter = shared_floatx(0., name='counter')
    algorithm = GradientDescent(
        cost=(W * b).sum(), parameters=[W, b], step_rule=Momentum(0.1, 0.9),
        updates=[(counter, counter + 1)])
    assert [variable.name for variable, _ in algorithm.updates] == [
        'counter', 'W', 'b', 'W_velocity', 'b_velocity']
    assert algorithm.step_rule_updates == algorithm.updates[3:]
    assert list(algorithm.steps) == [W, b]


def test_updates_keyword_finds_inputs():
    W = shared_floatx(numpy.array([[1, 2], [3, 4]]))
    n = shared_floatx(1)
    m = tensor.scalar('m')
    user_updates = [(n, n + m)]
    algorithm = GradientDescent(gradients=OrderedDict([(W, W + 1)]),
                                updates=user_updates)
    assert len(user_updates) == 1  # the caller's list is not extended
    algorithm.initialize()
    assert m in algorithm.inputs


def test_add_updates():
    W = shared_floatx(numpy.array([[1, 2], [3, 4]]))
    n = shared_floatx(1, name='n')
    k = shared_floatx(1, name='k')
    m = tensor.scalar('m')
    algorithm = GradientDescent(gradients=OrderedDict([(W, W + 1)]))
    algorithm.add_updates([(n, n + m)])
    algorithm.add_updates(OrderedDict([(k, 2 * k)]))
    algorithm.initialize()
    assert m in algorithm.inputs
    algorithm.process_batch({'m': floatX_array(3.)})
    assert float(n.get_value()) == 4. and float(k.get_value()) == 2.
    with pytest.raises(TypeError, match="updates must be a list of "
                                        r"\(shared variable, new value\) "
                                        "pairs or an OrderedDict, got None"):
        algorithm.add_updates(None)
    with pytest.raises(TypeError, match="got the elements"):
        algorithm.add_updates([n])


def test_add_updates_after_initialize_recompiles():
    n = shared_floatx(0., name='n')
    k = shared_floatx(0., name='k')
    algorithm = UpdatesAlgorithm(updates=[(n, n + 1)])
    algorithm.initialize()
    algorithm.process_batch({})
    algorithm.add_updates([(k, k + 1)])
    algorithm.process_batch({})
    assert float(n.get_value()) == 2. and float(k.get_value()) == 1.


def test_updates_algorithm_without_updates():
    algorithm = UpdatesAlgorithm()
    algorithm.initialize()
    algorithm.process_batch({})
    assert algorithm.updates == [] and algorithm.inputs == []


def test_lazy_compilation():
    n = shared_floatx(0., name='n')
    x = tensor.scalar('x')
    algorithm = UpdatesAlgorithm(updates=[(n, n + x)])
    algorithm.process_batch({'x': floatX_array(2.)})
    assert float(n.get_value()) == 2.


def spurious_setup(on_unused_sources):
    W = shared_floatx(numpy.array([[1, 2], [3, 4]]))
    x = tensor.vector('x')
    cost = tensor.sum(W ** 2) + 0 * x.sum()
    algorithm = GradientDescent(cost=cost, parameters=[W],
                                step_rule=Scale(0.75),
                                on_unused_sources=on_unused_sources)
    algorithm.initialize()
    return W, algorithm


def test_unused_sources_raise():
    W, algorithm = spurious_setup('raise')
    with pytest.raises(ValueError, match=r"the batch's sources "
                                         r"\['example_id'\] match no input "
                                         r"of the training graph, whose "
                                         r"inputs are \['x'\]; .*"
                                         r"on_unused_sources='warn'"):
        algorithm.process_batch({'x': floatX_array([1.]),
                                 'example_id': 'test'})


def test_unused_sources_warn_once():
    W, algorithm = spurious_setup('warn')
    W_start_value = W.get_value()
    batch = {'x': floatX_array([1.]), 'example_id': 'test'}
    with pytest.warns(UserWarning, match=r"\['example_id'\] match no input"):
        algorithm.process_batch(batch)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        algorithm.process_batch(batch)
        algorithm.process_batch({'example_id': 1, 'x': floatX_array([1.])})
    assert_allclose(W.get_value(), (-0.5) ** 3 * W_start_value)


def test_unused_sources_ignore():
    W, algorithm = spurious_setup('ignore')
    W_start_value = W.get_value()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        algorithm.process_batch({'x': floatX_array([1.]),
                                 'example_id': 'test'})
    assert_allclose(W.get_value(), -0.5 * W_start_value)


def test_on_unused_sources_invalid():
    W = shared_floatx(numpy.ones(2), name='W')
    with pytest.raises(ValueError, match="on_unused_sources must be one of "
                                         "'raise', 'warn' or 'ignore', got "
                                         "'silent'"):
        GradientDescent(cost=W.sum(), parameters=[W],
                        on_unused_sources='silent')


def test_missing_sources(rng):
    W, b, cost, batch = regression(rng)
    algorithm = GradientDescent(cost=cost, parameters=[W, b])
    algorithm.initialize()
    with pytest.raises(ValueError, match=r"the batch lacks the sources "
                                         r"\['y'\] that the training graph's "
                                         r"inputs need; the batch's sources "
                                         r"are \['x', 'features'\] and the "
                                         r"graph's inputs are \['x', 'y'\]"):
        algorithm.process_batch({'x': batch['x'], 'features': batch['x']})
    # A valid batch is remembered; a different set of sources is checked.
    algorithm.process_batch(batch)
    with pytest.raises(ValueError, match=r"lacks the sources \['y'\]"):
        algorithm.process_batch({'x': batch['x']})
    with pytest.raises(TypeError, match="a batch must be a dict mapping "
                                        "source names to data, got 'tuple'"):
        algorithm.process_batch((batch['x'], batch['y']))


def test_theano_func_kwargs_mode_overrides_compile_mode():
    mode = Mode(linker='py', optimizer='fast_compile')
    W = shared_floatx(numpy.ones(2), name='W')
    algorithm = GradientDescent(cost=W.sum(), parameters=[W],
                                theano_func_kwargs={'mode': mode,
                                                    'name': 'training'})
    algorithm.initialize()
    assert algorithm._function.maker.mode is mode
    assert algorithm._function.name == 'training'
    with pytest.raises(TypeError, match="theano_func_kwargs must be a dict"):
        UpdatesAlgorithm(theano_func_kwargs=['mode'])


def test_hyperparameter_change_mid_training_without_recompiling():
    W = shared_floatx(numpy.array([1., 2.]), name='W')
    algorithm = GradientDescent(cost=(W ** 2).sum() / 2, parameters=[W],
                                step_rule=Scale(0.5))
    algorithm.initialize()
    algorithm.process_batch({})
    function = algorithm._function
    algorithm.step_rule.learning_rate.set_value(floatX_array(0.25))
    algorithm.process_batch({})
    assert algorithm._function is function
    assert W.get_value().tolist() == [0.375, 0.75]


def test_pickling_resumes_exactly(rng):
    W, b, cost, batch = regression(rng)
    algorithm = GradientDescent(cost=cost, parameters=[W, b],
                                step_rule=Momentum(0.1, 0.9))
    algorithm.initialize()
    algorithm.process_batch(batch)
    copy = pickle.loads(pickle.dumps(algorithm))
    assert copy._function is None and algorithm._function is not None
    new_W, new_b = copy.parameters
    assert_allclose(new_W.get_value(), W.get_value())
    for _ in range(2):
        algorithm.process_batch(batch)
    copy.initialize()
    for _ in range(2):
        copy.process_batch(batch)
    assert_allclose(new_W.get_value(), W.get_value())
    assert_allclose(new_b.get_value(), b.get_value())
    velocity = copy.step_rule_updates[0][0]
    assert velocity.name == 'W_velocity'
    assert_allclose(velocity.get_value(),
                    algorithm.step_rule_updates[0][0].get_value())


def test_float32_training_step():
    with pytensor.config.change_flags(floatX='float32',
                                      warn_float64='raise'):
        rng = numpy.random.default_rng(1)
        W, b, cost, batch = regression(rng)
        step_rule = CompositeRule([StepClipping(10.), Momentum(0.1, 0.5),
                                   Adam()])
        algorithm = GradientDescent(cost=cost, parameters=[W, b],
                                    step_rule=step_rule)
        assert algorithm.total_gradient_norm.dtype == 'float32'
        assert all(value.dtype == variable.dtype
                   for variable, value in algorithm.updates)
        W_value = W.get_value()
        algorithm.initialize()
        algorithm.process_batch(batch)
        assert W.get_value().dtype == 'float32'
        assert not numpy.allclose(W.get_value(), W_value)


def test_training_algorithm_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        TrainingAlgorithm()
