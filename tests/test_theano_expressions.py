"""Tests of l2_norm and hessian_times_vector against NumPy."""
import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.theano_expressions import hessian_times_vector, l2_norm
from blocks.utils import shared_floatx

floatX = pytensor.config.floatX


def test_l2_norm():
    rng = numpy.random.default_rng(1234)
    values = [rng.normal(size=shape).astype(floatX)
              for shape in [(3,), (2, 4), ()]]
    variables = [tensor.vector(), tensor.matrix(), tensor.scalar()]
    expected = numpy.sqrt(sum((value ** 2).sum() for value in values))
    norm = l2_norm(variables)
    squared = l2_norm(variables, squared=True)
    givens = dict(zip(variables, values))
    assert_allclose(norm.eval(givens), expected, rtol=1e-5)
    assert_allclose(squared.eval(givens), expected ** 2, rtol=1e-5)
    shared = shared_floatx(values[1])
    assert_allclose(l2_norm([shared, numpy.array([3.], dtype=floatX)]).eval(),
                    numpy.sqrt((values[1] ** 2).sum() + 9), rtol=1e-5)
    with pytest.raises(ValueError, match="at least one tensor"):
        l2_norm([])


@pytest.mark.parametrize('mode', ['FAST_COMPILE', 'FAST_RUN'])
def test_l2_norm_of_many_tensors(mode):
    # A model with more than 31 parameters (the original machine
    # translation example has 37) must get its total gradient norm in
    # FAST_COMPILE, where PyTensor's add of many sums fails in NumPy.
    rng = numpy.random.default_rng(1)
    values = [rng.normal(size=(i % 3 + 1,)).astype(floatX) for i in range(40)]
    variables = [tensor.vector() for _ in values]
    norm = l2_norm(variables)
    function = pytensor.function(
        variables, [norm, pytensor.grad(norm, variables[0])], mode=mode)
    result, gradient = function(*values)
    expected = numpy.sqrt(sum((value ** 2).sum() for value in values))
    assert_allclose(result, expected, rtol=1e-5)
    assert_allclose(gradient, values[0] / expected, rtol=1e-5)


@pytest.mark.parametrize('r_op', [False, True])
def test_hessian_times_vector(r_op):
    rng = numpy.random.default_rng(1234)
    A = rng.normal(size=(4, 4)).astype(floatX)
    A = A + A.T
    b = rng.normal(size=4).astype(floatX)
    x = tensor.vector('x')
    v = tensor.vector('v')
    cost = 0.5 * tensor.dot(x, tensor.dot(A, x)) + tensor.dot(b, x) + \
        tensor.sum(x ** 3)
    gradient = tensor.grad(cost, x)
    hv = hessian_times_vector(gradient, x, v, r_op=r_op)
    x_value = rng.normal(size=4).astype(floatX)
    v_value = rng.normal(size=4).astype(floatX)
    hessian = A + numpy.diag(6 * x_value)
    assert_allclose(hv.eval({x: x_value, v: v_value}), hessian @ v_value,
                    rtol=1e-4, atol=1e-5)
