"""Batch-normalization graph transformations against NumPy."""
import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import (BatchNormalization, BatchNormalizedMLP, Linear,
                           Sequence, Tanh)
from blocks.graph import (ComputationGraph, apply_batch_normalization,
                          batch_normalization,
                          get_batch_normalization_updates)
from blocks.initialization import Constant, IsotropicGaussian

floatX = pytensor.config.floatX


def function(inputs, outputs, **kwargs):
    return pytensor.function(inputs, outputs, mode='FAST_COMPILE', **kwargs)


def _mlp():
    mlp = BatchNormalizedMLP([Tanh(), Tanh()], [4, 5, 3],
                             weights_init=IsotropicGaussian(0.5),
                             biases_init=Constant(0))
    mlp.initialize()
    return mlp


def _data(seed=0, shape=(6, 4)):
    return numpy.random.default_rng(seed).normal(1., 2., size=shape).astype(
        floatX)


def _numpy_training_forward(mlp, data):
    """The MLP with every BN brick normalizing with batch statistics."""
    hidden, statistics = data, []
    for linear, sequence in zip(mlp.linear_transformations, mlp.activations):
        brick = sequence.children[0]
        pre = hidden.dot(linear.W.get_value())
        mean, var = pre.mean(axis=0), pre.var(axis=0)
        stdev = numpy.sqrt(var + brick.epsilon)
        statistics.append((mean, stdev))
        hidden = numpy.tanh((pre - mean) / stdev * brick.scale.get_value() +
                            brick.shift.get_value())
    return hidden, statistics


def test_apply_batch_normalization_matches_numpy():
    mlp = _mlp()
    x = tensor.matrix('x')
    y = mlp.apply(x)
    graph = apply_batch_normalization(ComputationGraph([y]))
    data = _data()
    expected, _ = _numpy_training_forward(mlp, data)
    assert_allclose(function([x], graph.outputs[0])(data), expected,
                    rtol=1e-6)
    # The inference graph is unchanged: population statistics 0 and 1.
    inference = data
    for linear in mlp.linear_transformations:
        inference = numpy.tanh(inference.dot(linear.W.get_value()))
    assert_allclose(function([x], y)(data), inference, rtol=1e-6)


def test_context_manager_gives_the_same_training_graph():
    mlp = _mlp()
    x = tensor.matrix('x')
    with batch_normalization(mlp):
        y = mlp.apply(x)
    assert all(not seq.children[0]._training_mode
               for seq in mlp.activations)
    data = _data(1)
    expected, _ = _numpy_training_forward(mlp, data)
    assert_allclose(function([x], y)(data), expected, rtol=1e-6)
    # Applications already in training mode are left alone.
    again = apply_batch_normalization(ComputationGraph([y]))
    assert_allclose(function([x], again.outputs[0])(data), expected,
                    rtol=1e-6)


def test_context_manager_exits_on_error():
    mlp = _mlp()
    with pytest.raises(RuntimeError):
        with batch_normalization(mlp):
            raise RuntimeError
    assert all(not seq.children[0]._training_mode for seq in mlp.activations)


def test_population_updates_with_alpha_match_a_numpy_moving_average():
    mlp = _mlp()
    x = tensor.matrix('x')
    graph = apply_batch_normalization(ComputationGraph([mlp.apply(x)]))
    pairs = get_batch_normalization_updates(graph)
    bricks = [seq.children[0] for seq in mlp.activations]
    populations = [b.population_mean for b in bricks] + [
        b.population_stdev for b in bricks]
    assert [p for p, _ in pairs] == populations
    alpha = 0.1
    updates = [(p, m * alpha + p * (1 - alpha)) for p, m in pairs]
    step = function([x], [], updates=updates)
    means = [numpy.zeros(5), numpy.zeros(3)]
    stdevs = [numpy.ones(5), numpy.ones(3)]
    for seed in range(3):
        data = _data(seed)
        _, statistics = _numpy_training_forward(mlp, data)
        step(data)
        for i, (mean, stdev) in enumerate(statistics):
            means[i] = mean * alpha + means[i] * (1 - alpha)
            stdevs[i] = stdev * alpha + stdevs[i] * (1 - alpha)
    for brick, mean, stdev in zip(bricks, means, stdevs):
        assert_allclose(brick.population_mean.get_value(), mean, rtol=1e-6)
        assert_allclose(brick.population_stdev.get_value(), stdev, rtol=1e-6)


def test_updates_need_a_training_graph():
    mlp = _mlp()
    x = tensor.matrix('x')
    with pytest.raises(ValueError, match='no training mode'):
        get_batch_normalization_updates(ComputationGraph([mlp.apply(x)]))


def test_duplicate_applications():
    brick = BatchNormalization(3)
    brick.initialize()
    x = tensor.matrix('x')
    with batch_normalization(brick):
        y = brick.apply(x) + brick.apply(2 * x)
    graph = ComputationGraph([y])
    with pytest.raises(ValueError, match='allow_duplicates'):
        get_batch_normalization_updates(graph)
    pairs = get_batch_normalization_updates(graph, allow_duplicates=True)
    assert len(pairs) == 4
    assert {p for p, _ in pairs} == {brick.population_mean,
                                     brick.population_stdev}


def test_apply_batch_normalization_inside_a_larger_model():
    linear = Linear(3, 2, weights_init=Constant(1.), biases_init=Constant(0.))
    brick = BatchNormalization(2)
    sequence = Sequence([linear.apply, brick.apply])
    sequence.initialize()
    x = tensor.matrix('x')
    y = sequence.apply(x)
    cost = (y ** 2).sum()
    graph = apply_batch_normalization(ComputationGraph([cost]))
    data = _data(2, (4, 3))
    pre = data.sum(axis=1, keepdims=True) * numpy.ones((1, 2))
    normalized = (pre - pre.mean(0)) / numpy.sqrt(pre.var(0) + 1e-4)
    assert_allclose(function([x], graph.outputs[0])(data),
                    (normalized ** 2).sum(), rtol=1e-6)
    # Gradients flow to the scale and shift.
    grads = pytensor.grad(graph.outputs[0], [brick.scale, brick.shift])
    values = function([x], grads)(data)
    assert_allclose(values[0], 2 * (normalized ** 2).sum(axis=0), rtol=1e-6)
    assert_allclose(values[1], 2 * normalized.sum(axis=0), atol=1e-6)
