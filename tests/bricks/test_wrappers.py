"""WithExtraDims: applications that accept extra leading dimensions."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Brick, Linear, WithExtraDims, application
from blocks.bricks.base import Application
from blocks.bricks.wrappers import BrickWrapper
from blocks.initialization import Constant, IsotropicGaussian
from blocks.utils import compile_function

floatX = pytensor.config.floatX


class RowSums(Brick):
    """Works on matrices only: the sum and the max of each row."""
    @application(inputs=['x', 'y'], outputs=['sums', 'maxima'])
    def apply(self, x, y):
        if x.ndim != 2 or y.ndim != 2:
            raise ValueError("matrices only")
        return (x + y).sum(axis=1), (x * y).max(axis=1)


class RowSumsWithExtraDims(RowSums):
    decorators = [WithExtraDims()]


class LinearWithExtraDims(Linear):
    decorators = [WithExtraDims()]


@pytest.fixture
def rng():
    return numpy.random.default_rng(7)


def data(rng, *shape):
    return rng.normal(size=shape).astype(floatX)


def test_wrapped_application_handles_extra_dimensions(rng):
    x, y = tensor.tensor4('x'), tensor.tensor4('y')
    x_val, y_val = data(rng, 2, 3, 4, 5), data(rng, 2, 3, 4, 5)
    brick = RowSumsWithExtraDims()
    sums, maxima = brick.apply(x, y, extra_ndim=2)
    assert sums.ndim == 3 and maxima.ndim == 3
    assert sums.name == 'rowsumswithextradims_apply_sums'
    sums_val, maxima_val = compile_function([x, y], [sums, maxima])(
        x_val, y_val)
    assert_allclose(sums_val, (x_val + y_val).sum(axis=3), rtol=1e-5)
    assert_allclose(maxima_val, (x_val * y_val).max(axis=3), rtol=1e-6)


def test_wrapped_application_with_keyword_inputs(rng):
    x, y = tensor.tensor3('x'), tensor.tensor3('y')
    x_val, y_val = data(rng, 2, 3, 4), data(rng, 2, 3, 4)
    sums, _ = RowSumsWithExtraDims().apply(y=y, x=x, extra_ndim=1)
    assert_allclose(compile_function([x, y], sums)(x_val, y_val),
                    (x_val + y_val).sum(axis=2), rtol=1e-5)


def test_without_extra_ndim_the_application_is_unchanged(rng):
    x, y = tensor.matrix('x'), tensor.matrix('y')
    x_val, y_val = data(rng, 3, 4), data(rng, 3, 4)
    sums, _ = RowSumsWithExtraDims().apply(x, y)
    assert_allclose(compile_function([x, y], sums)(x_val, y_val),
                    (x_val + y_val).sum(axis=1), rtol=1e-5)
    with pytest.raises(ValueError, match="matrices only"):
        RowSumsWithExtraDims().apply(tensor.tensor3(), tensor.tensor3())


def test_wrapped_application_delegates_its_attributes():
    brick = RowSumsWithExtraDims()
    assert brick.apply.inputs == ['x', 'y']
    assert brick.apply.outputs == ['sums', 'maxima']
    assert isinstance(RowSumsWithExtraDims.apply, Application)
    assert RowSumsWithExtraDims.apply is not RowSums.apply
    assert 'extra_ndim' in RowSumsWithExtraDims.apply.__doc__
    # The base class is untouched
    assert RowSums.apply.inputs == ['x', 'y']


def test_wrapped_linear_matches_numpy(rng):
    linear = LinearWithExtraDims(4, 3, weights_init=IsotropicGaussian(),
                                 biases_init=Constant(1.), seed=2)
    linear.initialize()
    x, x_val = tensor.tensor3('x'), data(rng, 2, 5, 4)
    out = compile_function([x], linear.apply(x, extra_ndim=1))(x_val)
    assert out.shape == (2, 5, 3)
    assert_allclose(out, x_val @ linear.W.get_value() + 1., rtol=1e-5)


def test_wrapped_brick_pickles(rng):
    brick = RowSumsWithExtraDims()
    x, y = tensor.tensor3('x'), tensor.tensor3('y')
    sums, _ = brick.apply(x, y, extra_ndim=1)
    clone_brick, clone_x, clone_y, clone_sums = pickle.loads(
        pickle.dumps((brick, x, y, sums)))
    assert clone_brick.apply.outputs == ['sums', 'maxima']
    x_val, y_val = data(rng, 2, 3, 4), data(rng, 2, 3, 4)
    assert_allclose(
        compile_function([clone_x, clone_y], clone_sums)(x_val, y_val),
        (x_val + y_val).sum(axis=2), rtol=1e-5)


@pytest.mark.parametrize('extra_ndim', [-1, 1.5, '1'])
def test_bad_extra_ndim(extra_ndim):
    with pytest.raises(ValueError, match="extra_ndim must be a non-negative "
                                         "integer"):
        RowSumsWithExtraDims().apply(tensor.matrix(), tensor.matrix(),
                                     extra_ndim=extra_ndim)


def test_brick_wrapper_is_abstract():
    with pytest.raises(NotImplementedError):
        BrickWrapper().wrap(RowSums.apply, {})
