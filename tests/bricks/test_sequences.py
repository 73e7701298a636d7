"""Sequence, FeedforwardSequence and MLP against NumPy."""
import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import (FeedforwardSequence, Identity, Linear, Logistic,
                           MLP, Rectifier, Sequence, Softmax, Tanh)
from blocks.bricks.base import NoneAllocation
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.utils import compile_function

floatX = pytensor.config.floatX


@pytest.fixture
def rng():
    return numpy.random.default_rng(4321)


def data(rng, *shape):
    return rng.normal(size=shape).astype(floatX)


def numpy_softmax(x):
    e = numpy.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_sequence_of_bricks_and_applications(rng):
    linear = Linear(3, 2, weights_init=IsotropicGaussian(), use_bias=False,
                    seed=1)
    linear.initialize()
    sequence = Sequence([linear.apply, Tanh(), Rectifier().apply])
    assert [child.name for child in sequence.children] == [
        'linear', 'tanh', 'rectifier']
    assert sequence.apply.inputs == ['input_']
    assert sequence.apply.outputs == ['output']
    x, x_val = tensor.matrix('x'), data(rng, 4, 3)
    y = sequence.apply(x)
    assert y.name == 'sequence_apply_output'
    out = compile_function([x], y)(x_val)
    expected = numpy.maximum(numpy.tanh(x_val @ linear.W.get_value()), 0)
    assert_allclose(out, expected, rtol=1e-5)


def test_sequence_lists_a_repeated_brick_once():
    tanh = Tanh()
    sequence = Sequence([tanh, tanh.apply])
    assert sequence.children == [tanh]
    x = tensor.vector('x')
    value = numpy.array([0.5], dtype=floatX)
    assert_allclose(sequence.apply(x).eval({x: value}),
                    numpy.tanh(numpy.tanh(value)), rtol=1e-6)


def test_sequence_needs_an_application():
    with pytest.raises(ValueError, match="at least one"):
        Sequence([])


def test_feedforward_sequence_dimensions():
    first, last = Linear(), Linear()
    sequence = FeedforwardSequence([first.apply, Tanh().apply, last.apply])
    sequence.input_dim = 3
    sequence.output_dim = 5
    assert (first.input_dim, last.output_dim) == (3, 5)
    assert (sequence.input_dim, sequence.output_dim) == (3, 5)


def test_mlp_matches_numpy(rng):
    mlp = MLP([Tanh(), Logistic(), Softmax()], [4, 5, 3, 2],
              weights_init=IsotropicGaussian(0.5), biases_init=Constant(0.1),
              seed=5)
    mlp.initialize()
    assert [c.name for c in mlp.children] == [
        'linear_0', 'tanh', 'linear_1', 'logistic', 'linear_2', 'softmax']
    x, x_val = tensor.matrix('x'), data(rng, 6, 4)
    out = compile_function([x], mlp.apply(x))(x_val)
    h = x_val
    functions = [numpy.tanh, lambda v: 1 / (1 + numpy.exp(-v)),
                 numpy_softmax]
    for layer, function in zip(mlp.linear_transformations, functions):
        assert_allclose(layer.b.get_value(), 0.1)
        h = function(h @ layer.W.get_value() + layer.b.get_value())
    assert out.shape == (6, 2)
    assert_allclose(out, h, rtol=1e-5)
    assert len(ComputationGraph(mlp.apply(x)).parameters) == 6


def test_mlp_with_none_activations(rng):
    mlp = MLP([None, Identity(), None], [2, 3, 3, 1],
              weights_init=Constant(1.), biases_init=Constant(0.5))
    mlp.initialize()
    assert [c.name for c in mlp.children] == [
        'linear_0', 'linear_1', 'identity', 'linear_2']
    x = tensor.matrix('x')
    out = mlp.apply(x).eval({x: numpy.ones((1, 2), dtype=floatX)})
    # (2 + .5) * 3 + .5 = 8, then 8 * 3 + .5
    assert out.tolist() == [[24.5]]


def test_mlp_dimensions_are_pushed_to_the_layers():
    mlp = MLP([Tanh(), None], [16, 8, 4])
    mlp.push_allocation_config()
    dims = [(layer.input_dim, layer.output_dim) for layer in mlp.linear_transformations]
    assert dims == [(16, 8), (8, 4)]
    assert (mlp.input_dim, mlp.output_dim) == (16, 4)


def test_mlp_lazy_dims():
    mlp = MLP([Tanh(), Tanh()], weights_init=Constant(0.),
              biases_init=Constant(0.))
    assert mlp.input_dim is NoneAllocation
    assert mlp.dims == [NoneAllocation] * 3
    mlp.input_dim = 3
    mlp.dims[1] = 4
    mlp.output_dim = 2
    assert mlp.dims == [3, 4, 2]
    mlp.initialize()
    assert mlp.linear_transformations[1].W.get_value().shape == (4, 2)


@pytest.mark.parametrize('dims', [None, []])
def test_mlp_dims_none_or_empty_are_not_known_yet(dims):
    mlp = MLP([Tanh(), None], dims)
    assert mlp.dims == [NoneAllocation] * 3
    with pytest.raises(ValueError, match='allocation config not set'):
        mlp.linear_transformations[0].allocate()
    mlp.dims = [2, 3, 4]
    mlp.allocate()
    assert mlp.linear_transformations[1].W.get_value().shape == (3, 4)


def test_mlp_dims_length_is_checked_at_allocation():
    # As in Blocks: a parent may complete the list before allocation.
    mlp = MLP([Tanh(), None], [4, 2])
    with pytest.raises(ValueError, match=r"dims must list one more "
                                         r"dimension than there are "):
        mlp.allocate()
    mlp.dims = [3] + mlp.dims
    mlp.allocate()
    assert mlp.linear_transformations[0].W.get_value().shape == (3, 4)


def test_mlp_activations_must_be_a_list():
    with pytest.raises(TypeError, match="activations must be a list"):
        MLP(Tanh(), [3, 4])


def test_mlp_pushes_use_bias():
    mlp = MLP([Tanh(), None], [3, 4, 2], use_bias=False)
    mlp.allocate()
    for layer in mlp.linear_transformations:
        assert layer.use_bias is False
        assert [p.name for p in layer.parameters] == ['W']
    # Without an explicit use_bias, the layers keep theirs
    mlp = MLP([Tanh(), None], [3, 4, 2])
    mlp.linear_transformations[1].use_bias = False
    mlp.allocate()
    assert len(mlp.linear_transformations[0].parameters) == 2
    assert len(mlp.linear_transformations[1].parameters) == 1


def test_mlp_pushes_initialization():
    mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=Constant(2.),
              biases_init=Constant(-1.))
    mlp.initialize()
    for layer in mlp.linear_transformations:
        assert (layer.W.get_value() == 2).all()
        assert (layer.b.get_value() == -1).all()


def test_mlp_prototype():
    prototype = Linear(use_bias=False)
    mlp = MLP([Tanh(), None], [3, 4, 2], prototype=prototype,
              weights_init=Constant(1.))
    mlp.initialize()
    assert prototype not in mlp.children
    assert not prototype.allocated
    for i, layer in enumerate(mlp.linear_transformations):
        assert layer is not prototype and type(layer) is Linear
        assert layer.name == 'linear_{}'.format(i)
        assert [p.name for p in layer.parameters] == ['W']


def test_mlp_prototype_of_a_subclass_names_the_layers():
    class Affine(Linear):
        pass
    mlp = MLP([Tanh(), None], [3, 4, 2], prototype=Affine())
    assert [c.name for c in mlp.children] == ['affine_0', 'tanh',
                                              'affine_1']
    assert all(type(layer) is Affine for layer in mlp.linear_transformations)


def test_mlp_seed_is_shared_with_the_layers(rng):
    def build(seed):
        mlp = MLP([Tanh(), None], [3, 4, 2],
                  weights_init=IsotropicGaussian(), biases_init=Constant(0),
                  seed=seed)
        mlp.initialize()
        return numpy.concatenate([layer.W.get_value().ravel()
                                  for layer in mlp.linear_transformations])
    assert_allclose(build(7), build(7))
    assert not numpy.allclose(build(7), build(8))
