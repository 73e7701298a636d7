"""Parallel, Fork, Distribute and Merge against their definitions."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Linear, MLP, Tanh
from blocks.bricks.parallel import Distribute, Fork, Merge, Parallel
from blocks.bricks.recurrent import GatedRecurrent
from blocks.initialization import Constant, IsotropicGaussian
from blocks.utils import compile_function

floatX = pytensor.config.floatX
RTOL = 1e-5 if floatX == 'float32' else 1e-7


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


def data(rng, *shape):
    return rng.normal(size=shape).astype(floatX)


def affine(linear, value):
    output = value.dot(linear.W.get_value())
    return output + linear.b.get_value() if linear.use_bias else output


def initialized(brick):
    brick.weights_init = IsotropicGaussian(0.5)
    brick.biases_init = IsotropicGaussian(0.5)
    brick.initialize()
    return brick


def test_parallel_applies_one_copy_per_input(rng):
    parallel = initialized(Parallel(
        input_names=['x', 'y'], input_dims=[2, 3], output_dims=[4, 5],
        prototype=Linear(), seed=1))
    assert [child.name for child in parallel.children] == ['transform_x',
                                                           'transform_y']
    x, y = tensor.matrix('x'), tensor.matrix('y')
    x_value, y_value = data(rng, 6, 2), data(rng, 6, 3)
    new_x, new_y = compile_function([x, y], parallel.apply(x=x, y=y))(
        x_value, y_value)
    assert_allclose(new_x, affine(parallel.children[0], x_value), rtol=RTOL)
    assert_allclose(new_y, affine(parallel.children[1], y_value), rtol=RTOL)
    assert parallel.apply.inputs == ['x', 'y'] == parallel.apply.outputs


def test_fork_is_several_transformations_of_one_input(rng):
    fork = initialized(Fork(output_names=['a', 'b', 'c'], input_dim=3,
                            output_dims=[1, 2, 4], seed=2))
    x = tensor.matrix('x')
    x_value = data(rng, 5, 3)
    outputs = compile_function([x], fork.apply(x))(x_value)
    assert [output.shape for output in outputs] == [(5, 1), (5, 2), (5, 4)]
    for output, child in zip(outputs, fork.children):
        assert_allclose(output, affine(child, x_value), rtol=RTOL)
    assert fork.apply.inputs == ['input_']
    assert fork.apply.outputs == ['a', 'b', 'c']
    assert [child.name for child in fork.children] == ['fork_a', 'fork_b',
                                                       'fork_c']


def test_fork_dimensions_are_pushed_lazily_by_a_parent():
    gru = GatedRecurrent(dim=3)
    fork = Fork(output_names=['inputs', 'gate_inputs'], prototype=Linear())
    fork.input_dim = 5
    fork.output_dims = gru.get_dims(fork.output_names)
    fork.allocate()
    assert [child.W.get_value().shape for child in fork.children] == [
        (5, 3), (5, 6)]


def test_distribute_adds_the_transformed_source_to_each_target(rng):
    distribute = initialized(Distribute(
        target_names=['x', 'y'], source_name='z', target_dims=[2, 3],
        source_dim=4, seed=3))
    x, y, z = tensor.matrix('x'), tensor.matrix('y'), tensor.matrix('z')
    values = [data(rng, 5, 2), data(rng, 5, 3), data(rng, 5, 4)]
    new_x, new_y = compile_function([x, y, z],
                                    distribute.apply(x=x, y=y, z=z))(*values)
    assert_allclose(new_x, values[0] + affine(distribute.children[0],
                                              values[2]), rtol=RTOL)
    assert_allclose(new_y, values[1] + affine(distribute.children[1],
                                              values[2]), rtol=RTOL)
    assert distribute.apply.inputs == ['z', 'x', 'y']
    assert not distribute.children[0].use_bias
    with pytest.raises(ValueError, match=r"needs the targets \['x', 'y'\], "
                                         r"got \['x'\]"):
        distribute.apply(x=x, z=z)


def test_merge_is_the_sum_of_the_transformed_inputs(rng):
    merge = initialized(Merge(input_names=['a', 'b'], input_dims=[3, 4],
                              output_dim=2, seed=4))
    a, b = tensor.matrix('a'), tensor.matrix('b')
    a_value, b_value = data(rng, 5, 3), data(rng, 5, 4)
    got = compile_function([a, b], merge.apply(a=a, b=b))(a_value, b_value)
    expected = (affine(merge.children[0], a_value) +
                affine(merge.children[1], b_value))
    assert_allclose(got, expected, rtol=RTOL)
    assert merge.apply.inputs == ['a', 'b'] and merge.apply.outputs == [
        'output']
    # positional inputs are routed by name
    got = compile_function([a, b], merge.apply(a, b))(a_value, b_value)
    assert_allclose(got, expected, rtol=RTOL)


def test_merge_with_an_mlp_prototype(rng):
    merge = Merge(input_names=['a', 'b'], input_dims=[3, 4], output_dim=2,
                  prototype=MLP([Tanh()], [None, None]),
                  weights_init=Constant(0.5), biases_init=Constant(0.))
    merge.initialize()
    a, b = tensor.matrix('a'), tensor.matrix('b')
    got = compile_function([a, b], merge.apply(a=a, b=b))(
        numpy.ones((1, 3), floatX), numpy.ones((1, 4), floatX))
    assert_allclose(got, numpy.tanh([[1.5, 1.5]]) + numpy.tanh([[2., 2.]]),
                    rtol=RTOL)


def test_parallel_rejects_lists_of_different_lengths():
    parallel = Parallel(input_names=['x', 'y'], input_dims=[2],
                        output_dims=[4, 5], prototype=Linear())
    with pytest.raises(ValueError, match="input_dims of length 1"):
        parallel.allocate()


def test_parallel_bricks_pickle_with_their_graphs(rng):
    fork = initialized(Fork(output_names=['a', 'b'], input_dim=2,
                            output_dims=[3, 1], seed=5))
    x = tensor.matrix('x')
    outputs = fork.apply(x)
    fork2, x2, outputs2 = pickle.loads(pickle.dumps((fork, x, outputs)))
    x_value = data(rng, 2, 2)
    for got, expected in zip(compile_function([x2], outputs2)(x_value),
                             compile_function([x], outputs)(x_value)):
        assert_allclose(got, expected, rtol=0, atol=0)
    assert fork2.apply.outputs == ['a', 'b']
