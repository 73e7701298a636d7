"""The direct input gradient of a convolution (blocks.ops.direct) against
the definition, and Conv2dGradInputs using it where it applies."""
import numpy
import pytest

from blocks.compile import c_kernels
from blocks.ops import direct
from blocks.ops.conv import Conv2dGradInputs


def definition(filters, output_grad, image_size, flip):
    """gradient[b, c, r + i, s + j] += g[b, f, r, s] * w[f, c, i, j]."""
    applied = filters[:, :, ::-1, ::-1] if flip else filters
    batch, _, out_rows, out_cols = output_grad.shape
    gradient = numpy.zeros((batch, filters.shape[1]) + tuple(image_size))
    for i in range(filters.shape[2]):
        for j in range(filters.shape[3]):
            gradient[:, :, i:i + out_rows, j:j + out_cols] += numpy.einsum(
                'bfrs,fc->bcrs', output_grad.astype('float64'),
                applied[:, :, i, j].astype('float64'))
    return gradient


def perform(op, filters, output_grad, image):
    class Node:
        outputs = [type('Output', (), {'dtype': output_grad.dtype})]
    storage = [[None]]
    op.perform(Node, [filters, output_grad, image], storage)
    return storage[0][0]


# (batch, channels, height, width, filters, kernel): output widths that
# are and are not multiples of the kernel's four positions.
SHAPES = [(4, 32, 12, 12, 64, 5), (2, 32, 6, 11, 7, 2), (3, 64, 5, 13, 3, 4),
          (1, 16, 3, 3, 5, 3)]


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('flip', [True, False])
def test_the_direct_input_gradient_is_the_definition(dtype, shape, flip):
    batch, channels, height, width, filters, kernel = shape
    lanes = 64 // numpy.dtype(dtype).itemsize
    applies = direct.applies(dtype, channels, ((0, 0), (0, 0)), (1, 1),
                             (1, 1), 1)
    assert applies == (channels % (2 * lanes) == 0 and
                       c_kernels.enabled())
    rng = numpy.random.RandomState(0)
    weights = rng.normal(size=(filters, channels, kernel, kernel))
    output_grad = rng.normal(size=(batch, filters, height - kernel + 1,
                                   width - kernel + 1))
    weights, output_grad = weights.astype(dtype), output_grad.astype(dtype)
    op = Conv2dGradInputs(filter_flip=flip)
    result = perform(op, weights, output_grad,
                     numpy.zeros((batch, channels, height, width), dtype))
    assert result.dtype == dtype and result.flags.c_contiguous
    tolerance = 1e-4 if dtype == 'float32' else 1e-12
    numpy.testing.assert_allclose(
        result, definition(weights, output_grad, (height, width), flip),
        rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_the_direct_and_column_paths_agree(monkeypatch, dtype):
    # The same sums in the same order as the matrix product and col2im.
    rng = numpy.random.RandomState(1)
    weights = rng.normal(size=(64, 32, 5, 5)).astype(dtype)
    output_grad = rng.normal(size=(8, 64, 8, 8)).astype(dtype)
    image = numpy.zeros((8, 32, 12, 12), dtype)
    op = Conv2dGradInputs()
    fast = perform(op, weights, output_grad, image)
    monkeypatch.setattr(direct, 'applies', lambda *args: False)
    columns = perform(op, weights, output_grad, image)
    numpy.testing.assert_allclose(fast, columns, rtol=1e-5 if
                                  dtype == 'float32' else 1e-13)


@pytest.mark.parametrize('arguments', [
    dict(padding=((1, 1), (0, 0))), dict(subsample=(2, 1)),
    dict(filter_dilation=(1, 2)), dict(groups=2), dict(channels=24),
    dict(dtype='int64')])
def test_the_direct_path_applies_to_the_plain_case_only(arguments):
    plain = dict(dtype='float32', channels=32, padding=((0, 0), (0, 0)),
                 subsample=(1, 1), filter_dilation=(1, 1), groups=1)
    assert direct.applies(**plain) == c_kernels.enabled()
    plain.update(arguments)
    assert not direct.applies(**plain)


def test_without_c_kernels_the_columns_are_used(monkeypatch):
    monkeypatch.setenv(c_kernels.ENVIRONMENT_VARIABLE, '0')
    assert not direct.applies('float32', 32, ((0, 0), (0, 0)), (1, 1),
                              (1, 1), 1)
