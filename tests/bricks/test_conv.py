"""Convolution and pooling bricks, after the original Blocks tests."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor
from scipy.signal import convolve2d

from blocks.bricks import Rectifier, Tanh, Softmax, MLP
from blocks.bricks.conv import (AveragePooling, Convolutional,
                                ConvolutionalSequence, ConvolutionalTranspose,
                                Flattener, MaxPooling, Pooling)
from blocks.bricks.bn import SpatialBatchNormalization
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import BIAS, FILTER, has_roles

floatX = pytensor.config.floatX


def function(inputs, outputs):
    return pytensor.function(inputs, outputs, mode='FAST_COMPILE')


def test_convolutional():
    x = tensor.tensor4('x')
    num_channels = 4
    num_filters = 3
    batch_size = 5
    filter_size = (3, 3)
    conv = Convolutional(filter_size, num_filters, num_channels,
                         image_size=(17, 13), weights_init=Constant(1.),
                         biases_init=Constant(5.))
    conv.initialize()
    y = conv.apply(x)
    func = function([x], y)
    x_val = numpy.ones((batch_size, num_channels, 17, 13), dtype=floatX)
    assert_allclose(func(x_val),
                    numpy.prod(filter_size) * num_channels *
                    numpy.ones((batch_size, num_filters, 15, 11)) + 5)
    conv.image_size = (17, 13)
    conv.batch_size = 2  # This should have effect on get_dim
    assert conv.get_dim('output') == (num_filters, 15, 11)
    assert has_roles(conv.W, [FILTER]) and has_roles(conv.b, [BIAS])


def test_convolutional_matches_scipy():
    rng = numpy.random.default_rng(0)
    x = tensor.tensor4('x')
    conv = Convolutional((3, 2), 2, 3, border_mode='full', use_bias=False,
                         weights_init=IsotropicGaussian(), seed=1)
    conv.initialize()
    image = rng.normal(size=(2, 3, 6, 5)).astype(floatX)
    output = function([x], conv.apply(x))(image)
    W = conv.W.get_value()
    for b in range(2):
        for f in range(2):
            expected = sum(convolve2d(image[b, c], W[f, c], mode='full')
                           for c in range(3))
            assert_allclose(output[b, f], expected, rtol=1e-7, atol=1e-7)


def test_convolutional_untied_biases():
    x = tensor.tensor4('x')
    conv = Convolutional((3, 3), 2, 1, image_size=(4, 5), tied_biases=False,
                         weights_init=Constant(0.), biases_init=Constant(0.))
    conv.initialize()
    assert conv.b.get_value().shape == (2, 2, 3)
    conv.b.set_value(numpy.arange(12.).reshape(2, 2, 3).astype(floatX))
    output = function([x], conv.apply(x))(
        numpy.ones((3, 1, 4, 5), dtype=floatX))
    assert_allclose(output, numpy.tile(numpy.arange(12.).reshape(2, 2, 3),
                                       (3, 1, 1, 1)))
    with pytest.raises(ValueError, match='image_size'):
        Convolutional((3, 3), 2, 1, tied_biases=False).allocate()


def test_convolutional_transpose():
    x = tensor.tensor4('x')
    num_channels = 4
    num_filters = 3
    image_size = (8, 6)
    original_image_size = (17, 13)
    batch_size = 5
    filter_size = (3, 3)
    step = (2, 2)
    conv = ConvolutionalTranspose(
        original_image_size=original_image_size, filter_size=filter_size,
        num_filters=num_filters, num_channels=num_channels, step=step,
        image_size=image_size, weights_init=Constant(1.),
        biases_init=Constant(5.))
    conv.initialize()
    y = conv.apply(x)
    func = function([x], y)
    x_val = numpy.ones((batch_size, num_channels) + image_size, dtype=floatX)
    expected_value = num_channels * numpy.ones(
        (batch_size, num_filters) + original_image_size)
    expected_value[:, :, 2:-2:2, :] += num_channels
    expected_value[:, :, :, 2:-2:2] += num_channels
    expected_value[:, :, 2:-2:2, 2:-2:2] += num_channels
    assert_allclose(func(x_val), expected_value + 5)


def test_convolutional_transpose_original_size_inference():
    conv = ConvolutionalTranspose(filter_size=(4, 5), num_filters=10,
                                  num_channels=5, step=(3, 2),
                                  image_size=(6, 9))
    assert conv.original_image_size == (19, 21)
    assert conv.get_dim('output') == (10, 19, 21)
    conv = ConvolutionalTranspose(filter_size=(4, 5), num_filters=10,
                                  num_channels=5, step=(3, 2),
                                  image_size=(6, 9), unused_edge=(1, 1),
                                  border_mode='half')
    assert conv.original_image_size == (16, 18)
    with pytest.raises(ValueError, match='image_size'):
        ConvolutionalTranspose((3, 3), 2, 2).original_image_size


def test_convolutional_transpose_is_adjoint_of_convolutional():
    rng = numpy.random.default_rng(1)
    conv = Convolutional((3, 3), 4, 2, step=(2, 2), use_bias=False,
                         weights_init=IsotropicGaussian(), seed=2)
    conv.initialize()
    transpose = ConvolutionalTranspose((3, 3), 2, 4, step=(2, 2),
                                       image_size=(4, 4),
                                       original_image_size=(9, 9),
                                       use_bias=False,
                                       weights_init=Constant(0.))
    transpose.initialize()
    transpose.W.set_value(conv.W.get_value().transpose(1, 0, 2, 3).copy())
    x, g = tensor.tensor4('x'), tensor.tensor4('g')
    image = rng.normal(size=(2, 2, 9, 9)).astype(floatX)
    feature = rng.normal(size=(2, 4, 4, 4)).astype(floatX)
    forward = function([x], conv.apply(x))(image)
    backward = function([g], transpose.apply(g))(feature)
    assert_allclose((forward * feature).sum(), (image * backward).sum(),
                    rtol=1e-6)


def test_border_mode_not_pushed():
    layers = [Convolutional(border_mode='full'),
              Convolutional(),
              Rectifier(),
              Convolutional(border_mode='valid'),
              Rectifier(),
              Convolutional(border_mode='full'),
              Rectifier()]
    stack = ConvolutionalSequence(layers)
    stack.push_allocation_config()
    assert stack.children[0].border_mode == 'full'
    assert stack.children[1].border_mode == 'valid'
    assert stack.children[3].border_mode == 'valid'
    assert stack.children[5].border_mode == 'full'
    stack2 = ConvolutionalSequence(layers, border_mode='full')
    stack2.push_allocation_config()
    assert stack2.children[0].border_mode == 'full'
    assert stack2.children[1].border_mode == 'full'
    assert stack2.children[3].border_mode == 'full'
    assert stack2.children[5].border_mode == 'full'


def test_tied_biases_pushed_only_when_given():
    layers = [Convolutional(tied_biases=False), Convolutional()]
    ConvolutionalSequence(layers, 3).push_allocation_config()
    assert not layers[0].tied_biases and layers[1].tied_biases
    ConvolutionalSequence(layers, 3, tied_biases=True).push_allocation_config()
    assert layers[0].tied_biases and layers[1].tied_biases


def test_no_input_size():
    # suppose x is outputted by some RNN
    x = tensor.tensor4('x')
    filter_size = (1, 3)
    num_filters = 2
    num_channels = 5
    c = Convolutional(filter_size, num_filters, num_channels, tied_biases=True,
                      weights_init=Constant(1.), biases_init=Constant(1.))
    c.initialize()
    out = c.apply(x)
    assert c.get_dim('output') == (2, None, None)
    assert out.ndim == 4
    c = Convolutional(filter_size, num_filters, num_channels,
                      tied_biases=False, weights_init=Constant(1.),
                      biases_init=Constant(1.))
    with pytest.raises(ValueError):
        c.initialize()


def test_tied_biases():
    x = tensor.tensor4('x')
    num_channels = 4
    num_filters = 3
    batch_size = 5
    filter_size = (3, 3)
    # Tied biases should provide one bias for each filter
    conv = Convolutional(filter_size, num_filters, num_channels,
                         weights_init=Constant(1.), biases_init=Constant(2.),
                         tied_biases=True)
    conv.initialize()
    y = conv.apply(x)
    func = function([x], y)
    # Tied biases only provide one bias for each filter
    assert_allclose(conv.b.eval().shape, (3,))
    # Test that any input shape can be used with tied biases
    for image_size in [(17, 13), (12, 12)]:
        x_val = numpy.ones((batch_size, num_channels) + image_size,
                           dtype=floatX)
        assert_allclose(func(x_val),
                        numpy.prod(filter_size) * num_channels *
                        numpy.ones((batch_size, num_filters) +
                                   tuple(i - 2 for i in image_size)) + 2)


def test_untied_biases():
    x = tensor.tensor4('x')
    num_channels = 4
    num_filters = 3
    batch_size = 5
    filter_size = (3, 3)
    conv = Convolutional(filter_size, num_filters, num_channels,
                         weights_init=Constant(1.), biases_init=Constant(2.),
                         image_size=(28, 30), tied_biases=False)
    conv.initialize()
    y = conv.apply(x)
    func = function([x], y)
    # Untied biases provide a bias for every individual output
    assert_allclose(conv.b.eval().shape, (3, 26, 28))
    # Untied biases require images of a specific size
    x_val_1 = numpy.ones((batch_size, num_channels, 28, 30), dtype=floatX)
    assert_allclose(func(x_val_1),
                    numpy.prod(filter_size) * num_channels *
                    numpy.ones((batch_size, num_filters, 26, 28)) + 2)
    x_val_2 = numpy.ones((batch_size, num_channels, 23, 19), dtype=floatX)

    def wrongsize():
        func(x_val_2)
    with pytest.raises(ValueError):
        wrongsize()


def test_max_pooling():
    x = tensor.tensor4('x')
    num_channels = 4
    batch_size = 5
    x_size = 17
    y_size = 13
    pool_size = 3
    pool = MaxPooling((pool_size, pool_size))
    y = pool.apply(x)
    func = function([x], y)
    x_val = numpy.ones((batch_size, num_channels, x_size, y_size),
                       dtype=floatX)
    assert_allclose(func(x_val),
                    numpy.ones((batch_size, num_channels,
                                x_size // pool_size, y_size // pool_size)))
    pool.input_dim = (num_channels, x_size, y_size)
    assert pool.get_dim('output') == (num_channels, x_size // pool_size,
                                      y_size // pool_size)


def test_max_pooling_values_and_padding():
    x = tensor.tensor4('x')
    image = numpy.arange(2 * 3 * 5 * 4, dtype=floatX).reshape(2, 3, 5, 4)
    output = function([x], MaxPooling((2, 2)).apply(x))(image)
    assert_allclose(output, image.reshape(2, 3, 5, 2, 2)[:, :, :4]
                    .reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5)))
    # Padding cells are never selected, even with negative inputs.
    padded = function([x], MaxPooling((2, 2), padding=(1, 1)).apply(x))(
        -1 - image)
    assert padded.shape == (2, 3, 3, 3)
    assert_allclose(padded[:, :, 0, 0], -1 - image[:, :, 0, 0])


def test_max_pooling_ignore_border_true():
    x = tensor.tensor4('x')
    brick = MaxPooling((3, 4), ignore_border=True)
    y = brick.apply(x)
    out = y.eval({x: numpy.zeros((8, 3, 10, 13), dtype=floatX)})
    assert out.shape == (8, 3, 3, 3)


def test_max_pooling_ignore_border_false():
    x = tensor.tensor4('x')
    brick = MaxPooling((5, 7), ignore_border=False)
    y = brick.apply(x)
    out = y.eval({x: numpy.zeros((4, 6, 12, 15), dtype=floatX)})
    assert out.shape == (4, 6, 3, 3)


def test_max_pooling_padding():
    x = tensor.tensor4('x')
    brick = MaxPooling((6, 2), padding=(3, 1), ignore_border=True)
    y = brick.apply(x)
    out = y.eval({x: numpy.zeros((2, 3, 6, 10), dtype=floatX)})
    assert out.shape == (2, 3, 2, 6)


def test_max_pooling_old_pickle():
    brick = MaxPooling((3, 4))
    brick.allocate()
    # Simulate old pickle, before #899.
    del brick.ignore_border
    del brick.mode
    del brick.padding
    # Pickle in this broken state and re-load.
    broken_pickled = pickle.dumps(brick)
    loaded = pickle.loads(broken_pickled)
    # Same shape, same step.
    assert brick.pooling_size == loaded.pooling_size
    assert brick.step == loaded.step
    # Check that the new attributes were indeed added.
    assert hasattr(loaded, 'padding') and loaded.padding == (0, 0)
    assert hasattr(loaded, 'mode') and loaded.mode == 'max'
    assert hasattr(loaded, 'ignore_border') and not loaded.ignore_border
    try:
        loaded.apply(tensor.tensor4())
    except Exception:
        raise AssertionError("failed to apply on unpickled MaxPooling")
    # Make sure we're not overriding these attributes wrongly.
    new_brick = MaxPooling((4, 3), padding=(2, 1))
    new_brick_unpickled = pickle.loads(pickle.dumps(new_brick))
    assert new_brick_unpickled.padding == (2, 1)
    assert new_brick_unpickled.ignore_border


def test_average_pooling():
    x = tensor.tensor4('x')
    brick = AveragePooling((2, 2))
    y = brick.apply(x)
    tmp = numpy.arange(16, dtype=floatX).reshape(1, 1, 4, 4)
    x_ = numpy.tile(tmp, (2, 3, 1, 1))
    out = y.eval({x: x_})
    assert_allclose(
        out - numpy.array([[10 / 4., 18 / 4.], [42 / 4., 50 / 4.]]),
        numpy.zeros_like(out))


def test_average_pooling_inc_padding():
    x = tensor.tensor4('x')
    brick = AveragePooling((2, 2), ignore_border=True, padding=(1, 1),
                           include_padding=True)
    y = brick.apply(x)
    output = y.eval({x: 3 * numpy.ones((1, 1, 2, 2), dtype=floatX)})
    assert_allclose(output, [[[[0.75, 0.75], [0.75, 0.75]]]])


def test_average_pooling_exc_padding():
    x = tensor.tensor4('x')
    brick = AveragePooling((2, 2), ignore_border=True, padding=(1, 1),
                           include_padding=False)
    y = brick.apply(x)
    x_ = 3 * numpy.ones((1, 1, 2, 2), dtype=floatX)
    output = y.eval({x: x_})
    assert_allclose(output, x_)


def test_pooling_works_in_convolutional_sequence():
    x = tensor.tensor4('x')
    brick = ConvolutionalSequence([AveragePooling((2, 2), step=(2, 2)),
                                   MaxPooling((4, 4), step=(2, 2),
                                              ignore_border=True)],
                                  image_size=(16, 32), num_channels=3)
    brick.allocate()
    y = brick.apply(x)
    out = y.eval({x: numpy.empty((2, 3, 16, 32), dtype=floatX)})
    assert out.shape == (2, 3, 3, 7)


def test_convolutional_sequence():
    x = tensor.tensor4('x')
    num_channels = 4
    pooling_size = 3
    batch_size = 5
    act = Rectifier()
    conv = Convolutional((3, 3), 5, weights_init=Constant(1.),
                         biases_init=Constant(5.))
    pooling = MaxPooling(pooling_size=(pooling_size, pooling_size))
    conv2 = Convolutional((2, 2), 4, weights_init=Constant(1.))
    seq = ConvolutionalSequence([conv, act, pooling.apply, conv2.apply, act],
                                num_channels, image_size=(17, 13))
    seq.push_allocation_config()
    assert conv.num_channels == 4
    assert conv2.num_channels == 5
    conv2.use_bias = False
    y = seq.apply(x)
    seq.initialize()
    func = function([x], y)
    x_val = numpy.ones((batch_size, 4, 17, 13), dtype=floatX)
    y_val = (numpy.ones((batch_size, 4, 4, 2)) * (9 * 4 + 5) * 4 * 5)
    assert_allclose(func(x_val), y_val)


def test_convolutional_sequence_with_raw_activation():
    seq = ConvolutionalSequence([Rectifier()], num_channels=4,
                                image_size=(20, 14))
    input_ = (((numpy.arange(2 * 4 * 20 * 14)
                .reshape((2, 4, 20, 14)) % 2) * 2 - 1).astype(floatX))
    expected_ = input_ * (input_ > 0)
    x = tensor.tensor4()
    assert_allclose(seq.apply(x).eval({x: input_}), expected_)


def test_convolutional_sequence_with_convolutions_raw_activation():
    seq = ConvolutionalSequence(
        [Convolutional(filter_size=(3, 3), num_filters=4),
         Rectifier(),
         Convolutional(filter_size=(5, 5), num_filters=3, step=(2, 2)),
         Tanh()],
        num_channels=2, image_size=(21, 39))
    seq.allocate()
    x = tensor.tensor4()
    out = seq.apply(x).eval({x: numpy.ones((10, 2, 21, 39), dtype=floatX)})
    assert out.shape == (10, 3, 8, 17)


def test_convolutional_sequence_activation_get_dim():
    seq = ConvolutionalSequence([Tanh()], num_channels=9, image_size=(4, 6))
    seq.allocate()
    assert seq.get_dim('output') == (9, 4, 6)
    seq = ConvolutionalSequence([Convolutional(filter_size=(7, 7),
                                               num_filters=5,
                                               border_mode=(1, 1)),
                                 Tanh()], num_channels=8, image_size=(8, 11))
    seq.allocate()
    assert seq.get_dim('output') == (5, 4, 7)


@pytest.mark.parametrize('image_size, border_mode, expected', [
    ((28, 28), 'valid', (50, 4, 4)),
    ((32, 30), 'valid', (50, 5, 4)),
    ((28, 28), 'half', (50, 7, 7)),
    ((28, 28), 'full', (50, 10, 10)),
])
def test_convolutional_sequence_shape_propagation(image_size, border_mode,
                                                  expected):
    layers = [Convolutional((5, 5), 20), Rectifier(), MaxPooling((2, 2)),
              Convolutional((5, 5), 50), Rectifier(), MaxPooling((2, 2))]
    seq = ConvolutionalSequence(layers, num_channels=1,
                                image_size=image_size,
                                border_mode=border_mode,
                                weights_init=Constant(0.1),
                                biases_init=Constant(0.))
    seq.initialize()
    assert seq.get_dim('output') == expected
    assert layers[3].num_channels == 20
    assert layers[2].input_dim[0] == 20
    x = tensor.tensor4('x')
    output = function([x], seq.apply(x))(
        numpy.ones((2, 1) + image_size, dtype=floatX))
    assert output.shape[1:] == expected


def test_convolutional_sequence_tied_biases_not_pushed_if_not_explicitly_set():
    cnn = ConvolutionalSequence(
        sum([[Convolutional(filter_size=(1, 1), num_filters=1,
                            tied_biases=True), Rectifier()]
             for _ in range(3)], []),
        num_channels=1, image_size=(1, 1))
    cnn.allocate()
    assert [child.tied_biases for child in cnn.children
            if isinstance(child, Convolutional)]


def test_convolutional_sequence_tied_biases_pushed_if_explicitly_set():
    cnn = ConvolutionalSequence(
        sum([[Convolutional(filter_size=(1, 1), num_filters=1,
                            tied_biases=True), Rectifier()]
             for _ in range(3)], []),
        num_channels=1, image_size=(1, 1), tied_biases=False)
    cnn.allocate()
    assert [not child.tied_biases for child in cnn.children
            if isinstance(child, Convolutional)]


def test_convolutional_sequence_with_batch_normalization():
    seq = ConvolutionalSequence(
        [Convolutional((3, 3), 4), SpatialBatchNormalization(), Rectifier(),
         MaxPooling((2, 2))], num_channels=2, image_size=(8, 8),
        weights_init=Constant(0.1), biases_init=Constant(0.))
    seq.initialize()
    assert seq.children[1].input_dim == (4, 6, 6)
    assert seq.get_dim('output') == (4, 3, 3)
    x = tensor.tensor4('x')
    out = function([x], seq.apply(x))(numpy.ones((2, 2, 8, 8), dtype=floatX))
    assert out.shape == (2, 4, 3, 3)


def test_flattener_feeds_an_mlp():
    x = tensor.tensor4('x')
    seq = ConvolutionalSequence([Convolutional((3, 3), 2), Rectifier()],
                                num_channels=1, image_size=(5, 5),
                                weights_init=Constant(1.),
                                biases_init=Constant(0.))
    seq.initialize()
    mlp = MLP([Softmax()], [2 * 3 * 3, 4], weights_init=Constant(0.),
              biases_init=Constant(0.))
    mlp.initialize()
    y = mlp.apply(Flattener().apply(seq.apply(x)))
    out = function([x], y)(numpy.ones((3, 1, 5, 5), dtype=floatX))
    assert_allclose(out, 0.25 * numpy.ones((3, 4)))


def test_gradients_flow_through_the_bricks():
    x = tensor.tensor4('x')
    seq = ConvolutionalSequence([Convolutional((3, 3), 2, border_mode='half'),
                                 Rectifier(), AveragePooling((2, 2))],
                                num_channels=1, image_size=(4, 4),
                                weights_init=IsotropicGaussian(0.1),
                                biases_init=Constant(0.1))
    seq.initialize()
    cost = seq.apply(x).sum()
    graph = ComputationGraph(cost)
    grads = pytensor.grad(cost, graph.parameters)
    values = function([x], grads)(numpy.ones((2, 1, 4, 4), dtype=floatX))
    assert all(numpy.isfinite(v).all() for v in values)
    assert len(values) == 2


def test_pooling_base_get_dim_unknown_name():
    pooling = Pooling('max', (2, 2), None, (1, 4, 4), True, (0, 0))
    assert pooling.get_dim('output') == (1, 2, 2)
    assert pooling.num_output_channels == 1
