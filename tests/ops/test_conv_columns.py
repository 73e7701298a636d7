"""The rewrite sharing a convolution's im2col with its filter gradient."""
import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from blocks.compile import c_kernels
from blocks.compile.compilation import pytensor_mode
from blocks.ops import Conv2d, Conv2dGradWeights, conv2d
from blocks.ops.conv_columns import (Conv2dAndColumns,
                                     Conv2dGradWeightsFromColumns)
from tests.ops.test_conv import CASES, _data, reference_conv2d


def op_types(function):
    return [type(node.op) for node in function.maker.fgraph.toposort()]


def blocks_cvm():
    return pytensor_mode('CVM')


@pytest.fixture(params=['c', 'numpy'])
def kernels(request, monkeypatch):
    if request.param == 'numpy':
        monkeypatch.setenv(c_kernels.ENVIRONMENT_VARIABLE, '0')
    return request.param


def _graph(case, dtype='float64'):
    x, w = pt.tensor4('x', dtype=dtype), pt.tensor4('w', dtype=dtype)
    y = conv2d(x, w, **case)
    gx, gw = pytensor.grad((y ** 2).sum(), [x, w])
    return [x, w], [y, gx, gw]


@pytest.mark.parametrize('case', CASES, ids=str)
def test_rewrite_gives_the_same_numbers(kernels, case):
    image, filters = _data(case)
    inputs, outputs = _graph(case)
    shared = pytensor.function(inputs, outputs, mode=blocks_cvm())
    assert Conv2dAndColumns in op_types(shared)
    assert Conv2dGradWeightsFromColumns in op_types(shared)
    assert Conv2d not in op_types(shared)
    assert Conv2dGradWeights not in op_types(shared)
    plain = pytensor.function(inputs, outputs, mode=blocks_cvm().excluding(
        'blocks_share_conv_columns'))
    assert Conv2dAndColumns not in op_types(plain)
    python = pytensor.function(inputs, outputs, mode='FAST_COMPILE')
    assert Conv2dAndColumns not in op_types(python)
    # Called twice: the second call writes into the same buffers.
    for scale in (1., 2.):
        expected = plain(scale * image, filters)
        results = shared(scale * image, filters)
        for result, other, reference in zip(
                results, expected, python(scale * image, filters)):
            assert result.shape == other.shape and result.dtype == other.dtype
            numpy.testing.assert_allclose(result, other, rtol=1e-12,
                                          atol=1e-12)
            numpy.testing.assert_allclose(result, reference, rtol=1e-12,
                                          atol=1e-12)
        numpy.testing.assert_allclose(
            results[0], reference_conv2d(scale * image, filters, **case),
            rtol=1e-10, atol=1e-10)


def test_float32_and_a_second_derivative():
    case = dict(border_mode='half', num_groups=2, subsample=(2, 1))
    image, filters = _data(case, 'float32')
    x, w = pt.tensor4('x', dtype='float32'), pt.tensor4('w', dtype='float32')
    y = conv2d(x, w, **case)
    gx, gw = pytensor.grad((y ** 2).sum(), [x, w])
    # The gradient of gx with respect to w has a Conv2d and a
    # Conv2dGradWeights of the cotangent of gx, and a second
    # Conv2dGradWeights of x: three filter gradients from the columns of
    # two convolutions.
    ggw = pytensor.grad((gx ** 2).sum(), w)
    outputs = [y, gx, gw, ggw]
    shared = pytensor.function([x, w], outputs, mode=blocks_cvm())
    types = op_types(shared)
    assert types.count(Conv2dGradWeightsFromColumns) == 3
    assert types.count(Conv2dAndColumns) == 2
    assert Conv2d not in types and Conv2dGradWeights not in types
    python = pytensor.function([x, w], outputs, mode='FAST_COMPILE')
    for result, expected in zip(shared(image, filters),
                                python(image, filters)):
        assert result.dtype == 'float32'
        numpy.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


def test_mixed_dtypes():
    image, filters = _data({})
    x = pt.tensor4('x', dtype='float32')
    w = pt.tensor4('w', dtype='float64')
    y = conv2d(x, w)
    gw = pytensor.grad((y ** 2).sum(), w)
    shared = pytensor.function([x, w], [y, gw], mode=blocks_cvm())
    assert Conv2dAndColumns in op_types(shared)
    python = pytensor.function([x, w], [y, gw], mode='FAST_COMPILE')
    image = image.astype('float32')
    for result, expected in zip(shared(image, filters),
                                python(image, filters)):
        assert result.dtype == expected.dtype == 'float64'
        numpy.testing.assert_allclose(result, expected, rtol=1e-12)


def test_other_kernel_sizes_and_images_are_left_alone():
    x, z = pt.tensor4('x'), pt.tensor4('z')
    w = pt.tensor4('w', shape=(2, 2, 3, 3))
    v = pt.tensor4('v', shape=(2, 2, 2, 2))
    y = conv2d(x, w)
    # The filter gradient of another image, and of other filters' size.
    gradient = Conv2dGradWeights()(z, y, w)
    other = Conv2dGradWeights()(x, conv2d(x, v), v)
    function = pytensor.function([x, z, w, v], [y, gradient, other],
                                 mode=blocks_cvm())
    types = op_types(function)
    assert types.count(Conv2dGradWeights) == 1
    assert types.count(Conv2dGradWeightsFromColumns) == 1
    rng = numpy.random.default_rng(0)
    values = [rng.normal(size=(2, 2, 6, 6)), rng.normal(size=(2, 2, 6, 6)),
              rng.normal(size=(2, 2, 3, 3)), rng.normal(size=(2, 2, 2, 2))]
    python = pytensor.function([x, z, w, v], [y, gradient, other],
                               mode='FAST_COMPILE')
    for result, expected in zip(function(*values), python(*values)):
        numpy.testing.assert_allclose(result, expected, rtol=1e-12)


def test_not_in_the_jax_mode():
    pytest.importorskip('jax')
    case = dict(border_mode='full', subsample=(2, 1))
    image, filters = _data(case)
    inputs, outputs = _graph(case)
    function = pytensor.function(inputs, outputs, mode='JAX')
    assert Conv2dAndColumns not in op_types(function)
    assert Conv2d in op_types(function)
    python = pytensor.function(inputs, outputs, mode='FAST_COMPILE')
    for result, expected in zip(function(image, filters),
                                python(image, filters)):
        numpy.testing.assert_allclose(numpy.asarray(result), expected,
                                      rtol=1e-9, atol=1e-9)
