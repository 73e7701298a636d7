"""im2col / col2im: the C kernels against the NumPy code and a definition."""
import itertools

import numpy
import pytest

from blocks.compile import c_kernels
from blocks.ops import im2col as im2col_module
from blocks.ops.im2col import col2im, im2col

needs_kernels = pytest.mark.skipif(
    im2col_module._kernel('im2col', 'float64') is None,
    reason='no C compiler for the kernels')

# (image shape, kernel, padding, subsample, dilation)
GEOMETRIES = [
    ((2, 3, 7, 6), (3, 2), ((0, 0), (0, 0)), (1, 1), (1, 1)),
    ((2, 3, 7, 6), (3, 3), ((2, 1), (0, 3)), (1, 1), (1, 1)),
    ((1, 2, 9, 8), (3, 2), ((1, 1), (2, 2)), (2, 3), (1, 1)),
    ((3, 1, 9, 9), (2, 3), ((0, 2), (1, 0)), (1, 2), (2, 2)),
    ((2, 2, 5, 5), (5, 5), ((4, 4), (4, 4)), (1, 1), (1, 1)),  # 'full'
    ((1, 1, 4, 4), (1, 1), ((3, 3), (0, 0)), (3, 1), (1, 1)),
    # Rows of 19: the C col2im adds 32 bytes at a time, then the rest.
    ((2, 2, 6, 21), (3, 3), ((0, 0), (0, 0)), (1, 1), (1, 1)),
]


def output_size(image_shape, kernel, padding, subsample, dilation):
    return tuple(
        (size + before + after - (k - 1) * d - 1) // s + 1
        for size, k, (before, after), s, d in zip(
            image_shape[2:], kernel, padding, subsample, dilation))


def reference_columns(image, kernel, padding, subsample, dilation):
    """The definition, one element at a time."""
    batch, channels, height, width = image.shape
    out = output_size(image.shape, kernel, padding, subsample, dilation)
    columns = numpy.zeros((channels,) + kernel + (batch,) + out, image.dtype)
    for c, i, j, b, r, s in itertools.product(
            range(channels), range(kernel[0]), range(kernel[1]),
            range(batch), range(out[0]), range(out[1])):
        y = r * subsample[0] + i * dilation[0] - padding[0][0]
        x = s * subsample[1] + j * dilation[1] - padding[1][0]
        if 0 <= y < height and 0 <= x < width:
            columns[c, i, j, b, r, s] = image[b, c, y, x]
    return columns


@pytest.fixture(params=['c', 'numpy'])
def kernels(request, monkeypatch):
    if request.param == 'numpy':
        monkeypatch.setenv(c_kernels.ENVIRONMENT_VARIABLE, '0')
    elif im2col_module._kernel('im2col', 'float64') is None:
        pytest.skip('no C compiler for the kernels')
    return request.param


@pytest.mark.parametrize('geometry', GEOMETRIES)
@pytest.mark.parametrize('dtype', ['float32', 'float64', 'int32'])
def test_im2col_is_the_definition(kernels, geometry, dtype):
    shape, kernel, padding, subsample, dilation = geometry
    image = numpy.random.default_rng(0).normal(size=shape) * 10
    image = image.astype(dtype)
    out = output_size(shape, kernel, padding, subsample, dilation)
    columns = im2col(image, kernel, out, padding, subsample, dilation)
    assert columns.flags.c_contiguous and columns.dtype == image.dtype
    numpy.testing.assert_array_equal(
        columns, reference_columns(image, kernel, padding, subsample,
                                   dilation))


@pytest.mark.parametrize('geometry', GEOMETRIES)
def test_im2col_reads_any_strides(kernels, geometry):
    shape, kernel, padding, subsample, dilation = geometry
    base = numpy.random.default_rng(1).normal(
        size=(shape[3] * 2, shape[2], shape[1], shape[0]))
    image = base[::2].transpose(3, 2, 1, 0)[:, :, ::-1]
    assert image.shape == shape and not image.flags.c_contiguous
    out = output_size(shape, kernel, padding, subsample, dilation)
    numpy.testing.assert_array_equal(
        im2col(image, kernel, out, padding, subsample, dilation),
        reference_columns(image, kernel, padding, subsample, dilation))


@pytest.mark.parametrize('geometry', GEOMETRIES)
def test_col2im_is_the_adjoint(kernels, geometry):
    shape, kernel, padding, subsample, dilation = geometry
    rng = numpy.random.default_rng(2)
    image = rng.normal(size=shape)
    out = output_size(shape, kernel, padding, subsample, dilation)
    columns = rng.normal(size=(shape[1],) + kernel + (shape[0],) + out)
    back = col2im(columns, shape[2:], padding, subsample, dilation)
    assert back.shape == shape and back.flags.c_contiguous
    forward = im2col(image, kernel, out, padding, subsample, dilation)
    numpy.testing.assert_allclose((forward * columns).sum(),
                                  (image * back).sum(), rtol=1e-12)


@needs_kernels
@pytest.mark.parametrize('geometry', GEOMETRIES)
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_c_and_numpy_col2im_are_bit_identical(monkeypatch, geometry, dtype):
    shape, kernel, padding, subsample, dilation = geometry
    out = output_size(shape, kernel, padding, subsample, dilation)
    columns = numpy.random.default_rng(3).normal(
        size=(shape[1],) + kernel + (shape[0],) + out).astype(dtype)
    with_c = col2im(columns, shape[2:], padding, subsample, dilation)
    monkeypatch.setenv(c_kernels.ENVIRONMENT_VARIABLE, '0')
    with_numpy = col2im(columns, shape[2:], padding, subsample, dilation)
    assert with_c.dtype == with_numpy.dtype == dtype
    assert with_c.tobytes() == with_numpy.tobytes()


def test_im2col_writes_into_out(kernels):
    image = numpy.arange(2 * 1 * 4 * 4, dtype='float64').reshape(2, 1, 4, 4)
    out = numpy.full((1, 2, 2, 2, 3, 3), numpy.nan)
    result = im2col(image, (2, 2), (3, 3), ((0, 0), (0, 0)), out=out)
    assert result is out
    numpy.testing.assert_array_equal(
        out, reference_columns(image, (2, 2), ((0, 0), (0, 0)), (1, 1),
                               (1, 1)))


def test_im2col_rejects_a_wrong_out():
    image = numpy.zeros((2, 1, 4, 4))
    with pytest.raises(ValueError, match=r'out must be a contiguous float64 '
                                         r'array of shape \(1, 2, 2, 2, 3, 3\)'):
        im2col(image, (2, 2), (3, 3), ((0, 0), (0, 0)),
               out=numpy.zeros((1, 2, 2, 2, 3, 3), 'float32'))


@pytest.mark.parametrize('geometry', [GEOMETRIES[1], GEOMETRIES[-1]])
def test_col2im_writes_into_out(kernels, geometry):
    shape, kernel, padding, subsample, dilation = geometry
    out = output_size(shape, kernel, padding, subsample, dilation)
    columns = numpy.random.default_rng(4).normal(
        size=(shape[1],) + kernel + (shape[0],) + out)
    into = numpy.full(shape, numpy.nan)
    result = col2im(columns, shape[2:], padding, subsample, dilation,
                    out=into)
    assert result is into
    numpy.testing.assert_array_equal(
        into, col2im(columns, shape[2:], padding, subsample, dilation))


def test_col2im_rejects_a_wrong_out():
    columns = numpy.zeros((1, 2, 2, 2, 3, 3))
    with pytest.raises(ValueError, match=r'out must be a contiguous float64 '
                                         r'array of shape \(2, 1, 4, 4\)'):
        col2im(columns, (4, 4), ((0, 0), (0, 0)),
               out=numpy.zeros((2, 1, 4, 4))[:, :, ::-1])
