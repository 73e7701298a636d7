"""LookupTable against NumPy indexing."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks.lookup import LookupTable
from blocks.graph import ComputationGraph
from blocks.initialization import IsotropicGaussian
from blocks.roles import has_roles, WEIGHT
from blocks.utils import compile_function

floatX = pytensor.config.floatX


def table(length=5, dim=3):
    lookup = LookupTable(length, dim, weights_init=IsotropicGaussian(1.),
                         seed=7)
    lookup.initialize()
    return lookup


@pytest.mark.parametrize('shape', [(4,), (2, 3), (2, 3, 2)])
def test_lookup_table_matches_numpy_indexing(shape):
    lookup = table()
    indices = tensor.tensor('indices', dtype='int64', shape=(None,) * len(shape))
    index_values = numpy.random.default_rng(0).integers(0, 5, size=shape)
    got = compile_function([indices], lookup.apply(indices))(index_values)
    expected = lookup.W.get_value()[index_values]
    assert got.shape == shape + (3,) and got.dtype == floatX
    assert_allclose(got, expected, rtol=0, atol=0)


def test_lookup_table_gradient_accumulates_repeated_indices():
    lookup = table()
    indices = tensor.lvector('indices')
    cost = lookup.apply(indices).sum()
    gradient = compile_function([indices], pytensor.grad(cost, lookup.W))(
        numpy.array([1, 1, 4]))
    expected = numpy.zeros((5, 3))
    expected[1] = 2
    expected[4] = 1
    assert_allclose(gradient, expected)


def test_lookup_table_parameters_and_dims():
    lookup = table(length=6, dim=2)
    assert lookup.W.get_value().shape == (6, 2)
    assert has_roles(lookup.W, [WEIGHT])
    assert lookup.get_dim('output') == 2 == lookup.output_dim
    assert lookup.get_dim('indices') == 0 == lookup.input_dim
    lookup.output_dim = 4
    assert lookup.dim == 4
    indices = tensor.lvector('indices')
    assert ComputationGraph(lookup.apply(indices)).parameters == [lookup.W]


def test_lookup_table_rejects_float_indices_and_input_dims():
    lookup = table()
    with pytest.raises(TypeError, match=r"integer dtype, got 'float"):
        lookup.apply(tensor.vector('x'))
    with pytest.raises(ValueError, match=r"input_dim can only be 0, got 3"):
        lookup.input_dim = 3
    with pytest.raises(ValueError, match="allocation config not set: length"):
        LookupTable(dim=2).allocate()


def test_lookup_table_pickles():
    lookup = table()
    indices = tensor.lvector('indices')
    output = lookup.apply(indices)
    lookup2, indices2, output2 = pickle.loads(pickle.dumps(
        (lookup, indices, output)))
    assert_allclose(lookup2.W.get_value(), lookup.W.get_value())
    assert_allclose(compile_function([indices2], output2)([0, 3]),
                    lookup.W.get_value()[[0, 3]])
