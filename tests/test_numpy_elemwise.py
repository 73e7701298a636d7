"""Transcendental elementwise nodes computed with NumPy in the C VM."""
import warnings

import numpy
import pytensor
import pytest
from pytensor import tensor
from pytensor.compile.mode import Mode
from pytensor.link.vm import VMLinker

from blocks.compile.compilation import compile_function
from blocks.compile.numpy_elemwise import (c_arithmetic_type, computes_like_c,
                                           runs_in_numpy)

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
    outputs = [exponential / 2 - 1, tensor.tanh(exponential) * 0.5]
    f = compile_function([x, y, z], outputs, mode='CVM')
    assert numpy_nodes(f)
    x_value, y_value, z_value = random(2, 5), random(2, 5), random(1, 5)
    expected = numpy.exp(x_value + y_value + z_value)
    first, second = f(x_value, y_value, z_value)
    numpy.testing.assert_allclose(first, expected / 2 - 1, rtol=RTOL)
    numpy.testing.assert_allclose(second, numpy.tanh(expected) * 0.5,
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


def test_only_transcendental_array_nodes_and_scalar_nodes_qualify():
    x, s = tensor.matrix('x'), tensor.scalar('s')
    assert runs_in_numpy(tensor.tanh(x).owner)
    assert not runs_in_numpy((x * 2 + 1).owner)
    assert runs_in_numpy(tensor.exp(s).owner)  # 0-d: no C module needed
    assert runs_in_numpy((x.shape[0] * 2).owner)
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


# The cases of issue 19: each differed from PyTensor's C VM before.

def c_vm():
    """PyTensor's own C VM: the reference of the default mode."""
    return Mode(linker=VMLinker(use_cloop=True), optimizer='fast_run')


def both(inputs, outputs, *values, in_numpy=True):
    """The results of the default mode and of PyTensor's C VM, the
    default mode's raising on any warning."""
    ours = compile_function(inputs, outputs, mode='CVM')
    assert bool(numpy_nodes(ours)) == in_numpy
    reference = compile_function(inputs, outputs, mode=c_vm())
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        result = ours(*values)
    return result, reference(*values)


def assert_same(ours, reference, ulps=0):
    """Same dtype, shape and values; to `ulps` units in the last place for
    transcendental functions (NumPy's versions and the C library's round
    differently)."""
    assert ours.dtype == reference.dtype and ours.shape == reference.shape
    if ulps == 0:
        numpy.testing.assert_array_equal(ours, reference)
        return
    numpy.testing.assert_array_equal(numpy.isfinite(ours),
                                     numpy.isfinite(reference))
    finite = numpy.isfinite(reference)
    spacing = numpy.spacing(numpy.abs(reference[finite]))
    assert numpy.all(numpy.abs(ours[finite] - reference[finite]) <=
                     ulps * spacing)


def test_small_integers_and_booleans_are_not_computed_in_float16():
    u, i = tensor.matrix('u', dtype='uint8'), tensor.vector('i', dtype='int8')
    ours, reference = both([u], tensor.exp(u), numpy.array([[1, 12]], 'uint8'))
    assert_same(ours, reference, ulps=4)  # NumPy's expf vs the C library's
    numpy.testing.assert_allclose(ours, [[numpy.e, numpy.exp(12.)]],
                                  rtol=1e-6)
    ours, reference = both([i], tensor.tanh(i),
                           numpy.array([-3, 1, 2], 'int8'))
    assert_same(ours, reference, ulps=4)
    numpy.testing.assert_allclose(ours, numpy.tanh([-3., 1., 2.]), rtol=1e-6)
    x = tensor.matrix('x', dtype='float64')
    ours, reference = both([x], tensor.exp(x > 0), numpy.ones((2, 2)))
    assert_same(ours, reference, ulps=4)
    numpy.testing.assert_allclose(ours, numpy.e, rtol=1e-6)


def test_integer_reciprocal_divides_in_floating_point():
    x, j = tensor.matrix('x', dtype='float64'), tensor.imatrix('j')
    ours, reference = both([x, j], tensor.tanh(x) + tensor.reciprocal(j),
                           numpy.zeros((1, 3)),
                           numpy.array([[2, 3, 4]], 'int32'))
    assert_same(ours, reference)
    numpy.testing.assert_allclose(ours, [[0.5, 1 / 3., 0.25]])


def test_booleans_add_as_integers():
    x = tensor.matrix('x', dtype='float64')
    ours, reference = both([x], tensor.exp((x > 0) + (x > 0) + x),
                           numpy.ones((1, 1)))
    assert_same(ours, reference, ulps=4)
    numpy.testing.assert_allclose(ours, numpy.exp(3.))


def test_runtime_broadcasting_raises_as_in_c():
    x, y = tensor.matrix('x', dtype='float64'), tensor.matrix('y', dtype='float64')
    outputs = tensor.tanh(x) + y
    ours = compile_function([x, y], outputs, mode='CVM')
    reference = compile_function([x, y], outputs, mode=c_vm())
    assert numpy_nodes(ours)
    for function in (ours, reference):
        with pytest.raises(ValueError, match='Runtime broadcasting not allowed'):
            function(numpy.zeros((1, 3)), numpy.zeros((2, 3)))
        with pytest.raises(ValueError):
            function(numpy.zeros((3, 3)), numpy.zeros((2, 3)))
        assert function(numpy.zeros((0, 3)), numpy.zeros((0, 3))).shape == (0, 3)


def test_floating_point_warnings_are_silent():
    x = tensor.matrix('x', dtype='float64')
    ours, reference = both([x], [tensor.log(x), tensor.exp(x * 1000.)],
                           numpy.array([[0., -1.]]))
    for mine, theirs in zip(ours, reference):
        assert_same(mine, theirs)
    assert numpy.isneginf(ours[0][0, 0]) and numpy.isnan(ours[0][0, 1])


def test_what_numpy_computes_differently_is_left_to_the_c_code():
    x = tensor.matrix('x', dtype='float64')
    floor = tensor.tanh(x) + (x + 1.) // 0.1
    ours, reference = both([x], floor, numpy.zeros((1, 1)), in_numpy=False)
    assert_same(ours, reference)
    assert ours[0, 0] == 10.
    assert not computes_like_c(((x + 1.) // 0.1).owner)
    j, k = tensor.imatrix('j'), tensor.imatrix('k')
    power = tensor.tanh(x) + j ** k
    assert not computes_like_c((j ** k).owner)
    ours, reference = both([x, j, k], power, numpy.zeros((1, 2)),
                           numpy.array([[2, 3]], 'int32'),
                           numpy.array([[-1, -2]], 'int32'), in_numpy=False)
    assert_same(ours, reference)
    # GCC fuses ``a * b + c`` into one multiply-add that NumPy cannot do.
    y = tensor.matrix('y', dtype='float64')
    value = numpy.full((1, 1), 1 + 2. ** -30)
    ours, reference = both([x, y], tensor.exp(x * y - 1.), value, 2 - value,
                           in_numpy=False)
    assert_same(ours, reference)
    ours, reference = both([x], tensor.exp(x * 0.5 - 1.), value)  # exact
    assert_same(ours, reference, ulps=4)


def test_operations_compute_in_c_types():
    assert c_arithmetic_type('uint8', 'bool') == 'int32'
    assert c_arithmetic_type('int64', 'uint32') == 'int64'
    assert c_arithmetic_type('int64', 'uint64') == 'uint64'
    assert c_arithmetic_type('int64', 'float32', 'float64') == 'float64'
    f32, i32 = tensor.matrix('f', dtype='float32'), tensor.imatrix('i')
    big = numpy.array([[16777217, 3]], 'int32')
    # int32 + float32 adds in float32 in C (the output is float64).
    ours, reference = both([f32, i32], [tensor.exp(f32) + i32,
                                        tensor.tanh(f32) * 0.1,
                                        tensor.maximum(tensor.exp(f32), -0.)],
                           numpy.zeros((1, 2), 'float32'), big)
    for mine, theirs in zip(ours, reference):
        assert_same(mine, theirs)
    assert ours[0][0, 0] == 16777216.  # 1 + 16777217 rounded to float32


def test_scalar_nodes_compute_as_in_c():
    import pytensor.scalar as ps
    a, b = ps.float32('a'), ps.int32('b')
    outputs = [ps.exp(a) + b, ps.true_div(b, b), ps.reciprocal(b), a * 0.1,
               ps.maximum(a, b), ps.minimum(a, b), ps.switch(a, a, b)]
    ours = compile_function([a, b], outputs, mode='CVM')
    assert all(runs_in_numpy(node) and not hasattr(thunk, 'cthunk')
               for node, thunk in zip(ours.vm.nodes, ours.vm.thunks))
    reference = compile_function([a, b], outputs, mode=c_vm())
    for values in [(numpy.float32(1.5), numpy.int32(16777217)),
                   (numpy.float32(-0.), numpy.int32(0)),
                   (numpy.float32(numpy.nan), numpy.int32(-3))]:
        mine, theirs = ours(*values), reference(*values)
        for index, (first, second) in enumerate(zip(mine, theirs)):
            assert_same(numpy.asarray(first), numpy.asarray(second),
                        ulps=4 if index == 0 else 0)
    # maximum(1.5, 16777217) compares in float32 but returns the int32 as a
    # double: 16777217, where a float32 maximum would give 16777216.
    assert ours(numpy.float32(1.5), numpy.int32(16777217))[4] == 16777217
