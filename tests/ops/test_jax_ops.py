"""The JAX implementations of the Ops against the NumPy ones."""
import numpy
import pytensor
import pytensor.tensor as pt
import pytest

from blocks.ops import conv2d, conv2d_transpose, pool_2d

pytest.importorskip('jax')

CONV_CASES = [
    dict(border_mode='valid'),
    dict(border_mode='full', subsample=(2, 1)),
    dict(border_mode=((1, 2), 0), filter_dilation=(2, 1)),
    dict(border_mode='half', num_groups=2, filter_flip=False),
]
POOL_CASES = [
    dict(ws=(2, 2), ignore_border=True, mode='max'),
    dict(ws=(3, 3), ignore_border=False, stride=(2, 2), mode='max'),
    dict(ws=(3, 3), ignore_border=True, stride=(2, 2), pad=(1, 1),
         mode='average_exc_pad'),
    dict(ws=(2, 3), ignore_border=False, mode='average_inc_pad'),
    dict(ws=(3, 2), ignore_border=True, pad=(1, 1), mode='average_inc_pad'),
    dict(ws=(2, 2), ignore_border=True, stride=(1, 1), mode='sum'),
]


def _both_modes(inputs, outputs, values):
    results = []
    for mode in ('FAST_COMPILE', 'JAX'):
        function = pytensor.function(inputs, outputs, mode=mode)
        results.append([numpy.asarray(r) for r in function(*values)])
    return results


@pytest.mark.parametrize('case', CONV_CASES, ids=str)
def test_convolution_and_gradients(case):
    rng = numpy.random.default_rng(0)
    image = rng.normal(size=(2, 4, 7, 6))
    filters = rng.normal(size=(4, 4 // case.get('num_groups', 1), 3, 2))
    x, w = pt.tensor4('x'), pt.tensor4('w')
    y = conv2d(x, w, **case)
    cost = (y ** 2).sum()
    gx, gw = pytensor.grad(cost, [x, w])
    # A second derivative, through the gradient Ops' own gradients.
    ggw = pytensor.grad((gx ** 2).sum(), w)
    numpy_results, jax_results = _both_modes([x, w], [y, gx, gw, ggw],
                                             [image, filters])
    for expected, result in zip(numpy_results, jax_results):
        numpy.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-9)


def test_transpose():
    rng = numpy.random.default_rng(1)
    g, w = pt.tensor4('g'), pt.tensor4('w')
    y = conv2d_transpose(g, w, (8, 9), subsample=(2, 2), border_mode=1)
    numpy_results, jax_results = _both_modes(
        [g, w], [y], [rng.normal(size=(2, 3, 4, 5)),
                      rng.normal(size=(3, 2, 3, 3))])
    numpy.testing.assert_allclose(jax_results[0], numpy_results[0],
                                  rtol=1e-10)


@pytest.mark.parametrize('ties', [False, True], ids=['distinct', 'ties'])
@pytest.mark.parametrize('case', POOL_CASES, ids=str)
def test_pooling_and_gradients(case, ties):
    rng = numpy.random.default_rng(2)
    image = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 7.
    if ties:
        image = numpy.round(image) // 2
    x = pt.tensor4('x')
    y = pool_2d(x, **case)
    gx = pytensor.grad((y ** 2).sum(), x)
    ggx = pytensor.grad((gx ** 2).sum(), x)
    numpy_results, jax_results = _both_modes([x], [y, gx, ggx], [image])
    for expected, result in zip(numpy_results, jax_results):
        numpy.testing.assert_allclose(result, expected, rtol=1e-10)
