"""The pooling Ops against a loop over windows and numerical gradients."""
import pickle

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

from blocks.ops import Pool2d, pool_2d, pool_output_shape

MODE = 'FAST_COMPILE'


def reference_pool(image, ws, ignore_border, stride, pad, mode):
    """Theano's pooling, one window at a time."""
    stride = stride or ws
    height, width = image.shape[-2:]
    out_rows, out_cols = pool_output_shape(image.shape, ws, ignore_border,
                                           stride, pad)[-2:]
    output = numpy.zeros(image.shape[:-2] + (out_rows, out_cols))
    for r in range(out_rows):
        for c in range(out_cols):
            # Window bounds in padded coordinates, then in the image.
            top, left = r * stride[0], c * stride[1]
            bottom = min(top + ws[0], height + 2 * pad[0])
            right = min(left + ws[1], width + 2 * pad[1])
            rows = slice(max(top - pad[0], 0), min(bottom - pad[0], height))
            cols = slice(max(left - pad[1], 0), min(right - pad[1], width))
            window = image[..., rows, cols]
            if mode == 'max':
                value = window.max(axis=(-2, -1))
            elif mode == 'sum':
                value = window.sum(axis=(-2, -1))
            elif mode == 'average_exc_pad':
                value = window.mean(axis=(-2, -1))
            else:
                value = window.sum(axis=(-2, -1)) / (
                    (bottom - top) * (right - left))
            output[..., r, c] = value
    return output


CASES = [
    dict(ws=(2, 2), ignore_border=True),
    dict(ws=(2, 2), ignore_border=False),
    dict(ws=(3, 2), ignore_border=True, stride=(1, 2)),
    dict(ws=(3, 3), ignore_border=False, stride=(2, 2)),
    dict(ws=(2, 3), ignore_border=False, stride=(3, 1)),
    dict(ws=(3, 3), ignore_border=True, stride=(2, 2), pad=(1, 2)),
    dict(ws=(2, 2), ignore_border=True, pad=(1, 1)),
]
MODES = ['max', 'sum', 'average_inc_pad', 'average_exc_pad']


def _image(shape=(2, 3, 7, 6), seed=0):
    # Distinct values: max pooling has no ties, so gradients are smooth.
    rng = numpy.random.default_rng(seed)
    return rng.permutation(numpy.prod(shape)).reshape(shape) / 10. - 5.


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('case', CASES, ids=str)
def test_forward_matches_loop(case, mode):
    image = _image()
    x = pt.tensor4('x')
    y = pool_2d(x, mode=mode, **case)
    output = pytensor.function([x], y, mode=MODE)(image)
    expected = reference_pool(image, case['ws'], case['ignore_border'],
                              case.get('stride'), case.get('pad', (0, 0)),
                              mode)
    numpy.testing.assert_allclose(output, expected, rtol=1e-12)
    shape = pytensor.function([x], y.shape, mode=MODE)(image)
    assert tuple(shape) == expected.shape


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('case', CASES, ids=str)
def test_gradients_numerically(case, mode):
    image = _image((1, 2, 7, 6))
    verify_grad(lambda x: pool_2d(x, mode=mode, **case), [image],
                rng=numpy.random.default_rng(1), mode=MODE,
                no_debug_ref=False)


@pytest.mark.parametrize('mode', MODES)
def test_second_derivatives(mode):
    image = _image((1, 1, 5, 5))
    case = dict(ws=(3, 3), stride=(2, 2), ignore_border=True, pad=(1, 1))

    def gradient(x):
        return pytensor.grad((pool_2d(x, mode=mode, **case) ** 2).sum(), x)
    verify_grad(gradient, [image], rng=numpy.random.default_rng(2),
                mode=MODE, no_debug_ref=False)


def test_max_gradient_goes_to_the_first_tied_maximum():
    x = pt.matrix('x')
    y = pool_2d(x, (2, 2), True, stride=(1, 1))
    gradient = pytensor.grad(y.sum(), x)
    value = pytensor.function([x], gradient, mode=MODE)(
        numpy.array([[1., 1., 0.], [0., 1., 1.]]))
    # Window (0, 0) picks (0, 0); window (0, 1) picks (0, 1), its first.
    numpy.testing.assert_array_equal(value, [[1., 1., 0.], [0., 0., 0.]])
    # Gradient of the gradient: the same selection.
    g = pt.matrix('g')
    gradient = pytensor.grad(y.sum(), x)
    second = pytensor.grad((gradient * g).sum(), g)
    numpy.testing.assert_array_equal(
        pytensor.function([x, g], second, mode=MODE)(
            numpy.array([[1., 1., 0.], [0., 1., 1.]]), numpy.ones((2, 3))),
        [[1., 1., 0.], [0., 0., 0.]])


def test_max_gradient_ties_match_torch():
    torch = pytest.importorskip('torch')
    image = numpy.round(_image((2, 3, 7, 6))) // 3  # many ties
    for case in CASES:
        pad = case.get('pad', (0, 0))
        if pad[0] > case['ws'][0] // 2 or pad[1] > case['ws'][1] // 2:
            continue  # torch refuses padding over half the window
        x = pt.tensor4('x')
        y = pool_2d(x, mode='max', **case)
        g = pytensor.function([x], pytensor.grad((y * y).sum(), x),
                              mode=MODE)(image)
        tx = torch.tensor(image, requires_grad=True)
        ty = torch.nn.functional.max_pool2d(
            tx, case['ws'], case.get('stride') or case['ws'],
            padding=case.get('pad', (0, 0)),
            ceil_mode=not case['ignore_border'])
        (ty * ty).sum().backward()
        numpy.testing.assert_allclose(g, tx.grad.numpy())


def test_any_number_of_leading_axes():
    image = _image((2, 4, 6))
    x = pt.tensor3('x')
    output = pool_2d(x, (2, 3), True, mode='average_exc_pad').eval({x: image})
    expected = image.reshape(2, 2, 2, 2, 3).mean(axis=(2, 4))
    numpy.testing.assert_allclose(output, expected)


def test_float32_and_default_mode():
    image = _image().astype('float32')
    x = pt.tensor4('x', dtype='float32')
    y = pool_2d(x, (3, 3), True, (2, 2), (1, 1), 'average_exc_pad')
    g = pytensor.grad(y.sum(), x)
    cvm = pytensor.function([x], [y, g], mode='CVM')(image)
    python = pytensor.function([x], [y, g], mode=MODE)(image)
    for a, b in zip(cvm, python):
        assert a.dtype == 'float32'
        numpy.testing.assert_allclose(a, b)


def test_output_shape_of_blocks_examples():
    assert pool_output_shape((3, 5, 5), (2, 2), True) == [3, 2, 2]
    assert pool_output_shape((3, 5, 5), (2, 2), False) == [3, 3, 3]
    assert pool_output_shape((3, 14, 14), (3, 3), True, (1, 1),
                             (1, 1)) == [3, 14, 14]
    assert pool_output_shape((None, None, 5), (2, 2), True) == [None, None, 2]


@pytest.mark.parametrize('arguments, name', [
    (dict(ws=(2,)), 'ws'), (dict(ws=(2, 2), stride=(0, 1)), 'stride'),
    (dict(ws=(2, 2), mode='median'), 'mode'),
    (dict(ws=(2, 2), pad=(1, 1), ignore_border=False), 'ignore_border'),
    (dict(ws=(2, 2), pad=(2, 0)), 'smaller than the window')])
def test_invalid_arguments(arguments, name):
    with pytest.raises(ValueError, match=name):
        Pool2d(**arguments)


def test_ops_pickle():
    op = Pool2d((3, 2), True, (1, 2), (1, 1), 'average_exc_pad')
    assert pickle.loads(pickle.dumps(op)) == op
