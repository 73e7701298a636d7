"""Transcendental elementwise nodes computed with NumPy in the C VM."""
import numpy
import pytensor
import pytest
from pytensor import tensor

from blocks.compile.compilation import compile_function
from blocks.compile.numpy_elemwise import runs_in_numpy

pytestmark = pytest.mark.skipif(not pytensor.config.cxx,
                                reason="needs a C++ compiler")

FLOATX = pytensor.config.floatX
RTOL = 1e-5 if FLOATX == 'float32' else 1e-12


def numpy_nodes(function):
    """The nodes of a compiled function that run with NumPy."""
    return [node for node, thunk in zip(function.vm.nodes,
                                        function.vm.thunks)
            if runs_in_numpy(node) and not hasattr(thunk, 'cthunk')]


def random(*shape):
    return numpy.random.RandomState(len(shape)).uniform(
        -2, 2, size=shape).astype(FLOATX)


def test_fused_tanh_with_broadcasting():
    x, b = tensor.matrix('x'), tensor.vector('b')
    f = compile_function([x, b], tensor.tanh(x + b), mode='CVM')
    assert numpy_nodes(f)
    x_value, b_value = random(4, 3), random(3)
    numpy.testing.assert_allclose(f(x_value, b_value),
                                  numpy.tanh(x_value + b_value), rtol=RTOL)


def test_variadic_operations_constants_and_several_outputs():
    x, y, z = tensor.matrix('x'), tensor.matrix('y'), tensor.row('z')
    exponential = tensor.exp(x + y + z)
    outputs = [exponential * 2 - 1, tensor.log1p(abs(exponential)) * 0.5]
    f = compile_function([x, y, z], outputs, mode='CVM')
    assert numpy_nodes(f)
    x_value, y_value, z_value = random(2, 5), random(2, 5), random(1, 5)
    expected = numpy.exp(x_value + y_value + z_value)
    first, second = f(x_value, y_value, z_value)
    numpy.testing.assert_allclose(first, expected * 2 - 1, rtol=RTOL)
    numpy.testing.assert_allclose(second, numpy.log1p(expected) * 0.5,
                                  rtol=RTOL)
    assert first.dtype == second.dtype == FLOATX


def test_results_agree_with_the_c_code_and_do_not_alias_inputs():
    x = tensor.matrix('x')
    outputs = [tensor.exp(x - x.max(axis=1, keepdims=True)), tensor.log(x ** 2 + 1)]
    f = compile_function([x], outputs, mode='CVM')
    g = compile_function([x], outputs, mode='FAST_COMPILE')
    value = random(3, 4)
    for ours, reference in zip(f(value), g(value)):
        numpy.testing.assert_allclose(ours, reference, rtol=RTOL)
        assert not numpy.shares_memory(ours, value)


def test_integer_inputs_are_cast():
    n = tensor.lvector('n')
    f = compile_function([n], tensor.exp(tensor.cast(n, FLOATX) / 2),
                         mode='CVM')
    numpy.testing.assert_allclose(f([0, 2, 4]), numpy.exp([0., 1., 2.]),
                                  rtol=RTOL)


def test_only_transcendental_array_nodes_qualify():
    x, s = tensor.matrix('x'), tensor.scalar('s')
    assert runs_in_numpy(tensor.tanh(x).owner)
    assert not runs_in_numpy((x * 2 + 1).owner)
    assert not runs_in_numpy(tensor.exp(s).owner)
    assert not runs_in_numpy(tensor.sigmoid(x).owner)  # no NumPy ufunc


def test_a_single_operation_and_repeated_calls_reuse_nothing_visible():
    x = tensor.matrix('x')
    f = compile_function([x], tensor.tanh(x), mode='CVM')
    assert numpy_nodes(f)
    first_input, second_input = random(2, 3), random(3, 2)
    third_input = random(2, 3) * 2
    first = f(first_input)
    second = f(second_input)
    numpy.testing.assert_allclose(first, numpy.tanh(first_input), rtol=RTOL)
    numpy.testing.assert_allclose(second, numpy.tanh(second_input),
                                  rtol=RTOL)
    third = f(third_input)
    numpy.testing.assert_allclose(first, numpy.tanh(first_input), rtol=RTOL)
    assert not numpy.shares_memory(first, third)
