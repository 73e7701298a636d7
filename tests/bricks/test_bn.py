"""Batch normalization bricks against NumPy."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import (BatchNormalization, BatchNormalizedMLP, Logistic,
                           Sequence, SpatialBatchNormalization, Tanh)
from blocks.bricks.conv import (Convolutional, ConvolutionalSequence,
                                MaxPooling)
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import (BATCH_NORM_DIVISOR, BATCH_NORM_MINIBATCH_ESTIMATE,
                          BATCH_NORM_OFFSET, BATCH_NORM_POPULATION_MEAN,
                          BATCH_NORM_POPULATION_STDEV,
                          BATCH_NORM_SCALE_PARAMETER,
                          BATCH_NORM_SHIFT_PARAMETER, PARAMETER, has_roles)

floatX = pytensor.config.floatX


def function(inputs, outputs):
    return pytensor.function(inputs, outputs, mode='FAST_COMPILE')


def _random(shape, seed=0):
    return numpy.random.default_rng(seed).normal(
        2., 3., size=shape).astype(floatX)


def _set_statistics(brick, seed=1):
    rng = numpy.random.default_rng(seed)
    shape = brick.population_mean.get_value().shape
    brick.population_mean.set_value(rng.normal(size=shape).astype(floatX))
    brick.population_stdev.set_value(
        rng.uniform(0.5, 2., size=shape).astype(floatX))
    if brick.learn_scale and not brick.mean_only:
        brick.scale.set_value(rng.uniform(0.5, 2., size=shape).astype(floatX))
    if brick.learn_shift:
        brick.shift.set_value(rng.normal(size=shape).astype(floatX))


@pytest.mark.parametrize('input_dim, broadcastable', [
    (5, None), ((3, 4), None), ((3, 4, 5), (False, True, True)),
    ((3, 4, 5), (True, False, True))])
def test_inference_and_training_graphs(input_dim, broadcastable):
    brick = BatchNormalization(input_dim, broadcastable=broadcastable,
                               epsilon=1e-3)
    brick.initialize()
    _set_statistics(brick)
    dims = (input_dim,) if isinstance(input_dim, int) else input_dim
    x = tensor.tensor(dtype=floatX, shape=(None,) * (len(dims) + 1))
    data = _random((6,) + dims)
    mean = brick.population_mean.get_value()[None]
    stdev = brick.population_stdev.get_value()[None]
    scale = brick.scale.get_value()[None]
    shift = brick.shift.get_value()[None]
    inference = function([x], brick.apply(x))(data)
    assert_allclose(inference, (data - mean) / stdev * scale + shift,
                    rtol=1e-6, atol=1e-6)
    with brick:
        training_output = brick.apply(x)
    training = function([x], training_output)(data)
    axes = (0,) + tuple(i + 1 for i, b in enumerate(
        broadcastable or (False,) * len(dims)) if b)
    batch_mean = data.mean(axis=axes, keepdims=True)
    batch_stdev = numpy.sqrt(data.var(axis=axes, keepdims=True) + 1e-3)
    assert_allclose(training,
                    (data - batch_mean) / batch_stdev * scale + shift,
                    rtol=1e-6, atol=1e-6)


def test_default_statistics_make_inference_an_identity():
    brick = BatchNormalization((4,))
    brick.initialize()
    x = tensor.matrix('x')
    data = _random((3, 4))
    assert_allclose(function([x], brick.apply(x))(data), data)


def test_mean_only():
    brick = BatchNormalization(3, mean_only=True)
    brick.initialize()
    assert brick.parameters == [brick.shift]
    x = tensor.matrix('x')
    data = _random((5, 3))
    with brick:
        output = brick.apply(x)
    shift = brick.shift.get_value()
    assert_allclose(function([x], output)(data),
                    data - data.mean(axis=0) + shift)
    graph = ComputationGraph(output)
    assert not VariableFilter(roles=[BATCH_NORM_DIVISOR])(graph.variables)


@pytest.mark.parametrize('learn_scale, learn_shift', [
    (False, True), (True, False), (False, False)])
def test_learn_scale_and_shift_flags(learn_scale, learn_shift):
    brick = BatchNormalization(3, learn_scale=learn_scale,
                               learn_shift=learn_shift)
    brick.initialize()
    roles = [BATCH_NORM_SCALE_PARAMETER, BATCH_NORM_SHIFT_PARAMETER]
    expected = [role for role, flag in zip(roles, [learn_scale, learn_shift])
                if flag]
    assert len(brick.parameters) == len(expected)
    for parameter, role in zip(brick.parameters, expected):
        assert has_roles(parameter, [role]) and has_roles(parameter,
                                                          [PARAMETER])
    x = tensor.matrix('x')
    data = _random((4, 3))
    with brick:
        output = function([x], brick.apply(x))(data)
    normalized = ((data - data.mean(axis=0)) /
                  numpy.sqrt(data.var(axis=0) + brick.epsilon))
    assert_allclose(output, normalized, rtol=1e-6, atol=1e-6)


def test_roles_and_annotations():
    brick = BatchNormalization(3)
    brick.initialize()
    assert has_roles(brick.population_mean, [BATCH_NORM_POPULATION_MEAN])
    assert has_roles(brick.population_stdev, [BATCH_NORM_POPULATION_STDEV])
    assert brick.population_mean not in brick.parameters
    x = tensor.matrix('x')
    with brick:
        y = brick.apply(x)
    graph = ComputationGraph(y)
    offsets = VariableFilter(roles=[BATCH_NORM_OFFSET])(graph.variables)
    divisors = VariableFilter(roles=[BATCH_NORM_DIVISOR])(graph.variables)
    estimates = VariableFilter(roles=[BATCH_NORM_MINIBATCH_ESTIMATE])(
        graph.variables)
    assert len(offsets) == 1 and len(divisors) == 1
    assert set(estimates) == set(offsets + divisors)
    assert VariableFilter(bricks=[brick], roles=[BATCH_NORM_OFFSET])(
        graph.variables) == offsets


def test_nested_contexts_restore_inference_mode():
    brick = BatchNormalization(2)
    brick.initialize()
    with brick:
        with brick:
            assert brick._training_mode == [True, True]
        assert brick._training_mode == [True]
    assert brick._training_mode == []


def test_spatial_batch_normalization():
    brick = SpatialBatchNormalization((3, 4, 5), epsilon=1e-2)
    brick.initialize()
    assert brick.population_mean.get_value().shape == (3, 1, 1)
    assert brick.population_mean.broadcastable == (False, True, True)
    x = tensor.tensor4('x')
    data = _random((2, 3, 4, 5))
    with brick:
        output = function([x], brick.apply(x))(data)
    mean = data.mean(axis=(0, 2, 3), keepdims=True)
    stdev = numpy.sqrt(data.var(axis=(0, 2, 3), keepdims=True) + 1e-2)
    assert_allclose(output, (data - mean) / stdev, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match='length >= 2'):
        SpatialBatchNormalization(5).allocate()


def test_spatial_broadcastable_is_known_before_allocation():
    # As in Blocks: every axis but the channels' is averaged over.
    assert SpatialBatchNormalization((5, 4, 3)).broadcastable == (
        False, True, True)
    assert SpatialBatchNormalization((11, 4)).broadcastable == (False, True)
    assert SpatialBatchNormalization().broadcastable is None


@pytest.mark.parametrize('conserve_memory', [True, False])
def test_inference_rounds_as_theano_batch_normalization(conserve_memory):
    # Theano's 'low_mem' mode divides by the standard deviation, 'high_mem'
    # multiplies by scale / stdev: Blocks' tests compare results exactly.
    brick = BatchNormalization(3, conserve_memory=conserve_memory)
    brick.initialize()
    brick.population_stdev.set_value(numpy.full(3, 3., dtype=floatX))
    x = tensor.matrix('x')
    data = _random((4, 3))
    output = function([x], brick.apply(x))(data)
    expected = (data / numpy.asarray(3., dtype=floatX) if conserve_memory
                else data * (numpy.asarray(1., dtype=floatX) /
                             numpy.asarray(3., dtype=floatX)))
    numpy.testing.assert_array_equal(output, expected)


def test_batch_normalization_in_convolutional_sequence():
    conv = Convolutional((3, 3), 4)
    bn = SpatialBatchNormalization()
    seq = ConvolutionalSequence([conv, bn, Tanh(), MaxPooling((2, 2))],
                                num_channels=2, image_size=(9, 9),
                                weights_init=IsotropicGaussian(0.1),
                                biases_init=Constant(0.))
    seq.initialize()
    assert bn.input_dim == (4, 7, 7)
    assert bn.num_channels == 4 and bn.image_size == (7, 7)
    assert bn.num_output_channels == 4
    assert bn.get_dim('output') == (4, 7, 7)
    assert seq.get_dim('output') == (4, 3, 3)
    with pytest.raises(KeyError):
        bn.get_dim('foo')


def test_image_size_and_num_channels_setters_on_an_int():
    brick = BatchNormalization(5)
    brick.image_size = (3, 4)
    assert brick.input_dim == (None, 3, 4)
    brick = BatchNormalization(5)
    brick.num_channels = 7
    assert brick.input_dim == (7, None, None)


def test_unknown_size_and_mismatched_broadcastable_raise():
    with pytest.raises(ValueError, match='same length'):
        BatchNormalization((3, 4), broadcastable=(True,)).allocate()


def test_batch_normalized_mlp():
    mlp = BatchNormalizedMLP([Tanh(), Tanh()], [5, 7, 9])
    assert all(isinstance(a, Sequence) for a in mlp.activations)
    assert mlp.conserve_memory
    mlp.conserve_memory = False
    assert not any(a.children[0].conserve_memory for a in mlp.activations)
    mlp.allocate()
    assert [a.children[0].input_dim for a in mlp.activations] == [7, 9]
    assert not any(lin.use_bias for lin in mlp.linear_transformations)
    assert all(len(lin.parameters) == 1 for lin in mlp.linear_transformations)


def test_batch_normalized_mlp_pushes_flags():
    mlp = BatchNormalizedMLP([Tanh(), Logistic()], [5, 7, 9],
                             mean_only=True, learn_shift=False)
    mlp.allocate()
    bricks = [a.children[0] for a in mlp.activations]
    assert all(b.mean_only and not b.learn_shift for b in bricks)
    assert all(b.parameters == [] for b in bricks)
    # As in Blocks, the flags reach the bricks at allocation, not before.
    mlp = BatchNormalizedMLP([Tanh()], [3, 4], mean_only=True,
                             learn_scale=False, learn_shift=False)
    brick = mlp.activations[0].children[0]
    assert brick.learn_scale and brick.learn_shift and not brick.mean_only
    mlp.allocate()
    assert not (brick.learn_scale or brick.learn_shift) and brick.mean_only
    mlp = BatchNormalizedMLP([Tanh()], [3, 4])
    mlp.learn_scale = False
    mlp.allocate()
    assert not mlp.activations[0].children[0].learn_scale


def test_batch_normalized_mlp_use_bias_override():
    mlp = BatchNormalizedMLP([Tanh()], [3, 4], use_bias=True)
    mlp.allocate()
    assert mlp.linear_transformations[0].use_bias


def test_batch_normalized_mlp_inference_matches_numpy():
    mlp = BatchNormalizedMLP([Tanh(), Logistic()], [3, 4, 2],
                             weights_init=IsotropicGaussian(0.5))
    mlp.initialize()
    bricks = [a.children[0] for a in mlp.activations]
    for seed, brick in enumerate(bricks):
        _set_statistics(brick, seed)
    x = tensor.matrix('x')
    data = _random((5, 3))
    hidden = data
    for linear, brick, activation in zip(
            mlp.linear_transformations, bricks,
            [numpy.tanh, lambda v: 1 / (1 + numpy.exp(-v))]):
        pre = hidden.dot(linear.W.get_value())
        normalized = ((pre - brick.population_mean.get_value()) /
                      brick.population_stdev.get_value() *
                      brick.scale.get_value() + brick.shift.get_value())
        hidden = activation(normalized)
    assert_allclose(function([x], mlp.apply(x))(data), hidden, rtol=1e-6)


def test_brick_and_graph_pickle():
    brick = BatchNormalization(3)
    brick.initialize()
    x = tensor.matrix('x')
    with brick:
        y = brick.apply(x)
    brick_copy, y_copy = pickle.loads(pickle.dumps((brick, y)))
    assert brick_copy._training_mode == []
    data = _random((4, 3))
    inputs = ComputationGraph(y_copy).inputs
    assert_allclose(function(inputs, y_copy)(data),
                    function([x], y)(data))
