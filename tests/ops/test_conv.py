"""The convolution Ops against scipy.signal and numerical gradients."""
import pickle
import threading

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad
from scipy.signal import convolve2d, correlate2d

from blocks.ops import (Conv2d, Conv2dGradInputs, conv2d, conv2d_transpose,
                        conv_padding, get_conv_output_shape)
from blocks.ops import scratch as scratch_module
from blocks.ops.scratch import scratch

MODE = 'FAST_COMPILE'


def check_grad(function, points, rng):
    # no_debug_ref=False keeps verify_grad's cost function in MODE too.
    verify_grad(function, points, rng=rng, mode=MODE, no_debug_ref=False)


def reference_conv2d(image, filters, border_mode='valid', subsample=(1, 1),
                     filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    """A loop over scipy.signal: pad, dilate the kernel, subsample."""
    n_filters, group_channels, kernel_rows, kernel_cols = filters.shape
    (top, bottom), (left, right) = conv_padding(
        border_mode, (kernel_rows, kernel_cols), filter_dilation)
    padded = numpy.pad(image, ((0, 0), (0, 0), (top, bottom), (left, right)))
    dil_rows, dil_cols = filter_dilation
    dilated = numpy.zeros(filters.shape[:2] +
                          ((kernel_rows - 1) * dil_rows + 1,
                           (kernel_cols - 1) * dil_cols + 1))
    dilated[:, :, ::dil_rows, ::dil_cols] = filters
    filters_per_group = n_filters // num_groups
    outputs = []
    for example in padded:
        maps = []
        for f in range(n_filters):
            group = f // filters_per_group
            total = 0
            for c in range(group_channels):
                channel = example[group * group_channels + c]
                operation = convolve2d if filter_flip else correlate2d
                total = total + operation(channel, dilated[f, c], mode='valid')
            maps.append(total[::subsample[0], ::subsample[1]])
        outputs.append(maps)
    return numpy.array(outputs)


CASES = [
    dict(border_mode='valid'),
    dict(border_mode='full'),
    dict(border_mode='half'),
    dict(border_mode=1),
    dict(border_mode=(2, 1)),
    dict(border_mode=((1, 2), (0, 1))),
    dict(border_mode='valid', subsample=(2, 2)),
    dict(border_mode='full', subsample=(2, 3)),
    dict(border_mode='half', subsample=(3, 2)),
    dict(border_mode='valid', filter_dilation=(2, 2)),
    dict(border_mode='half', filter_dilation=(2, 1), subsample=(2, 1)),
    dict(border_mode='full', filter_dilation=(1, 2)),
    dict(border_mode='valid', num_groups=2),
    dict(border_mode=(1, 2), num_groups=2, subsample=(2, 2)),
    dict(border_mode='valid', filter_flip=False),
    dict(border_mode='half', filter_flip=False, num_groups=2,
         filter_dilation=(2, 2)),
]


def _data(case, dtype='float64', seed=1):
    rng = numpy.random.default_rng(seed)
    groups = case.get('num_groups', 1)
    image = rng.normal(size=(2, 2 * groups, 7, 8)).astype(dtype)
    filters = rng.normal(size=(2 * groups, 2, 3, 2)).astype(dtype)
    return image, filters


@pytest.mark.parametrize('case', CASES, ids=str)
def test_forward_matches_scipy(case):
    image, filters = _data(case)
    x, w = pt.tensor4('x'), pt.tensor4('w')
    y = conv2d(x, w, **case)
    output = pytensor.function([x, w], y, mode=MODE)(image, filters)
    expected = reference_conv2d(image, filters, **case)
    assert output.shape == expected.shape
    numpy.testing.assert_allclose(output, expected, rtol=1e-10, atol=1e-10)
    shape = get_conv_output_shape(image.shape, filters.shape,
                                  case.get('border_mode'),
                                  case.get('subsample', (1, 1)),
                                  case.get('filter_dilation', (1, 1)))
    assert shape == expected.shape
    inferred = pytensor.function([x, w], y.shape, mode=MODE)(image, filters)
    assert tuple(inferred) == expected.shape


@pytest.mark.parametrize('case', CASES, ids=str)
def test_gradients_numerically(case):
    image, filters = _data(case)
    image, filters = image[:1, :, :6, :5], filters

    def convolution(x, w):
        return conv2d(x, w, **case)
    check_grad(convolution, [image, filters], numpy.random.default_rng(2))


@pytest.mark.parametrize('case', [CASES[1], CASES[10], CASES[13]], ids=str)
def test_second_derivatives(case):
    image, filters = _data(case)
    image = image[:1, :, :5, :5]

    def gradient_of_weights(x, w):
        y = conv2d(x, w, **case)
        return pytensor.grad((y ** 2).sum(), w)

    def gradient_of_inputs(x, w):
        y = conv2d(x, w, **case)
        return pytensor.grad((y ** 2).sum(), x)
    rng = numpy.random.default_rng(3)
    check_grad(gradient_of_weights, [image, filters], rng)
    check_grad(gradient_of_inputs, [image, filters], rng)


def test_transpose_is_adjoint_of_forward():
    rng = numpy.random.default_rng(4)
    case = dict(border_mode=(1, 2), subsample=(2, 2), filter_dilation=(1, 2))
    image = rng.normal(size=(2, 3, 9, 10))
    filters = rng.normal(size=(4, 3, 3, 3))
    x, w, g = pt.tensor4('x'), pt.tensor4('w'), pt.tensor4('g')
    forward = pytensor.function([x, w], conv2d(x, w, **case), mode=MODE)
    output = forward(image, filters)
    other = rng.normal(size=output.shape)
    transpose = pytensor.function(
        [g, w], conv2d_transpose(g, w, (9, 10), **case), mode=MODE)
    back = transpose(other, filters)
    assert back.shape == image.shape
    # <conv(x), g> == <x, conv_transpose(g)>
    numpy.testing.assert_allclose((output * other).sum(),
                                  (image * back).sum(), rtol=1e-10)


def test_float32_stays_float32():
    image, filters = _data({}, 'float32')
    x = pt.tensor4('x', dtype='float32')
    w = pt.tensor4('w', dtype='float32')
    y = conv2d(x, w, border_mode='half')
    cost = (y ** 2).sum()
    gx, gw = pytensor.grad(cost, [x, w])
    f = pytensor.function([x, w], [y, gx, gw], mode=MODE)
    results = f(image, filters)
    assert [r.dtype for r in results] == ['float32'] * 3
    numpy.testing.assert_allclose(
        results[0], reference_conv2d(image, filters, 'half'), rtol=1e-4,
        atol=1e-4)


def test_default_mode_runs_the_ops():
    image, filters = _data({})
    x, w = pt.tensor4('x'), pt.tensor4('w')
    y = conv2d(x, w, border_mode='full', subsample=(2, 1))
    gx, gw = pytensor.grad((y ** 2).sum(), [x, w])
    cvm = pytensor.function([x, w], [y, gx, gw], mode='CVM')
    python = pytensor.function([x, w], [y, gx, gw], mode=MODE)
    for a, b in zip(cvm(image, filters), python(image, filters)):
        numpy.testing.assert_allclose(a, b, rtol=1e-12)


def test_ops_pickle():
    op = Conv2d(border_mode=((1, 2), 0), subsample=(2, 1),
                filter_dilation=(1, 2), num_groups=2, filter_flip=False)
    assert pickle.loads(pickle.dumps(op)) == op
    x, w = pt.tensor4('x'), pt.tensor4('w')
    y = pytensor.grad((op(x, w) ** 2).sum(), x)
    clone = pickle.loads(pickle.dumps(y))
    image, filters = _data({'num_groups': 2})
    original = pytensor.function([x, w], y, mode=MODE)(image, filters)
    by_name = {v.name: v for v in
               pytensor.graph.traversal.graph_inputs([clone])}
    inputs = [by_name['x'], by_name['w']]
    restored = pytensor.function(inputs, clone, mode=MODE)(image, filters)
    numpy.testing.assert_allclose(original, restored)


def test_scratch_buffers_are_shared_and_not_pickled(monkeypatch):
    monkeypatch.setattr(scratch_module, '_SCRATCH', threading.local())
    op = Conv2d()
    x, w = pt.tensor4('x'), pt.tensor4('w')
    gx, gw = pytensor.grad((op(x, w) ** 2).sum(), [x, w])
    function = pytensor.function([x, w], [gx, gw], mode=MODE)
    image = numpy.random.default_rng(0).normal(size=(4, 3, 9, 9))
    filters = numpy.random.default_rng(1).normal(size=(5, 3, 3, 3))
    first = [value.copy() for value in function(image, filters)]
    # (Holding the buffers here would keep them busy.)
    buffers = [(id(b), b.nbytes) for b in scratch_module._SCRATCH.buffers]
    # The three Ops share one buffer, as large as the largest columns.
    assert len(buffers) == 1
    assert buffers[0][1] >= 3 * 9 * 4 * 49 * 8
    second = function(image * 2, filters)
    assert buffers == [(id(b), b.nbytes)
                       for b in scratch_module._SCRATCH.buffers]
    # y doubles: the input gradient doubles, the filter gradient quadruples
    for scale, a, b in zip((2, 4), first, second):
        numpy.testing.assert_allclose(scale * a, b, rtol=1e-12)
    assert len(pickle.dumps(op)) < 1000
    assert pickle.loads(pickle.dumps(op)) == op


def test_scratch_hands_out_only_free_buffers(monkeypatch):
    monkeypatch.setattr(scratch_module, '_SCRATCH', threading.local())
    held = scratch((1000,), 'float64')
    small = scratch((10,), 'float32')
    assert not numpy.shares_memory(held, small)
    address = small.ctypes.data
    del small
    # The smallest free buffer large enough.
    again = scratch((5,), 'float32')
    assert again.ctypes.data == address
    # A view keeps its buffer busy, as the array itself does.
    view = again[1:]
    del again
    other = scratch((5,), 'float32')
    assert not numpy.shares_memory(other, view)
    assert not numpy.shares_memory(other, held)


@pytest.mark.parametrize('argument, value', [
    ('border_mode', 'same'), ('border_mode', -1), ('border_mode', (1, 2, 3)),
    ('subsample', (0, 1)), ('filter_dilation', 2), ('num_groups', 0)])
def test_invalid_arguments_are_named(argument, value):
    with pytest.raises(ValueError, match=argument):
        Conv2d(**{argument: value})


def test_mismatched_channels_raise():
    x, w = pt.tensor4('x'), pt.tensor4('w')
    f = pytensor.function([x, w], conv2d(x, w, num_groups=2), mode=MODE)
    with pytest.raises(ValueError, match='num_groups=2'):
        f(numpy.ones((1, 3, 5, 5)), numpy.ones((2, 2, 3, 3)))


def test_grad_inputs_checks_the_image_size():
    w, g = pt.tensor4('w'), pt.tensor4('g')
    y = Conv2dGradInputs()(w, g, pt.zeros((1, 1, 6, 6)))
    f = pytensor.function([w, g], y, mode=MODE)
    with pytest.raises(ValueError, match='image of size'):
        f(numpy.ones((1, 1, 3, 3)), numpy.ones((1, 1, 3, 3)))
