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
