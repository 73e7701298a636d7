"""The fused recurrent Ops against the scans they replace, values and gradients."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Identity
from blocks.bricks.recurrent import LSTM
from blocks.graph import ComputationGraph
from blocks.initialization import Constant
from blocks.utils import compile_function
from tests.bricks.test_recurrent import (ATOL, B, binary_mask, data, make,
                                         RTOL, T)


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('reverse', [False, True])
def test_fused_lstm_equals_the_scan_values_and_gradients(masked, reverse,
                                                         rng):
    lstm = make('lstm', dim=3)
    for peephole in (lstm.W_cell_to_in, lstm.W_cell_to_forget,
                     lstm.W_cell_to_out):
        peephole.set_value(data(rng, 3))
    x, mask = tensor.tensor3('x'), tensor.matrix('mask')
    x_value, mask_value = data(rng, T, B, 12), binary_mask(rng)
    inputs = [x] + ([mask] if masked else [])
    values = [x_value] + ([mask_value] if masked else [])
    weights = data(rng, T + 1, B, 3)
    results = {}
    for fused in (False, True):
        lstm.fused = fused
        kwargs = dict(mask=mask) if masked else {}
        states, cells = lstm.apply(x, reverse=reverse,
                                   return_initial_states=True, **kwargs)
        cost = (states * weights).sum() + tensor.sqr(cells[-1]).sum()
        wrt = list(lstm.parameters) + [x]
        results[fused] = compile_function(
            inputs, [states, cells] + pytensor.grad(cost, wrt))(*values)
    uses_fused = [node for node in ComputationGraph(cost).sorted_apply_nodes
                  if type(node.op).__name__ == 'FusedLSTM']
    assert uses_fused and not ComputationGraph(cost).scans
    names = ['states', 'cells'] + [p.name for p in lstm.parameters] + ['x']
    for name, scanned, fused in zip(names, results[False], results[True]):
        assert_allclose(fused, scanned, rtol=RTOL * 10, atol=ATOL * 10,
                        err_msg=name)


def test_fused_lstm_falls_back_to_scan_for_other_activations():
    lstm = LSTM(dim=2, activation=Identity(), fused=True,
                weights_init=Constant(0.1))
    lstm.initialize()
    states, cells = lstm.apply(tensor.tensor3('x'))
    assert len(ComputationGraph(states).scans) == 1


def test_fused_lstm_gradient_of_the_states_alone(rng):
    lstm = make('lstm', dim=2)
    x = tensor.tensor3('x')
    x_value = data(rng, T, B, 8)
    gradients = {}
    for fused in (False, True):
        lstm.fused = fused
        states, cells = lstm.apply(x)
        cost = tensor.sqr(states[-1]).sum()  # the cells are disconnected
        gradients[fused] = compile_function(
            [x], pytensor.grad(cost, [x, lstm.W_state]))(x_value)
    for scanned, fused in zip(gradients[False], gradients[True]):
        assert_allclose(fused, scanned, rtol=RTOL * 10, atol=ATOL * 10)
    restored = pickle.loads(pickle.dumps((x, cost)))
    assert_allclose(compile_function([restored[0]], restored[1])(x_value),
                    compile_function([x], cost)(x_value), rtol=RTOL)


@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('reverse', [False, True])
def test_fused_gru_equals_the_scan_values_and_gradients(masked, reverse,
                                                        rng):
    gru = make('gru', dim=3)
    x, gates, mask = (tensor.tensor3('x'), tensor.tensor3('gates'),
                      tensor.matrix('mask'))
    inputs = [x, gates] + ([mask] if masked else [])
    values = [data(rng, T, B, 3), data(rng, T, B, 6)] + (
        [binary_mask(rng)] if masked else [])
    weights = data(rng, T + 1, B, 3)
    results = {}
    for fused in (False, True):
        gru.fused = fused
        kwargs = dict(mask=mask) if masked else {}
        states = gru.apply(inputs=x, gate_inputs=gates, reverse=reverse,
                           return_initial_states=True, **kwargs)
        cost = (states * weights).sum() + tensor.sqr(states[-1]).sum()
        wrt = list(gru.parameters) + [x, gates]
        results[fused] = compile_function(
            inputs, [states] + pytensor.grad(cost, wrt))(*values)
    assert not ComputationGraph(cost).scans
    names = ['states'] + [p.name for p in gru.parameters] + ['x', 'gates']
    for name, scanned, fused in zip(names, results[False], results[True]):
        assert_allclose(fused, scanned, rtol=RTOL * 10, atol=ATOL * 10,
                        err_msg=name)
