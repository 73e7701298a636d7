"""Initialization schemes: shapes, dtypes and statistics."""
import re

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose

from blocks.initialization import (Constant, Identity, IsotropicGaussian,
                                   NdarrayInitialization, Orthogonal, Sparse,
                                   SparseND, Uniform)
from blocks.utils import shared_floatx_nans

floatX = pytensor.config.floatX
ATOL = 1e-5 if floatX == 'float32' else 1e-10


def rng(seed=1):
    return numpy.random.RandomState(seed)


def check(array, shape):
    assert array.shape == shape
    assert array.dtype == floatX


# Constant

def test_constant_scalar():
    for shape in [(3,), (2, 3), (2, 3, 4)]:
        values = Constant(5).generate(rng(), shape)
        check(values, shape)
        assert (values == 5).all()


def test_constant_broadcasts_arrays():
    values = Constant([1., 2., 3.]).generate(rng(), (2, 3))
    check(values, (2, 3))
    assert values.tolist() == [[1., 2., 3.], [1., 2., 3.]]
    values = Constant([[1.], [2.]]).generate(rng(), (2, 3))
    assert values.tolist() == [[1., 1., 1.], [2., 2., 2.]]


def test_constant_that_does_not_broadcast():
    with pytest.raises(ValueError):
        Constant([1., 2.]).generate(rng(), (2, 3))


# IsotropicGaussian

def test_isotropic_gaussian_statistics():
    values = IsotropicGaussian(std=2., mean=1.).generate(rng(), (300, 200))
    check(values, (300, 200))
    assert abs(values.mean() - 1.) < 0.02
    assert abs(values.std() - 2.) < 0.02


def test_isotropic_gaussian_defaults_and_argument_order():
    scheme = IsotropicGaussian(0.5)
    assert (scheme.std, scheme.mean) == (0.5, 0)
    assert IsotropicGaussian().std == 1
    values = scheme.generate(rng(), (200, 200))
    assert abs(values.std() - 0.5) < 0.01 and abs(values.mean()) < 0.01


def test_isotropic_gaussian_is_reproducible():
    first = IsotropicGaussian().generate(rng(3), (4, 5))
    second = IsotropicGaussian().generate(rng(3), (4, 5))
    assert (first == second).all()
    assert not (first == IsotropicGaussian().generate(rng(4), (4, 5))).all()


def test_isotropic_gaussian_rejects_negative_std():
    with pytest.raises(ValueError, match="std must be non-negative, got -1"):
        IsotropicGaussian(-1)


# Uniform

def test_uniform_width():
    values = Uniform(mean=1., width=4.).generate(rng(), (300, 200))
    check(values, (300, 200))
    assert values.min() >= -1. and values.max() <= 3.
    assert values.min() < -0.99 and values.max() > 2.99
    assert abs(values.mean() - 1.) < 0.02
    assert abs(values.std() - 4. / numpy.sqrt(12)) < 0.01


def test_uniform_std():
    scheme = Uniform(std=0.5)
    assert_allclose(scheme.width, 0.5 * numpy.sqrt(12))
    values = scheme.generate(rng(), (300, 200))
    assert abs(values.std() - 0.5) < 0.005
    half_width = 0.5 * numpy.sqrt(3)
    assert values.min() >= -half_width and values.max() <= half_width


@pytest.mark.parametrize('kwargs', [{}, {'width': 1., 'std': 1.}])
def test_uniform_needs_exactly_one_of_width_and_std(kwargs):
    with pytest.raises(ValueError, match="must specify width or std, but "
                                         "not both"):
        Uniform(**kwargs)


# Identity

def test_identity_square_and_rectangular():
    values = Identity().generate(rng(), (3, 3))
    check(values, (3, 3))
    assert (values == numpy.eye(3)).all()
    assert Identity(2.).generate(rng(), (2, 3)).tolist() == [
        [2., 0., 0.], [0., 2., 0.]]
    assert Identity().generate(rng(), (3, 2)).tolist() == [
        [1., 0.], [0., 1.], [0., 0.]]


def test_identity_needs_a_matrix():
    with pytest.raises(ValueError, match=r"2D arrays only, got shape "
                                         r"\(2, 2, 2\)"):
        Identity().generate(rng(), (2, 2, 2))


# Orthogonal

def test_orthogonal_square():
    W = Orthogonal().generate(rng(), (20, 20))
    check(W, (20, 20))
    assert_allclose(W @ W.T, numpy.eye(20), atol=ATOL)
    assert_allclose(W.T @ W, numpy.eye(20), atol=ATOL)


@pytest.mark.parametrize('shape', [(5, 8), (8, 5)])
def test_orthogonal_rectangular(shape):
    W = Orthogonal().generate(rng(), shape)
    check(W, shape)
    n = min(shape)
    if shape[0] <= shape[1]:
        # Orthonormal rows
        assert_allclose(W @ W.T, numpy.eye(n), atol=ATOL)
    else:
        # Orthonormal columns
        assert_allclose(W.T @ W, numpy.eye(n), atol=ATOL)


def test_orthogonal_scale():
    W = Orthogonal(scale=3.).generate(rng(), (6, 6))
    assert_allclose(W @ W.T, 9 * numpy.eye(6), atol=10 * ATOL)
    W = Orthogonal(scale=0.5).generate(rng(), (4, 6))
    assert_allclose(W @ W.T, 0.25 * numpy.eye(4), atol=ATOL)


def test_orthogonal_needs_a_matrix():
    with pytest.raises(ValueError, match="2D arrays only"):
        Orthogonal().generate(rng(), (4,))


# Sparse

def test_sparse_integer_row_counts():
    W = Sparse(num_init=3, weights_init=Constant(1.)).generate(rng(),
                                                               (10, 7))
    check(W, (10, 7))
    assert ((W != 0).sum(axis=1) == 3).all()
    assert set(numpy.unique(W).tolist()) == {0., 1.}
    # The initialized positions vary between rows
    assert len({tuple(row) for row in W.tolist()}) > 1


def test_sparse_fraction_row_counts():
    W = Sparse(num_init=0.5, weights_init=Constant(2.)).generate(rng(),
                                                                 (6, 10))
    assert ((W == 2).sum(axis=1) == 5).all()
    assert ((W == 0).sum(axis=1) == 5).all()


def test_sparse_init_fills_the_rest():
    W = Sparse(num_init=2, weights_init=Constant(1.),
               sparse_init=Constant(-1.)).generate(rng(), (4, 5))
    assert ((W == 1).sum(axis=1) == 2).all()
    assert ((W == -1).sum(axis=1) == 3).all()


def test_sparse_random_weights():
    W = Sparse(num_init=4, weights_init=IsotropicGaussian(1.)).generate(
        rng(), (50, 20))
    assert ((W != 0).sum(axis=1) == 4).all()
    nonzero = W[W != 0]
    assert abs(nonzero.std() - 1.) < 0.15


@pytest.mark.parametrize('num_init', [0, -2, 1.5, 0.])
def test_sparse_rejects_bad_num_init(num_init):
    with pytest.raises(ValueError, match="num_init must be"):
        Sparse(num_init=num_init, weights_init=Constant(1.))


def test_sparse_more_weights_than_columns():
    with pytest.raises(ValueError, match="cannot initialize 6 weights per "
                                         "row of a matrix with 5 columns"):
        Sparse(num_init=6, weights_init=Constant(1.)).generate(rng(), (2, 5))


def test_sparse_nd_counts_per_unit():
    W = SparseND(axis=(0, 1), num_init=3, weights_init=Constant(1.)).generate(
        rng(), (2, 4, 3, 5))
    check(W, (2, 4, 3, 5))
    assert ((W != 0).sum(axis=(2, 3)) == 3).all()


def test_sparse_nd_single_and_negative_axes():
    W = SparseND(axis=1, num_init=2, weights_init=Constant(1.)).generate(
        rng(), (3, 4, 5))
    check(W, (3, 4, 5))
    assert ((W != 0).sum(axis=(0, 2)) == 2).all()
    W = SparseND(axis=-1, num_init=0.5, weights_init=Constant(1.)).generate(
        rng(), (4, 6))
    # Units along the last axis, each with half of its 4 elements set
    assert ((W != 0).sum(axis=0) == 2).all()


def test_sparse_nd_rejects_bad_axis():
    with pytest.raises(ValueError, match="axis must be an integer or a "
                                         "sequence of integers"):
        SparseND(axis=(0, 'a'), num_init=1, weights_init=Constant(1.))


# initialize()

def test_initialize_sets_the_shared_variable():
    variable = shared_floatx_nans((3, 2))
    IsotropicGaussian(0.1).initialize(variable, rng())
    value = variable.get_value()
    check(value, (3, 2))
    assert numpy.isfinite(value).all()
    assert_allclose(value, IsotropicGaussian(0.1).generate(rng(), (3, 2)))


def test_initialize_with_an_explicit_shape_checks_it():
    variable = shared_floatx_nans((3, 2))
    with pytest.raises(ValueError, match=r"generated an array of shape "
                                         r"\(3, 2\) for .* of shape "
                                         r"\(2, 3\)"):
        class Wrong(NdarrayInitialization):
            def generate(self, rng, shape):
                return numpy.zeros((3, 2))
        Wrong().initialize(variable, rng(), shape=(2, 3))


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        NdarrayInitialization().generate(rng(), (2,))


def test_repr():
    # As in Blocks: the object's address and its defining attributes.
    assert re.fullmatch(
        r'<blocks\.initialization\.IsotropicGaussian object at 0x[0-9a-f]+: '
        r'mean=0, std=0\.5>', repr(IsotropicGaussian(0.5)))
    assert repr(Uniform(width=1.)).endswith(': mean=0.0, width=1.0>')
    assert repr(Constant(1.0)).endswith(': constant=1.0>')
    assert repr(Identity()).endswith(': mult=1>')
    assert repr(Orthogonal(2)).endswith(': scale=2>')
