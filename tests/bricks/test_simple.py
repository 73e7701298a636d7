"""Every simple brick against NumPy."""
import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import (Bias, Identity, LeakyRectifier, Linear,
                           LinearMaxout, Logistic, Maxout,
                           NDimensionalSoftmax, Rectifier, Softmax, Softplus,
                           Tanh)
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import has_roles, BIAS, PARAMETER, WEIGHT
from blocks.utils import compile_function

floatX = pytensor.config.floatX
RTOL = 1e-5 if floatX == 'float32' else 1e-7


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


def data(rng, *shape):
    return rng.normal(size=shape).astype(floatX)


def evaluate(output, inputs, values):
    return compile_function(inputs, output)(*values)


def numpy_softmax(x):
    e = numpy.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def numpy_log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1,
                                                      keepdims=True))


# Linear, Bias

def test_linear_matches_numpy(rng):
    linear = Linear(4, 3, weights_init=IsotropicGaussian(0.1),
                    biases_init=Constant(0.5), seed=1)
    linear.initialize()
    x, x_val = tensor.matrix('x'), data(rng, 5, 4)
    out = evaluate(linear.apply(x), [x], [x_val])
    assert out.shape == (5, 3) and out.dtype == floatX
    W, b = linear.W.get_value(), linear.b.get_value()
    assert W.shape == (4, 3) and W.dtype == floatX
    assert_allclose(b, 0.5)
    assert_allclose(out, x_val @ W + b, rtol=RTOL)


def test_linear_parameters_roles_and_names():
    linear = Linear(4, 3)
    linear.allocate()
    W, b = linear.parameters
    assert (W.name, b.name) == ('W', 'b')
    assert has_roles(W, [WEIGHT]) and has_roles(b, [BIAS])
    assert has_roles(W, [PARAMETER]) and has_roles(b, [PARAMETER])
    assert numpy.isnan(W.get_value()).all() and numpy.isnan(
        b.get_value()).all()
    assert linear.W is W and linear.b is b


def test_linear_without_bias(rng):
    linear = Linear(4, 3, weights_init=IsotropicGaussian(0.1),
                    use_bias=False, seed=1)
    linear.initialize()
    assert [p.name for p in linear.parameters] == ['W']
    with pytest.raises(AttributeError, match="use_bias is False"):
        linear.b
    x, x_val = tensor.matrix('x'), data(rng, 5, 4)
    out = evaluate(linear.apply(x), [x], [x_val])
    assert_allclose(out, x_val @ linear.W.get_value(), rtol=RTOL)


def test_linear_on_a_vector_and_a_tensor3(rng):
    linear = Linear(4, 3, weights_init=IsotropicGaussian(0.1),
                    biases_init=Constant(0.1), seed=2)
    linear.initialize()
    W, b = linear.W.get_value(), linear.b.get_value()
    v, v_val = tensor.vector('v'), data(rng, 4)
    assert_allclose(evaluate(linear.apply(v), [v], [v_val]), v_val @ W + b,
                    rtol=RTOL)
    t, t_val = tensor.tensor3('t'), data(rng, 2, 5, 4)
    assert_allclose(evaluate(linear.apply(t), [t], [t_val]), t_val @ W + b,
                    rtol=RTOL)


def test_linear_lazy_dimensions():
    linear = Linear(weights_init=Constant(2.), biases_init=Constant(1.))
    linear.input_dim, linear.output_dim = 2, 3
    linear.initialize()
    x = tensor.matrix('x')
    out = linear.apply(x).eval({x: numpy.ones((1, 2), dtype=floatX)})
    assert out.tolist() == [[5.0, 5.0, 5.0]]


def test_bias_matches_numpy(rng):
    bias = Bias(3, biases_init=Constant([1., 2., 3.]))
    bias.initialize()
    assert bias.input_dim == bias.output_dim == 3
    b, = bias.parameters
    assert b.name == 'b' and has_roles(b, [BIAS])
    x, x_val = tensor.matrix('x'), data(rng, 4, 3)
    assert_allclose(evaluate(bias.apply(x), [x], [x_val]),
                    x_val + numpy.array([1., 2., 3.], dtype=floatX),
                    rtol=RTOL)
    assert bias.get_dims(['input_', 'output']) == [3, 3]


def test_bias_dimension_set_through_input_dim():
    bias = Bias(biases_init=Constant(0.))
    bias.input_dim = 4
    assert bias.dim == bias.output_dim == 4
    bias.initialize()
    assert bias.parameters[0].get_value().shape == (4,)


# Maxout

def test_maxout_matches_numpy(rng):
    x, x_val = tensor.matrix('x'), data(rng, 5, 6)
    out = evaluate(Maxout(num_pieces=3).apply(x), [x], [x_val])
    assert out.shape == (5, 2)
    assert_allclose(out, x_val.reshape(5, 2, 3).max(axis=2))


def test_maxout_on_a_tensor3(rng):
    x, x_val = tensor.tensor3('x'), data(rng, 2, 5, 4)
    out = evaluate(Maxout(2).apply(x), [x], [x_val])
    assert_allclose(out, x_val.reshape(2, 5, 2, 2).max(axis=3))


def test_linear_maxout_matches_numpy(rng):
    brick = LinearMaxout(input_dim=4, output_dim=3, num_pieces=2,
                         weights_init=IsotropicGaussian(0.5),
                         biases_init=Constant(0.1), seed=3)
    brick.initialize()
    linear = brick.linear
    assert linear.input_dim == 4 and linear.output_dim == 6
    assert brick.maxout.num_pieces == 2
    x, x_val = tensor.matrix('x'), data(rng, 5, 4)
    out = evaluate(brick.apply(x), [x], [x_val])
    pre = x_val @ linear.W.get_value() + linear.b.get_value()
    assert_allclose(out, pre.reshape(5, 3, 2).max(axis=2), rtol=RTOL)
    params = ComputationGraph(brick.apply(x)).parameters
    assert {p.name for p in params} == {'W', 'b'}


def test_linear_maxout_lazy_input_dim():
    brick = LinearMaxout(output_dim=2, num_pieces=3)
    brick.input_dim = 5
    assert brick.linear.input_dim == 5
    brick.allocate()
    assert brick.linear.W.get_value().shape == (5, 6)


# Activations

ACTIVATIONS = [
    (Identity(), lambda x: x),
    (Tanh(), numpy.tanh),
    (Logistic(), lambda x: 1 / (1 + numpy.exp(-x))),
    (Softplus(), lambda x: numpy.log1p(numpy.exp(x))),
    (Rectifier(), lambda x: numpy.maximum(x, 0)),
    (LeakyRectifier(), lambda x: numpy.where(x > 0, x, 0.01 * x)),
    (LeakyRectifier(leak=0.3), lambda x: numpy.where(x > 0, x, 0.3 * x)),
]


@pytest.mark.parametrize('brick, function', ACTIVATIONS,
                         ids=lambda a: getattr(a, 'name', ''))
def test_activation_matches_numpy(brick, function, rng):
    x, x_val = tensor.matrix('x'), 3 * data(rng, 4, 5)
    y = brick.apply(x)
    assert y.name == '{}_apply_output'.format(brick.name)
    out = evaluate(y, [x], [x_val])
    assert out.shape == (4, 5) and out.dtype == floatX
    assert_allclose(out, function(x_val.astype('float64')),
                    rtol=1e-5, atol=1e-6)


def test_rectifier_and_leaky_rectifier_at_known_points():
    x = tensor.vector('x')
    values = numpy.array([-2., 0., 3.], dtype=floatX)
    assert Rectifier().apply(x).eval({x: values}).tolist() == [0., 0., 3.]
    assert_allclose(LeakyRectifier(leak=0.5).apply(x).eval({x: values}),
                    [-1., 0., 3.])


# Softmax

def test_softmax_apply_and_log_probabilities(rng):
    x, x_val = tensor.matrix('x'), data(rng, 4, 5)
    softmax = Softmax()
    out = evaluate(softmax.apply(x), [x], [x_val])
    assert_allclose(out, numpy_softmax(x_val), rtol=1e-5)
    assert_allclose(out.sum(axis=1), 1., rtol=1e-5)
    log_out = evaluate(softmax.log_probabilities(x), [x], [x_val])
    assert_allclose(log_out, numpy_log_softmax(x_val), rtol=1e-5,
                    atol=1e-6)


def test_softmax_is_stable_for_huge_logits():
    x = tensor.matrix('x')
    x_val = numpy.array([[1000., 0., -1000.], [0., 1000., 1000.]],
                        dtype=floatX)
    softmax = Softmax()
    assert_allclose(evaluate(softmax.apply(x), [x], [x_val]),
                    [[1., 0., 0.], [0., 0.5, 0.5]], atol=1e-7)
    log_out = evaluate(softmax.log_probabilities(x), [x], [x_val])
    assert numpy.isfinite(log_out).all()
    assert_allclose(log_out, [[0., -1000., -2000.],
                              [-1000 - numpy.log(2), -numpy.log(2),
                               -numpy.log(2)]], rtol=1e-5)


def test_softmax_categorical_cross_entropy_with_labels(rng):
    x, y = tensor.matrix('x'), tensor.lvector('y')
    x_val, y_val = data(rng, 4, 5), numpy.array([0, 4, 2, 2])
    cost = Softmax().categorical_cross_entropy(y, x)
    assert cost.name == 'softmax_categorical_cross_entropy_output'
    out = evaluate(cost, [y, x], [y_val, x_val])
    expected = -numpy_log_softmax(x_val)[numpy.arange(4), y_val]
    assert out.shape == (4,)
    assert_allclose(out, expected, rtol=1e-5)


def test_softmax_categorical_cross_entropy_with_distributions(rng):
    x, y = tensor.matrix('x'), tensor.matrix('y')
    x_val = data(rng, 4, 5)
    y_val = numpy_softmax(data(rng, 4, 5)).astype(floatX)
    cost = Softmax().categorical_cross_entropy(y, x)
    out = evaluate(cost, [y, x], [y_val, x_val])
    expected = -(y_val * numpy_log_softmax(x_val)).sum(axis=1)
    assert_allclose(out, expected, rtol=1e-5)


def test_softmax_categorical_cross_entropy_is_stable():
    x, y = tensor.matrix('x'), tensor.lvector('y')
    x_val = numpy.array([[1000., 0.], [0., 1000.]], dtype=floatX)
    y_val = numpy.array([1, 1])
    cost = Softmax().categorical_cross_entropy(y, x)
    gradient = pytensor.grad(cost.sum(), x)
    out, grad = compile_function([y, x], [cost, gradient])(y_val, x_val)
    assert numpy.isfinite(out).all() and numpy.isfinite(grad).all()
    assert_allclose(out, [1000., 0.], rtol=1e-6)
    assert_allclose(grad, [[1., -1.], [0., 0.]], atol=1e-6)


def test_softmax_categorical_cross_entropy_auxiliary_variable():
    x, y = tensor.matrix('x'), tensor.lvector('y')
    cost = Softmax().categorical_cross_entropy(y, x)
    names = [v.name for v in ComputationGraph(cost).auxiliary_variables]
    assert 'log_probabilities' in names


def test_softmax_categorical_cross_entropy_rank_mismatch():
    with pytest.raises(TypeError, match="rank mismatch"):
        Softmax().categorical_cross_entropy(tensor.tensor3('y'),
                                            tensor.matrix('x'))


def test_ndimensional_softmax_extra_ndim(rng):
    x, x_val = tensor.tensor3('x'), data(rng, 2, 3, 4)
    brick = NDimensionalSoftmax()
    out = evaluate(brick.apply(x, extra_ndim=1), [x], [x_val])
    assert out.shape == (2, 3, 4)
    assert_allclose(out, numpy_softmax(x_val), rtol=1e-5)
    log_out = evaluate(brick.log_probabilities(x, extra_ndim=1), [x],
                       [x_val])
    assert_allclose(log_out, numpy_log_softmax(x_val), rtol=1e-5,
                    atol=1e-6)


def test_ndimensional_softmax_two_extra_dimensions(rng):
    x, x_val = tensor.tensor4('x'), data(rng, 2, 3, 4, 5)
    out = evaluate(NDimensionalSoftmax().apply(x, extra_ndim=2), [x],
                   [x_val])
    assert_allclose(out, numpy_softmax(x_val), rtol=1e-5)


def test_ndimensional_softmax_without_extra_ndim_is_a_softmax(rng):
    x, x_val = tensor.matrix('x'), data(rng, 3, 4)
    out = evaluate(NDimensionalSoftmax().apply(x), [x], [x_val])
    assert_allclose(out, numpy_softmax(x_val), rtol=1e-5)


def test_ndimensional_softmax_cross_entropy(rng):
    x, y = tensor.tensor3('x'), tensor.lmatrix('y')
    x_val = data(rng, 2, 3, 4)
    y_val = numpy.array([[0, 1, 3], [2, 2, 0]])
    brick = NDimensionalSoftmax()
    assert brick.categorical_cross_entropy.inputs == ['y', 'x']
    cost = brick.categorical_cross_entropy(y, x, extra_ndim=1)
    out = evaluate(cost, [y, x], [y_val, x_val])
    log_p = numpy_log_softmax(x_val)
    expected = -numpy.take_along_axis(log_p, y_val[..., None], 2)[..., 0]
    assert out.shape == (2, 3)
    assert_allclose(out, expected, rtol=1e-5)
    # Distributions as targets, passed by keyword
    t = tensor.tensor3('t')
    t_val = numpy_softmax(data(rng, 2, 3, 4)).astype(floatX)
    cost = brick.categorical_cross_entropy(y=t, x=x, extra_ndim=1)
    assert_allclose(evaluate(cost, [t, x], [t_val, x_val]),
                    -(t_val * log_p).sum(axis=2), rtol=1e-5)


def test_ndimensional_softmax_rejects_bad_extra_ndim():
    with pytest.raises(ValueError, match="extra_ndim must be a non-negative "
                                         "integer, got -1"):
        NDimensionalSoftmax().apply(tensor.matrix(), extra_ndim=-1)
