"""The recurrent bricks train in the JAX mode as in the Python VM."""
import numpy
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.algorithms import Adam, GradientDescent
from blocks.bricks import Linear
from blocks.bricks.parallel import Fork
from blocks.bricks.recurrent import GatedRecurrent, LSTM
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from tests.bricks.test_recurrent import ATOL, B, binary_mask, data, RTOL, T


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


def jax_training_set_up(kind):
    """A masked recurrent regression with fully static input shapes."""
    x = tensor.tensor3('x', shape=(T, B, 2))
    mask = tensor.matrix('mask', shape=(T, B))
    y = tensor.matrix('y', shape=(B, 1))
    dim = 3
    init = dict(weights_init=IsotropicGaussian(0.3), seed=2)
    if kind == 'lstm':
        rnn = LSTM(dim, **init)
        fork = Fork(['inputs'], input_dim=2, output_dims=[4 * dim])
    else:
        rnn = GatedRecurrent(dim, **init)
        fork = Fork(['inputs', 'gate_inputs'], input_dim=2,
                    output_dims=[dim, 2 * dim])
    fork.weights_init, fork.biases_init = init['weights_init'], Constant(0.1)
    readout = Linear(dim, 1, biases_init=Constant(0.), **init)
    for brick in (fork, rnn, readout):
        brick.initialize()
    states = rnn.apply(mask=mask, as_list=True,
                       **fork.apply(x, as_dict=True))[0]
    return tensor.sqr(readout.apply(states[-1]) - y).mean()


@pytest.mark.parametrize('kind', ['lstm', 'gru'])
def test_recurrent_training_in_jax_mode_matches_the_python_vm(kind, rng):
    pytest.importorskip('jax')
    batch = {'x': data(rng, T, B, 2), 'mask': binary_mask(rng),
             'y': data(rng, B, 1)}
    results = {}
    for mode in ('FAST_COMPILE', 'JAX'):
        cost = jax_training_set_up(kind)
        algorithm = GradientDescent(
            cost=cost, parameters=ComputationGraph(cost).parameters,
            step_rule=Adam(0.01), theano_func_kwargs={'mode': mode})
        algorithm.initialize()
        initial = [parameter.get_value() for parameter in algorithm.parameters]
        for _ in range(3):
            algorithm.process_batch(batch)
        results[mode] = [numpy.asarray(parameter.get_value())
                         for parameter in algorithm.parameters]
    for python_vm, jax in zip(results['FAST_COMPILE'], results['JAX']):
        assert_allclose(jax, python_vm, rtol=RTOL, atol=ATOL)
    for before, after in zip(initial, results['JAX']):
        assert numpy.abs(after - before).max() > 1e-4  # it trained
