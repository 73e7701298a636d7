"""Tests of Model: top bricks, hierarchical parameter names and values."""
import logging
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Linear, MLP, Tanh
from blocks.filter import VariableFilter
from blocks.graph import apply_dropout, ComputationGraph
from blocks.initialization import Constant
from blocks.model import Model
from blocks.roles import add_role, INPUT, PARAMETER
from blocks.utils import shared_floatx

floatX = pytensor.config.floatX


def build_model():
    x = tensor.matrix('x')
    mlp1 = MLP([Tanh(), Tanh()], [10, 10, 10], name='mlp1')
    mlp2 = MLP([Tanh()], [10, 10], name='mlp2')
    h1 = mlp1.apply(x)
    h2 = mlp2.apply(x)
    return mlp1, mlp2, Model(h1 + h2)


def test_model_is_a_computation_graph():
    _, _, model = build_model()
    assert isinstance(model, ComputationGraph)
    assert [var.name for var in model.inputs] == ['x']
    assert len(model.parameters) == 6


def test_model_top_bricks():
    mlp1, mlp2, model = build_model()
    assert model.get_top_bricks() == [mlp1, mlp2] or \
        model.get_top_bricks() == [mlp2, mlp1]
    assert len(model.get_top_bricks()) == 2


def test_model_parameter_dict():
    mlp1, mlp2, model = build_model()
    assert set(model.get_parameter_dict()) == {
        '/mlp1/linear_0.W', '/mlp1/linear_0.b', '/mlp1/linear_1.W',
        '/mlp1/linear_1.b', '/mlp2/linear_0.W', '/mlp2/linear_0.b'}
    assert model.get_parameter_dict()['/mlp1/linear_1.W'] is \
        mlp1.linear_transformations[1].W
    assert list(model.get_parameter_dict().values()) == model.parameters


def test_model_parameter_without_brick():
    x = tensor.vector('x')
    gain = shared_floatx(numpy.ones(3), name='gain')
    add_role(gain, PARAMETER)
    model = Model(gain * x)
    assert list(model.get_parameter_dict()) == ['gain']


def test_model_duplicate_names():
    x = tensor.matrix('x')
    with pytest.raises(ValueError, match="top bricks with the same name: "
                                         "mlp"):
        Model(MLP([Tanh()], [2, 2]).apply(x) + MLP([Tanh()], [2, 2]).apply(x))
    first = shared_floatx(numpy.ones(2), name='gain')
    second = shared_floatx(numpy.ones(2), name='gain')
    add_role(first, PARAMETER)
    add_role(second, PARAMETER)
    with pytest.raises(ValueError, match="parameters with the same "
                                         "hierarchical name: 'gain'"):
        Model(first * second)


def test_model_parameter_values_round_trip():
    mlp1, _, model = build_model()
    for i, parameter in enumerate(model.parameters):
        parameter.set_value(
            numpy.full(parameter.get_value().shape, i, dtype=floatX))
    values = model.get_parameter_values()
    assert list(values) == list(model.get_parameter_dict())
    saved = {name: value.copy() for name, value in values.items()}
    for parameter in model.parameters:
        parameter.set_value(numpy.zeros_like(parameter.get_value()))
    model.set_parameter_values(saved)
    for name, value in model.get_parameter_values().items():
        assert_allclose(value, saved[name])
        assert value.dtype == floatX


def test_model_set_parameter_values_casts_dtype():
    linear = Linear(2, 1, weights_init=Constant(0.), biases_init=Constant(0.))
    linear.initialize()
    model = Model(linear.apply(tensor.matrix('x')))
    model.set_parameter_values(
        {'/linear.W': numpy.array([[1.5], [2.5]], dtype='float64'),
         '/linear.b': numpy.array([3], dtype='int64')})
    assert linear.W.get_value().tolist() == [[1.5], [2.5]]
    assert linear.b.get_value().tolist() == [3.]
    assert linear.b.get_value().dtype == floatX


def test_model_set_parameter_values_shape_mismatch():
    linear = Linear(2, 3, weights_init=Constant(0.), biases_init=Constant(0.))
    linear.initialize()
    model = Model(linear.apply(tensor.matrix('x')))
    with pytest.raises(ValueError, match=r"Shape mismatch for parameter: "
                                         r"/linear\.W\. Expected \(2, 3\), "
                                         r"got \(3, 2\)\."):
        model.set_parameter_values({'/linear.b': numpy.ones(3),
                                    '/linear.W': numpy.ones((3, 2))})
    # nothing was set
    assert linear.b.get_value().tolist() == [0., 0., 0.]


def test_model_set_parameter_values_logs_unknown_and_missing(caplog):
    linear = Linear(2, 1, weights_init=Constant(0.), biases_init=Constant(0.))
    linear.initialize()
    model = Model(linear.apply(tensor.matrix('x')))
    with caplog.at_level(logging.ERROR, logger='blocks.model'):
        model.set_parameter_values({'/linear.W': numpy.ones((2, 1)),
                                    '/other.W': numpy.ones(2)})
    assert "unknown parameter names: ['/other.W']" in caplog.text
    assert "missing values for parameters: ['/linear.b']" in caplog.text
    assert linear.W.get_value().tolist() == [[1.], [1.]]


def test_model_pickles_with_dropout():
    _, _, model = build_model()
    dropped = apply_dropout(model, VariableFilter(roles=[INPUT])(
        model.variables), 0.5)
    dropped_model = Model(dropped.outputs)
    copy = pickle.loads(pickle.dumps(dropped_model))
    assert list(copy.get_parameter_dict()) == \
        list(dropped_model.get_parameter_dict())
    assert [brick.name for brick in copy.get_top_bricks()] == \
        [brick.name for brick in dropped_model.get_top_bricks()]


def test_check_sanity_warns_when_the_algorithm_minimizes_another_cost(
        caplog):
    from blocks.algorithms import GradientDescent
    x = tensor.matrix('x')
    linear = Linear(2, 1)
    cost = linear.apply(x).sum()
    regularized = cost + (linear.W ** 2).sum()
    with caplog.at_level('WARNING', logger='blocks.model'):
        Model(regularized).check_sanity(GradientDescent(
            cost=regularized, parameters=[linear.W, linear.b]))
    assert not caplog.records
    with caplog.at_level('WARNING', logger='blocks.model'):
        Model(cost).check_sanity(GradientDescent(
            cost=regularized, parameters=[linear.W, linear.b]))
    assert "is not the cost" in caplog.text
