"""Tests of the graph transformations: noise, dropout, parameter collection."""
import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Identity, Logistic, MLP
from blocks.bricks.cost import SquaredError
from blocks.filter import get_brick, VariableFilter
from blocks.graph import (apply_dropout, apply_noise, collect_parameters,
                          ComputationGraph)
from blocks.initialization import Constant
from blocks.random_streams import RandomStream
from blocks.roles import COLLECTED, COLLECTOR, DROPOUT, INPUT, PARAMETER
from blocks.utils import compile_function, shared_floatx

floatX = pytensor.config.floatX


def reference_draws(seed, count):
    """The NumPy generators behind a RandomStream(seed)'s first draws."""
    return [numpy.random.default_rng(child)
            for child in numpy.random.SeedSequence(seed).spawn(count)]


def test_apply_dropout():
    x = tensor.vector()
    y = tensor.vector()
    z = x * y
    cg = ComputationGraph([z])
    dropped_cg = apply_dropout(cg, [x], 0.4, seed=1)

    x_ = numpy.array([5., 6., 7.], dtype=floatX)
    y_ = numpy.array([1., 2., 3.], dtype=floatX)
    # The mask Blocks drew, binomial(shape, p=1 - drop_prob), as a
    # RandomStream with the same seed and NumPy itself draw it.
    rng, = reference_draws(1, 1)
    mask = rng.binomial(1, 0.6, size=3)
    assert_allclose(RandomStream(1).binomial((3,), p=0.6).eval(), mask)
    assert_allclose(dropped_cg.outputs[0].eval({x: x_, y: y_}),
                    x_ * y_ * mask / 0.6, rtol=1e-6)


def test_apply_dropout_custom_divisor():
    x = tensor.vector()
    y = tensor.vector()
    z = x - y
    cg = ComputationGraph([z])
    scaled_dropped_cg = apply_dropout(cg, [y], 0.8, seed=2,
                                      custom_divisor=2.5)

    x_ = numpy.array([9., 8., 9.], dtype=floatX)
    y_ = numpy.array([4., 5., 6.], dtype=floatX)
    rng, = reference_draws(2, 1)
    mask = rng.binomial(1, 0.2, size=3)
    assert_allclose(RandomStream(2).binomial((3,), p=0.2).eval(), mask)
    assert_allclose(scaled_dropped_cg.outputs[0].eval({x: x_, y: y_}),
                    x_ - y_ * mask / 2.5, rtol=1e-6)


@pytest.mark.parametrize('symbolic', [False, True])
@pytest.mark.parametrize('drop_prob', [0., 0.1, 0.4, 0.5, 0.6, 0.8, 1.])
def test_apply_dropout_masks_are_numpy_binomial_draws(drop_prob, symbolic):
    # Both sides of p = 0.5, where NumPy's binomial changes its threshold,
    # with a number and with a shared drop probability.
    x = tensor.vector('x')
    rate = shared_floatx(drop_prob) if symbolic else drop_prob
    cg = apply_dropout(ComputationGraph([x * 1.]), [x], rate, seed=5,
                       custom_divisor=1.)
    mask = cg.outputs[0].eval({x: numpy.ones(2000, dtype=floatX)})
    rng, = reference_draws(5, 1)
    assert_allclose(mask, rng.binomial(1, 1 - drop_prob, size=2000))


def test_apply_dropout_draws_new_masks_on_every_call():
    x = tensor.matrix('x')
    cg = ComputationGraph([2 * x])
    dropped_cg = apply_dropout(cg, [x], 0.5, seed=3)
    function = dropped_cg.get_theano_function()
    value = numpy.ones((10, 10), dtype=floatX)
    first, = function(value)
    second, = function(value)
    assert set(numpy.unique(first)) <= {0., 4.}
    assert not numpy.array_equal(first, second)
    rng, = reference_draws(3, 1)
    for output in (first, second):
        assert_allclose(output, 4. * (rng.uniform(size=(10, 10)) >= 0.5))
    # A plain pytensor function advances the generator as well
    plain = compile_function([x], dropped_cg.outputs[0])
    assert not numpy.array_equal(plain(value), plain(value))


def test_apply_dropout_with_zero_probability_is_identity():
    x = tensor.matrix('x')
    cg = ComputationGraph([tensor.tanh(x)])
    dropped_cg = apply_dropout(cg, [x], 0.)
    function = dropped_cg.get_theano_function()
    value = numpy.random.default_rng(0).normal(size=(20, 5)).astype(floatX)
    for _ in range(2):
        assert_allclose(function(value)[0], numpy.tanh(value), rtol=1e-6)


def test_apply_dropout_keeps_the_expected_fraction():
    x = tensor.vector('x')
    dropped_cg = apply_dropout(ComputationGraph([x + 0]), [x], 0.3, seed=4)
    kept = dropped_cg.outputs[0].eval(
        {x: numpy.ones(20000, dtype=floatX)}) != 0
    assert abs(kept.mean() - 0.7) < 0.02


def test_apply_dropout_seeds():
    x = tensor.vector('x')
    cg = ComputationGraph([x + 0])
    value = numpy.ones(100, dtype=floatX)

    def first_output(**kwargs):
        return apply_dropout(cg, [x], 0.5, **kwargs).outputs[0].eval(
            {x: value})
    assert numpy.array_equal(first_output(seed=5), first_output(seed=5))
    assert not numpy.array_equal(first_output(seed=5), first_output(seed=6))
    # Without a seed, blocks.config.config.default_seed (1) is used
    assert numpy.array_equal(first_output(), first_output(seed=1))


@pytest.mark.filterwarnings('ignore:RandomStream is deprecated')
def test_apply_dropout_with_rng():
    x = tensor.vector('x')
    cg = ComputationGraph([x + 0])
    rng = RandomStream(7)
    dropped_cg = apply_dropout(cg, [x], 0.5, rng=rng)
    assert len(rng.state_updates) == 1
    generator, = reference_draws(7, 1)
    assert_allclose(dropped_cg.outputs[0].eval(
        {x: numpy.ones(8, dtype=floatX)}),
        2. * (generator.uniform(size=8) >= 0.5))
    with pytest.raises(TypeError, match="rng must be a .*RandomStream, got 3"):
        apply_dropout(cg, [x], 0.5, rng=3)


def test_apply_dropout_checks_its_arguments():
    x = tensor.vector('x')
    cg = ComputationGraph([x + 0])
    with pytest.raises(ValueError,
                       match=r"drop_prob must be a number in \[0, 1\], "
                             r"got 1\.5"):
        apply_dropout(cg, [x], 1.5)
    with pytest.raises(TypeError, match="seed must be an integer, got 'a'"):
        apply_dropout(cg, [x], 0.5, seed='a')
    with pytest.raises(TypeError, match="variables must be a list of "
                                        "PyTensor variables, got 2"):
        apply_dropout(cg, [x, 2], 0.5)


def test_apply_dropout_roles_and_replacement_links():
    x = tensor.matrix('x')
    mlp = MLP([Identity(), Identity()], [2, 10, 2],
              weights_init=Constant(1), biases_init=Constant(2))
    mlp.initialize()
    cg = ComputationGraph(mlp.apply(x))
    inputs = VariableFilter(roles=[INPUT], bricks=mlp.linear_transformations)(
        cg.variables)
    assert len(inputs) == 2
    cg_dropout = apply_dropout(cg, inputs, 0.5)
    dropped_out = VariableFilter(roles=[DROPOUT])(cg_dropout.variables)
    assert len(dropped_out) == 2
    assert ({var.tag.replacement_of for var in dropped_out} == set(inputs))
    # Parameters and brick annotations survive the transformation
    assert cg_dropout.parameters == cg.parameters
    assert all(get_brick(var) in mlp.linear_transformations
               for var in VariableFilter(roles=[INPUT],
                                         bricks=mlp.linear_transformations)(
                                             cg_dropout.variables))
    ones = numpy.ones((3, 2), dtype=floatX)
    assert cg.outputs[0].eval({x: ones}).tolist() == [[42.] * 2] * 3
    # The original graph is unchanged
    assert not VariableFilter(roles=[DROPOUT])(cg.variables)


def test_apply_dropout_twice_with_different_probabilities():
    x = tensor.vector('x')
    h = tensor.tanh(x)
    h.name = 'h'
    cg = ComputationGraph([h * 3])
    cg = apply_dropout(cg, [x], 0.5, seed=1)
    h_new, = VariableFilter(theano_name='h')(cg.variables)
    cg = apply_dropout(cg, [h_new], 0.2, seed=2)
    assert len(VariableFilter(roles=[DROPOUT])(cg.variables)) == 2
    value = numpy.ones(1000, dtype=floatX)
    output = cg.outputs[0].eval({x: value})
    kept = output[output != 0]
    assert 0 < len(kept) < len(output)
    assert_allclose(kept, 3 * numpy.tanh(2.) / 0.8, rtol=1e-5)


def test_apply_noise():
    x = tensor.scalar()
    y = tensor.scalar()
    z = x + y

    cg = ComputationGraph([z])
    noised_cg = apply_noise(cg, [y], 1, 1)
    rng, = reference_draws(1, 1)
    assert_allclose(noised_cg.outputs[0].eval({x: 1., y: 1.}),
                    2 + rng.normal(), rtol=1e-5)


def test_apply_noise_level_and_fresh_draws():
    x = tensor.vector('x')
    cg = ComputationGraph([x + 0])
    noised_cg = apply_noise(cg, [x], 0.1, seed=3)
    function = noised_cg.get_theano_function()
    value = numpy.arange(4).astype(floatX)
    rng, = reference_draws(3, 1)
    for _ in range(3):
        assert_allclose(function(value)[0],
                        value + 0.1 * rng.normal(size=4), rtol=1e-5,
                        atol=1e-6)
    assert function(value)[0].dtype == floatX


def test_apply_noise_with_zero_level_is_identity():
    x = tensor.vector('x')
    noised = apply_noise(ComputationGraph([2 * x]), [x], 0.).outputs[0]
    assert noised.eval({x: numpy.array([1., 2.], dtype=floatX)}).tolist() \
        == [2., 4.]


def test_collect_parameters():
    x = tensor.matrix()
    mlp = MLP(activations=[Logistic(), Logistic()], dims=[784, 100, 784],
              use_bias=False)
    cost = SquaredError().apply(x, mlp.apply(x))
    cg = ComputationGraph(cost)
    var_filter = VariableFilter(roles=[PARAMETER])
    W1, W2 = var_filter(cg.variables)
    for i, W in enumerate([W1, W2]):
        W.set_value(numpy.ones_like(W.get_value()) * (i + 1))
    new_cg = collect_parameters(cg, cg.shared_variables)
    collected_parameters, = new_cg.shared_variables
    assert collected_parameters.name == 'collected_parameters'
    assert VariableFilter(roles=[COLLECTOR])(new_cg.variables) == \
        [collected_parameters]
    assert numpy.all(collected_parameters.get_value()[:784 * 100] == 1.)
    assert numpy.all(collected_parameters.get_value()[784 * 100:] == 2.)
    assert collected_parameters.ndim == 1
    assert collected_parameters.dtype == floatX
    W1_new, W2_new = VariableFilter(roles=[COLLECTED])(new_cg.variables)
    assert W1_new.tag.replacement_of is W1
    assert W1_new.eval().shape == (784, 100)
    assert numpy.all(W1_new.eval() == 1.)
    assert W2_new.eval().shape == (100, 784)
    assert numpy.all(W2_new.eval() == 2.)
    value = numpy.random.default_rng(1).uniform(size=(3, 784)).astype(floatX)
    assert_allclose(new_cg.outputs[0].eval({new_cg.inputs[0]: value}),
                    cg.outputs[0].eval({cg.inputs[0]: value}), rtol=1e-5)


def test_collect_parameters_checks_its_arguments():
    x = tensor.vector('x')
    cg = ComputationGraph([2 * x])
    with pytest.raises(TypeError, match="parameters must be shared "
                                        "variables, got x"):
        collect_parameters(cg, [x])
    with pytest.raises(ValueError, match="at least one"):
        collect_parameters(cg, [])


def test_apply_dropout_with_a_shared_probability():
    x = tensor.vector('x')
    drop_prob = pytensor.shared(numpy.asarray(0., dtype=floatX))
    function = apply_dropout(ComputationGraph([x + 0]), [x],
                             drop_prob).get_theano_function()
    value = numpy.ones(1000, dtype=floatX)
    assert function(value)[0].tolist() == value.tolist()
    drop_prob.set_value(numpy.asarray(0.5, dtype=floatX))
    output, = function(value)
    assert set(output.tolist()) == {0., 2.}
