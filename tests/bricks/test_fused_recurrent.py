"""The fused recurrent Ops against the scans they replace, values and gradients."""
import pickle

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Identity
from blocks.bricks.recurrent import kernels, LSTM
from blocks.bricks.recurrent.fused import (FusedGRU, FusedGRUGrad, FusedLSTM,
                                           FusedLSTMGrad)
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


def _both_ways(monkeypatch, function, values):
    """`function`'s outputs with the C kernels and with NumPy alone."""
    results = {}
    for setting in ('1', '0'):
        monkeypatch.setenv('BLOCKS_C_KERNELS', setting)
        results[setting] = function(*values)
    return results['1'], results['0']


needs_kernels = pytest.mark.skipif(
    kernels.library() is None, reason='no C kernels (no compiler)')

# The C kernels' exp and tanh are within a few ulp of NumPy's (see
# blocks.bricks.recurrent.kernels); after a few steps and the gradient's
# sums the two paths differ by about that much.
TIGHT = {'float32': dict(rtol=2e-5, atol=2e-6),
         'float64': dict(rtol=1e-12, atol=1e-13)}


@needs_kernels
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('reverse', [False, True])
def test_fused_lstm_c_kernels_equal_numpy(dtype, masked, reverse, rng,
                                          monkeypatch):
    steps, batch, dim = 6, 5, 7  # not a multiple of any vector width
    x_batch_major = tensor.tensor3('x', dtype=dtype)
    x = x_batch_major.dimshuffle(1, 0, 2)  # rows with strides, not copied
    if reverse:
        x = x[::-1]
    W, h0, mask = (tensor.matrix(name, dtype=dtype)
                   for name in ('W', 'h0', 'mask'))
    p_in, p_forget, p_out, c_row = (tensor.vector(name, dtype=dtype) for name
                                    in ('p_in', 'p_forget', 'p_out', 'c'))
    c0 = tensor.repeat(c_row[None, :], batch, 0)
    inputs = [x_batch_major, W, p_in, p_forget, p_out, h0, c_row]
    arguments = [x, W, p_in, p_forget, p_out, h0, c0]
    if masked:
        inputs.append(mask)
        arguments.append(mask[::-1] if reverse else mask)
    states, cells, _ = FusedLSTM(masked)(*arguments)
    weights = rng.normal(size=(steps, batch, dim)).astype(dtype)
    cost = (states * weights).sum() + tensor.sqr(cells * weights).sum()
    function = compile_function(
        inputs, [states, cells] + pytensor.grad(cost, inputs[:7]))
    values = [rng.normal(size=(batch, steps, 4 * dim)),
              rng.normal(scale=0.5, size=(dim, 4 * dim))] + [
        rng.normal(size=size) for size in (dim, dim, dim, (batch, dim), dim)]
    if masked:
        mask_value = numpy.ones((steps, batch))
        mask_value[4:, 1] = mask_value[1:3, 2] = 0
        values.append(mask_value)
    values = [value.astype(dtype) for value in values]
    with_c, without_c = _both_ways(monkeypatch, function, values)
    names = ['states', 'cells'] + [v.name for v in inputs[:7]]
    for name, value, reference in zip(names, with_c, without_c):
        assert value.dtype == dtype
        assert_allclose(value, reference, err_msg=name, **TIGHT[dtype])


@needs_kernels
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('reverse', [False, True])
def test_fused_gru_c_kernels_equal_numpy(dtype, masked, reverse, rng,
                                         monkeypatch):
    steps, batch, dim = 6, 5, 7
    x, gates_batch_major = (tensor.tensor3(name, dtype=dtype)
                            for name in ('x', 'gates'))
    gates = gates_batch_major.dimshuffle(1, 0, 2)
    U, U_gates, h_row, mask = (tensor.matrix(name, dtype=dtype) for name
                               in ('U', 'U_gates', 'h0', 'mask'))
    h0 = h_row[:1].repeat(batch, 0)  # rows with a stride of zero
    inputs = [x, gates_batch_major, U, U_gates, h_row]
    arguments = [x[::-1] if reverse else x, gates[::-1] if reverse else gates,
                 U, U_gates, h0]
    if masked:
        inputs.append(mask)
        arguments.append(mask[::-1] if reverse else mask)
    states, _ = FusedGRU(masked)(*arguments)
    weights = rng.normal(size=(steps, batch, dim)).astype(dtype)
    cost = (states * weights).sum() + tensor.sqr(states[-1]).sum()
    function = compile_function(
        inputs, [states] + pytensor.grad(cost, inputs[:5]))
    values = [rng.normal(size=(steps, batch, dim)),
              rng.normal(size=(batch, steps, 2 * dim)),
              rng.normal(scale=0.5, size=(dim, dim)),
              rng.normal(scale=0.5, size=(dim, 2 * dim)),
              rng.normal(size=(1, dim))]
    if masked:
        mask_value = numpy.ones((steps, batch))
        mask_value[4:, 1] = mask_value[1:3, 2] = 0
        values.append(mask_value)
    values = [value.astype(dtype) for value in values]
    with_c, without_c = _both_ways(monkeypatch, function, values)
    names = ['states'] + [v.name for v in inputs[:5]]
    for name, value, reference in zip(names, with_c, without_c):
        assert value.dtype == dtype
        assert_allclose(value, reference, err_msg=name, **TIGHT[dtype])


@needs_kernels
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_c_kernel_sigmoid_and_tanh_are_within_a_few_ulp(dtype):
    x = numpy.concatenate([
        numpy.linspace(-20, 20, 40001), numpy.geomspace(1e-30, 1, 301),
        -numpy.geomspace(1e-30, 1, 301)]).astype(dtype)
    exact = x.astype(numpy.longdouble)
    for function, reference in (
            (kernels.tanh, numpy.tanh(exact)),
            (kernels.sigmoid, 1 / (1 + numpy.exp(-exact)))):
        ulp = numpy.spacing(reference.astype(dtype)).astype(numpy.longdouble)
        errors = numpy.abs(function(x) - reference) / ulp
        assert errors.max() < 3.5, function.__name__
    special = numpy.array([0., -0., 1e4, -1e4, numpy.inf, -numpy.inf,
                           numpy.nan], dtype=dtype)
    with numpy.errstate(over='ignore'):
        assert_allclose(kernels.sigmoid(special), 1 / (1 + numpy.exp(-special)),
                        rtol=0, atol=0)
    assert_allclose(kernels.tanh(special), numpy.tanh(special), rtol=0, atol=0)
    assert numpy.signbit(kernels.tanh(special)[1])


def test_fused_ops_reuse_no_array_still_held(rng):
    """The Ops hand their large arrays out again only once they are free."""
    lstm = make('lstm', dim=3)
    lstm.fused = True
    x = tensor.tensor3('x')
    states, cells = lstm.apply(x)
    whole = compile_function([x], states)
    last = compile_function([x], states[-1])  # a view of the states
    gradient = compile_function([x], pytensor.grad(tensor.sqr(cells).sum(), x))
    values = [data(rng, T, B, 12) for _ in range(3)]
    references = [whole(value).copy() for value in values]
    held = [whole(value) for value in values]
    held_last = [last(value) for value in values]
    held_gradients = [gradient(value) for value in values]
    for value, reference, states_value, last_value in zip(
            values, references, held, held_last):
        assert_allclose(states_value, reference, rtol=0, atol=0)
        assert_allclose(last_value, reference[-1], rtol=0, atol=0)
    assert len({id(g) for g in held_gradients}) == len(values)
    assert_allclose(held_gradients[0], gradient(values[0]), rtol=0, atol=0)
    op = [node.op for node in whole.maker.fgraph.apply_nodes
          if isinstance(node.op, FusedLSTM)][0]
    assert len(pickle.dumps(op)) < 1000  # no arrays in the Op


@needs_kernels
@pytest.mark.parametrize('steps, batch, dim', [(1, 1, 1), (3, 2, 17)])
def test_fused_ops_c_kernels_on_edge_shapes_and_strides(steps, batch, dim, rng,
                                                        monkeypatch):
    """One step, one example, one unit; rows in reverse order (a negative
    batch stride) and inputs that are not contiguous along time."""
    dtype = 'float64'
    x = rng.normal(size=(2 * steps, batch, 4 * dim))[::2, ::-1]
    gru_x = rng.normal(size=(steps, batch, 3 * dim))
    weights = [rng.normal(scale=0.5, size=shape) for shape in (
        (dim, 4 * dim), (dim, dim), (dim, 2 * dim))]
    vectors = [rng.normal(size=dim) for _ in range(3)]
    h0, c0 = rng.normal(size=(2, batch, dim))
    d_states = rng.normal(size=(steps, batch, dim))[:, ::-1]
    mask = numpy.ones((steps, batch))
    mask[-1, 0] = 0
    results = []
    for setting in ('1', '0'):
        monkeypatch.setenv('BLOCKS_C_KERNELS', setting)
        lstm = [[None] for _ in range(3)]
        FusedLSTM(True).perform(None, [x, weights[0], *vectors, h0, c0, mask],
                                lstm)
        lstm_grad = [[None] for _ in range(7)]
        FusedLSTMGrad(True).perform(None, [
            x, weights[0], *vectors, h0, c0, mask] + [v[0] for v in lstm] + [
            d_states, d_states], lstm_grad)
        gru = [[None] for _ in range(2)]
        gru_inputs = [gru_x[..., :dim], gru_x[..., dim:], weights[1],
                      weights[2], h0]
        FusedGRU(False).perform(None, gru_inputs, gru)
        gru_grad = [[None] for _ in range(5)]
        FusedGRUGrad(False).perform(None, gru_inputs + [
            v[0] for v in gru] + [d_states], gru_grad)
        results.append([v[0].copy() for v in lstm + lstm_grad + gru + gru_grad])
    for value, reference in zip(*results):
        assert value.dtype == dtype
        assert_allclose(value, reference, **TIGHT[dtype])
