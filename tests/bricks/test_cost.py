"""Cost bricks against NumPy, and their numerical stability."""
import pickle
import warnings

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor
from pytensor.tensor.special import softmax

from blocks.bricks import Linear, Logistic, MLP, NDimensionalSoftmax, Softmax
from blocks.bricks import Tanh
from blocks.bricks.cost import (AbsoluteError, BinaryCrossEntropy,
                                CategoricalCrossEntropy,
                                MisclassificationRate, SquaredError)
from blocks.initialization import Constant
from blocks.utils import compile_function

floatX = pytensor.config.floatX
# The stability tests are about PyTensor's fast-compiling mode, which skips
# the rewrites that would otherwise stabilise log(softmax(x)).
MODE = 'FAST_COMPILE'


@pytest.fixture
def rng():
    return numpy.random.default_rng(99)


def data(rng, *shape):
    return rng.normal(size=shape).astype(floatX)


def numpy_log_softmax(x):
    x = x.astype('float64')
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1,
                                                      keepdims=True))


def run(inputs, outputs, *values):
    return compile_function(inputs, outputs, mode=MODE)(*values)


HUGE_LOGITS = numpy.array([[1000., 0., -1000.], [0., 1000., 0.],
                           [-1000., -1000., 1000.]])
HUGE_LABELS = numpy.array([1, 1, 0])


def expected_huge_cost():
    log_p = numpy_log_softmax(HUGE_LOGITS)
    return -log_p[numpy.arange(3), HUGE_LABELS].mean()


def expected_huge_gradient():
    one_hot = numpy.eye(3)[HUGE_LABELS]
    return (numpy.exp(numpy_log_softmax(HUGE_LOGITS)) - one_hot) / 3


# CategoricalCrossEntropy

def test_categorical_cross_entropy_with_labels(rng):
    x, y = tensor.matrix('x'), tensor.lvector('y')
    x_val, y_val = data(rng, 5, 4), numpy.array([0, 3, 1, 1, 2])
    cost = CategoricalCrossEntropy().apply(y, softmax(x, axis=-1))
    assert cost.name == 'categoricalcrossentropy_apply_cost'
    assert cost.ndim == 0
    expected = -numpy_log_softmax(x_val)[numpy.arange(5), y_val].mean()
    assert_allclose(run([x, y], cost, x_val, y_val), expected, rtol=1e-5)


def test_categorical_cross_entropy_with_one_hot_targets(rng):
    x, t = tensor.matrix('x'), tensor.matrix('t')
    x_val = data(rng, 5, 4)
    t_val = numpy.eye(4, dtype=floatX)[[0, 3, 1, 1, 2]]
    cost = CategoricalCrossEntropy().apply(t, softmax(x, axis=-1))
    expected = -(t_val * numpy_log_softmax(x_val)).sum(axis=1).mean()
    assert_allclose(run([x, t], cost, x_val, t_val), expected, rtol=1e-5)


def test_categorical_cross_entropy_with_probabilities(rng):
    p, y = tensor.matrix('p'), tensor.lvector('y')
    p_val = numpy.array([[.2, .8], [.6, .4], [.5, .5]], dtype=floatX)
    y_val = numpy.array([1, 0, 0])
    cost = CategoricalCrossEntropy().apply(y, p)
    expected = -numpy.log([.8, .6, .5]).mean()
    assert_allclose(run([p, y], cost, p_val, y_val), expected, rtol=1e-5)


def stable_cross_entropy_cases():
    """The ways a softmax reaches the cost: op, brick, MLP, N-d brick."""
    mlp = MLP([Softmax()], [3, 3], weights_init=Constant(0.),
              biases_init=Constant(0.), use_bias=False)
    mlp.initialize()
    mlp.linear_transformations[0].W.set_value(numpy.eye(3, dtype=floatX))
    return [
        ('softmax op', lambda x: softmax(x, axis=-1)),
        ('Softmax brick', lambda x: Softmax().apply(x)),
        ('MLP', mlp.apply),
        ('NDimensionalSoftmax', lambda x: NDimensionalSoftmax().apply(x)),
    ]


@pytest.mark.parametrize('case', range(4))
def test_categorical_cross_entropy_is_stable_on_huge_logits(case):
    name, make_probabilities = stable_cross_entropy_cases()[case]
    x, y = tensor.matrix('x'), tensor.lvector('y')
    cost = CategoricalCrossEntropy().apply(y, make_probabilities(x))
    gradient = pytensor.grad(cost, x)
    value, grad = run([x, y], [cost, gradient],
                      HUGE_LOGITS.astype(floatX), HUGE_LABELS)
    assert numpy.isfinite(value), name
    assert numpy.isfinite(grad).all(), name
    assert_allclose(value, expected_huge_cost(), rtol=1e-5)
    assert_allclose(grad, expected_huge_gradient(), atol=1e-6)


def test_categorical_cross_entropy_one_hot_is_stable_on_huge_logits():
    x, t = tensor.matrix('x'), tensor.matrix('t')
    t_val = numpy.eye(3, dtype=floatX)[HUGE_LABELS]
    cost = CategoricalCrossEntropy().apply(t, Softmax().apply(x))
    gradient = pytensor.grad(cost, x)
    value, grad = run([x, t], [cost, gradient], HUGE_LOGITS.astype(floatX),
                      t_val)
    assert numpy.isfinite(value) and numpy.isfinite(grad).all()
    assert_allclose(value, expected_huge_cost(), rtol=1e-5)
    assert_allclose(grad, expected_huge_gradient(), atol=1e-6)


def test_categorical_cross_entropy_gradient_reaches_the_weights():
    linear = Linear(3, 3, weights_init=Constant(0.), biases_init=Constant(0.))
    linear.initialize()
    linear.W.set_value(1000 * numpy.eye(3, dtype=floatX))
    x, y = tensor.matrix('x'), tensor.lvector('y')
    cost = CategoricalCrossEntropy().apply(y, Softmax().apply(
        linear.apply(x)))
    grads = pytensor.grad(cost, [linear.W, linear.b])
    values = run([x, y], [cost] + grads, numpy.eye(3, dtype=floatX),
                 numpy.array([1, 1, 2]))
    assert all(numpy.isfinite(v).all() for v in values)
    assert_allclose(values[0], 1000 / 3, rtol=1e-5)


def test_categorical_cross_entropy_rank_mismatch():
    with pytest.raises(TypeError, match="rank mismatch"):
        CategoricalCrossEntropy().apply(tensor.tensor3('y'),
                                        tensor.matrix('y_hat'))


# BinaryCrossEntropy

def test_binary_cross_entropy_matches_numpy(rng):
    p, t = tensor.matrix('p'), tensor.matrix('t')
    p_val = rng.uniform(0.05, 0.95, size=(4, 3)).astype(floatX)
    t_val = (rng.uniform(size=(4, 3)) > 0.5).astype(floatX)
    cost = BinaryCrossEntropy().apply(t, p)
    assert cost.name == 'binarycrossentropy_apply_cost'
    p64 = p_val.astype('float64')
    expected = -(t_val * numpy.log(p64) +
                 (1 - t_val) * numpy.log(1 - p64)).sum(axis=1).mean()
    assert_allclose(run([p, t], cost, p_val, t_val), expected, rtol=1e-5)


def test_binary_cross_entropy_after_logistic_matches_numpy(rng):
    x, t = tensor.matrix('x'), tensor.matrix('t')
    x_val = data(rng, 4, 3)
    t_val = (rng.uniform(size=(4, 3)) > 0.5).astype(floatX)
    cost = BinaryCrossEntropy().apply(t, Logistic().apply(x))
    p = 1 / (1 + numpy.exp(-x_val.astype('float64')))
    expected = -(t_val * numpy.log(p) +
                 (1 - t_val) * numpy.log(1 - p)).sum(axis=1).mean()
    assert_allclose(run([x, t], cost, x_val, t_val), expected, rtol=1e-5)


@pytest.mark.parametrize('use_brick', [True, False])
def test_binary_cross_entropy_is_stable_after_logistic(use_brick):
    x, t = tensor.matrix('x'), tensor.matrix('t')
    probabilities = Logistic().apply(x) if use_brick else tensor.sigmoid(x)
    cost = BinaryCrossEntropy().apply(t, probabilities)
    gradient = pytensor.grad(cost, x)
    x_val = numpy.array([[100., -100.], [-100., 100.]], dtype=floatX)
    t_val = numpy.array([[0., 1.], [0., 1.]], dtype=floatX)
    value, grad = run([x, t], [cost, gradient], x_val, t_val)
    assert numpy.isfinite(value) and numpy.isfinite(grad).all()
    assert_allclose(value, 100., rtol=1e-5)
    assert_allclose(grad, [[0.5, -0.5], [0., 0.]], atol=1e-6)


# AbsoluteError, SquaredError

def test_absolute_error_matches_numpy(rng):
    y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    y_val, y_hat_val = data(rng, 5, 3), data(rng, 5, 3)
    cost = AbsoluteError().apply(y, y_hat)
    assert cost.name == 'absoluteerror_apply_cost'
    assert_allclose(run([y, y_hat], cost, y_val, y_hat_val),
                    abs(y_val - y_hat_val).sum(axis=1).mean(), rtol=1e-5)


def test_squared_error_matches_numpy(rng):
    y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    y_val, y_hat_val = data(rng, 5, 3), data(rng, 5, 3)
    cost = SquaredError().apply(y, y_hat)
    assert cost.name == 'squarederror_apply_cost'
    assert_allclose(run([y, y_hat], cost, y_val, y_hat_val),
                    ((y_val - y_hat_val) ** 2).sum(axis=1).mean(), rtol=1e-5)


def test_cost_matrix_application():
    y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    matrix = SquaredError().cost_matrix(y, y_hat)
    out = run([y, y_hat], matrix, numpy.ones((2, 2), dtype=floatX),
              numpy.zeros((2, 2), dtype=floatX))
    assert out.tolist() == [[1., 1.], [1., 1.]]


def test_costs_do_not_warn_about_children():
    y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        SquaredError().apply(y, Tanh().apply(y_hat))


# MisclassificationRate

def test_misclassification_rate_top_1(rng):
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    y_hat_val = data(rng, 20, 5)
    y_val = rng.integers(0, 5, size=20)
    rate = MisclassificationRate().apply(y, y_hat)
    assert rate.name == 'misclassificationrate_apply_error_rate'
    out = run([y, y_hat], rate, y_val, y_hat_val)
    assert out.dtype == floatX
    assert_allclose(out, (y_hat_val.argmax(axis=1) != y_val).mean(),
                    rtol=1e-6)


def test_misclassification_rate_top_2():
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    y_hat_val = numpy.array([[.1, .5, .4],    # label 2: second, right
                             [.1, .5, .4],    # label 0: third, wrong
                             [.6, .3, .1],    # label 0: first, right
                             [.3, .2, .5]],   # label 1: third, wrong
                            dtype=floatX)
    y_val = numpy.array([2, 0, 0, 1])
    rate = MisclassificationRate(top_k=2).apply(y, y_hat)
    assert_allclose(run([y, y_hat], rate, y_val, y_hat_val), 0.5)


def test_misclassification_rate_top_k_ties_are_pessimistic():
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    y_hat_val = numpy.array([[.3, .3, .3, .1],   # 3-way tie for first
                             [.4, .3, .3, .0],   # tie for second place
                             [.4, .3, .2, .1],   # clear second place
                             [.25, .25, .25, .25]],
                            dtype=floatX)
    y_val = numpy.array([0, 1, 1, 3])
    rate = MisclassificationRate(top_k=2).apply(y, y_hat)
    # Only the clear second place counts as a correct top-2 prediction
    assert_allclose(run([y, y_hat], rate, y_val, y_hat_val), 0.75)
    rate = MisclassificationRate(top_k=3).apply(y, y_hat)
    # With k=3 the 3-way tie and the tie for second are fine
    assert_allclose(run([y, y_hat], rate, y_val, y_hat_val), 0.25)


@pytest.mark.parametrize('top_k', [0, -1, 1.5, '2'])
def test_misclassification_rate_rejects_bad_top_k(top_k):
    with pytest.raises(ValueError, match="top_k must be a positive "
                                         "integer, got"):
        MisclassificationRate(top_k=top_k)


def test_misclassification_rate_of_a_checkpoint_without_top_k():
    # Blocks' checkpoints that predate top_k load as top-1 error rates.
    rate = MisclassificationRate()
    del rate.top_k
    rate = pickle.loads(pickle.dumps(rate))
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    y_hat_val = numpy.array([[.7, .3], [.6, .4], [.2, .8]], dtype=floatX)
    assert_allclose(run([y, y_hat], rate.apply(y, y_hat), [0, 1, 1],
                        y_hat_val), 1 / 3.)


def test_misclassification_rate_takes_numpy_integers():
    y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    rate = MisclassificationRate(top_k=numpy.int64(2)).apply(y, y_hat)
    y_hat_val = numpy.array([[.5, .3, .2], [.5, .3, .2]], dtype=floatX)
    assert_allclose(run([y, y_hat], rate, [1, 2], y_hat_val), .5)
