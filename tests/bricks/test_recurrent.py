"""Recurrent bricks against NumPy loops: values, masks, directions, gradients."""
import pickle
from collections import OrderedDict

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.algorithms import Adam, GradientDescent
from blocks.bricks import Identity, Linear, Tanh
from blocks.bricks.recurrent import (BaseRecurrent, Bidirectional,
                                     GatedRecurrent, LSTM, recurrent,
                                     RecurrentStack, SimpleRecurrent)
from blocks.bricks.recurrent.base import NO_SEQUENCES
from blocks.filter import get_application_call, get_brick, VariableFilter
from blocks.graph import apply_noise, ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.extensions import FinishAfter, TrainingExtension
from blocks.roles import INITIAL_STATE, OUTPUT, WEIGHT
from blocks.utils import compile_function
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import Mapping

floatX = pytensor.config.floatX
RTOL = 1e-4 if floatX == 'float32' else 1e-7
ATOL = 1e-5 if floatX == 'float32' else 1e-10
T, B = 5, 3


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


def data(rng, *shape):
    return rng.normal(size=shape).astype(floatX)


def binary_mask(rng):
    """A (T, B) mask: example 0 full, 1 shortened, 2 with a hole."""
    mask = numpy.ones((T, B), dtype=floatX)
    mask[3:, 1] = 0
    mask[1:3, 2] = 0
    return mask


def sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


# NumPy references of one step. Each returns the new states (a tuple).

def simple_step(brick, x, h):
    return (numpy.tanh(x + h.dot(brick.W.get_value())),)


def lstm_step(brick, x, h, c):
    dim = brick.dim
    a = h.dot(brick.W_state.get_value()) + x
    i = sigmoid(a[:, :dim] + c * brick.W_cell_to_in.get_value())
    f = sigmoid(a[:, dim:2 * dim] + c * brick.W_cell_to_forget.get_value())
    next_c = f * c + i * numpy.tanh(a[:, 2 * dim:3 * dim])
    o = sigmoid(a[:, 3 * dim:] + next_c * brick.W_cell_to_out.get_value())
    return o * numpy.tanh(next_c), next_c


def gru_step(brick, x, g, h):
    dim = brick.dim
    gates = sigmoid(h.dot(brick.state_to_gates.get_value()) + g)
    update, reset = gates[:, :dim], gates[:, dim:]
    candidate = numpy.tanh((h * reset).dot(brick.state_to_state.get_value())
                           + x)
    return (candidate * update + h * (1 - update),)


def numpy_loop(step, sequences, states, mask=None, reverse=False):
    """Iterate `step`; return the list of state sequences (T, B, dim)."""
    order = range(T)[::-1] if reverse else range(T)
    history = [[] for _ in states]
    for t in order:
        new = step(*[sequence[t] for sequence in sequences], *states)
        if mask is not None:
            m = mask[t][:, None]
            new = tuple(m * n + (1 - m) * s for n, s in zip(new, states))
        states = new
        for record, state in zip(history, states):
            record.append(state)
    return [numpy.array(record) for record in history]


def make(kind, dim=4):
    init = dict(weights_init=IsotropicGaussian(0.5, mean=0.1), seed=3)
    if kind == 'simple':
        brick = SimpleRecurrent(dim=dim, activation=Tanh(), **init)
    elif kind == 'lstm':
        brick = LSTM(dim=dim, **init)
    else:
        brick = GatedRecurrent(dim=dim, **init)
    brick.initialize()
    # Non-zero learned initial states, so that they are seen to be used
    for parameter in VariableFilter(roles=[INITIAL_STATE])(brick.parameters):
        parameter.set_value(
            numpy.linspace(-0.5, 0.5, dim).astype(floatX))
    return brick


def sequences_of(kind, brick, rng):
    """Symbolic and numeric sequences for `brick`, in `apply` keyword form."""
    dim = brick.dim
    if kind == 'gru':
        names, dims = ['inputs', 'gate_inputs'], [dim, 2 * dim]
    else:
        names, dims = ['inputs'], [brick.get_dim('inputs')]
    variables = OrderedDict((name, tensor.tensor3(name)) for name in names)
    values = OrderedDict((name, data(rng, T, B, d))
                         for name, d in zip(names, dims))
    return variables, values


STEPS = {'simple': simple_step, 'lstm': lstm_step, 'gru': gru_step}


def initial_values(brick):
    """The learned initial states, repeated over the batch."""
    values = brick.initial_states(B, as_list=True)
    return [value.eval() for value in values]


@pytest.mark.parametrize('kind', ['simple', 'lstm', 'gru'])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('reverse', [False, True])
def test_recurrent_brick_matches_numpy_loop(kind, masked, reverse, rng):
    brick = make(kind)
    variables, values = sequences_of(kind, brick, rng)
    mask, mask_value = tensor.matrix('mask'), binary_mask(rng)
    kwargs = dict(variables)
    if masked:
        kwargs['mask'] = mask
    outputs = brick.apply(reverse=reverse, as_list=True, **kwargs)
    inputs = list(variables.values()) + ([mask] if masked else [])
    got = compile_function(inputs, outputs)(
        *values.values(), *([mask_value] if masked else []))

    def step(*args):
        return STEPS[kind](brick, *args)
    expected = numpy_loop(step, list(values.values()), initial_values(brick),
                          mask_value if masked else None, reverse)
    assert len(got) == len(expected) == len(brick.apply.states)
    for value, reference in zip(got, expected):
        assert value.shape == (T, B, brick.dim) and value.dtype == floatX
        assert_allclose(value, reference, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('kind', ['simple', 'lstm', 'gru'])
def test_masked_steps_carry_the_states_unchanged(kind, rng):
    brick = make(kind)
    variables, values = sequences_of(kind, brick, rng)
    mask = tensor.matrix('mask')
    mask_value = binary_mask(rng)
    states = brick.apply(mask=mask, as_list=True, **variables)[0]
    got = compile_function(list(variables.values()) + [mask], states)(
        *values.values(), mask_value)
    # example 1 stops after step 2; example 2 skips steps 1 and 2
    for t in range(3, T):
        assert_allclose(got[t, 1], got[2, 1], rtol=0, atol=0)
    assert_allclose(got[1, 2], got[0, 2], rtol=0, atol=0)
    assert_allclose(got[2, 2], got[0, 2], rtol=0, atol=0)
    assert numpy.abs(got[3, 2] - got[2, 2]).max() > 1e-3


@pytest.mark.parametrize('kind', ['simple', 'lstm', 'gru'])
def test_return_initial_states_prepends_them(kind, rng):
    brick = make(kind)
    variables, values = sequences_of(kind, brick, rng)
    given = [tensor.matrix(name) for name in brick.apply.states]
    given_values = [data(rng, B, brick.dim) for _ in given]
    outputs = brick.apply(return_initial_states=True, as_list=True,
                          **variables, **dict(zip(brick.apply.states, given)))
    got = compile_function(list(variables.values()) + given, outputs)(
        *values.values(), *given_values)

    def step(*args):
        return STEPS[kind](brick, *args)
    expected = numpy_loop(step, list(values.values()), given_values)
    for value, initial, reference in zip(got, given_values, expected):
        assert value.shape == (T + 1, B, brick.dim)
        assert_allclose(value[0], initial, rtol=0, atol=0)
        assert_allclose(value[1:], reference, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('kind', ['simple', 'lstm', 'gru'])
def test_iterate_false_is_one_step(kind, rng):
    brick = make(kind)
    variables, values = sequences_of(kind, brick, rng)
    step_inputs = {name: tensor.matrix(name) for name in variables}
    states = {name: tensor.matrix(name) for name in brick.apply.states}
    state_values = [data(rng, B, brick.dim) for _ in states]
    outputs = brick.apply(iterate=False, as_list=True, **step_inputs,
                          **states)
    got = compile_function(list(step_inputs.values()) + list(states.values()),
                           outputs)(*[value[0] for value in values.values()],
                                    *state_values)
    expected = STEPS[kind](brick, *[value[0] for value in values.values()],
                           *state_values)
    for value, reference in zip(got, expected):
        assert_allclose(value, reference, rtol=RTOL, atol=ATOL)


def test_default_initial_states_are_learned_parameters():
    lstm = make('lstm')
    x = tensor.tensor3('x')
    states, cells = lstm.apply(x)
    cg = ComputationGraph(states.sum() + cells.sum())
    initial = VariableFilter(roles=[INITIAL_STATE])(cg.parameters)
    assert {p.name for p in initial} == {'initial_state', 'initial_cells'}
    gradients = pytensor.grad(states.sum(), initial)
    values = compile_function([x], gradients)(numpy.ones((T, B, 16), floatX))
    assert all(numpy.abs(value).sum() > 0 for value in values)


def test_base_recurrent_default_initial_states_are_zeros():
    class Accumulator(BaseRecurrent):
        @recurrent(sequences=['inputs'], states=['states'],
                   outputs=['states'], contexts=[])
        def apply(self, inputs, states=None):
            return states + inputs

        def get_dim(self, name):
            return 2
    x = tensor.tensor3('x')
    got = compile_function([x], Accumulator().apply(x))(
        numpy.ones((3, 2, 2), floatX))
    assert_allclose(got[:, 0, 0], [1, 2, 3])


def test_missing_sequences_need_n_steps_and_batch_size():
    class Counter(BaseRecurrent):
        @recurrent(sequences=[], states=['states'], outputs=['states'],
                   contexts=[])
        def apply(self, states=None):
            return states + 1

        def get_dim(self, name):
            return 1
    counter = Counter()
    with pytest.raises(ValueError, match=r"without any of its sequences"):
        counter.apply()
    got = compile_function([], counter.apply(n_steps=4, batch_size=2))()
    assert_allclose(got[:, :, 0], [[1, 1], [2, 2], [3, 3], [4, 4]])
    assert 'n_steps=' in NO_SEQUENCES


def test_contexts_are_passed_to_every_step():
    class Shifted(BaseRecurrent):
        @recurrent(sequences=['inputs'], states=['states'],
                   outputs=['states'], contexts=['shift'])
        def apply(self, inputs, states=None, shift=None):
            return states + inputs + shift

        def get_dim(self, name):
            return 1
    x, shift = tensor.tensor3('x'), tensor.matrix('shift')
    got = compile_function([x, shift], Shifted().apply(x, shift=shift))(
        numpy.ones((3, 1, 1), floatX), numpy.full((1, 1), 10., floatX))
    assert_allclose(got.ravel(), [11, 22, 33])


@pytest.mark.parametrize('kind', ['simple', 'lstm', 'gru'])
def test_gradients_match_finite_differences(kind, rng):
    if floatX != 'float64':
        pytest.skip("finite differences need float64")
    brick = make(kind, dim=2)
    variables, values = sequences_of(kind, brick, rng)
    mask = tensor.matrix('mask')
    mask_value = binary_mask(rng)
    outputs = brick.apply(mask=mask, as_list=True, **variables)
    weights = numpy.arange(1, brick.dim + 1)
    # (output.mean() here trips a FAST_COMPILE bug of PyTensor 3.0.7: the
    # gradients of y[-1].sum() + y.mean() fail to add up)
    cost = sum((output[-1] * weights).sum() + 0.1 * tensor.sqr(output).sum()
               for output in outputs)
    parameters = list(brick.parameters)
    inputs = list(variables.values()) + [mask]
    args = list(values.values()) + [mask_value]
    cost_function = compile_function(inputs, cost)
    gradients = compile_function(inputs,
                                 pytensor.grad(cost, parameters))(*args)
    epsilon = 1e-6
    for parameter, gradient in zip(parameters, gradients):
        value = parameter.get_value()
        numeric = numpy.zeros_like(value)
        for index in numpy.ndindex(value.shape):
            shifted = value.copy()
            shifted[index] += epsilon
            parameter.set_value(shifted)
            plus = cost_function(*args)
            shifted[index] -= 2 * epsilon
            parameter.set_value(shifted)
            minus = cost_function(*args)
            numeric[index] = (plus - minus) / (2 * epsilon)
        parameter.set_value(value)
        assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7,
                        err_msg=parameter.name)


def test_bidirectional_concatenates_both_directions(rng):
    bidir = Bidirectional(prototype=SimpleRecurrent(dim=3, activation=Tanh()),
                          weights_init=IsotropicGaussian(0.5), seed=2)
    bidir.initialize()
    forward, backward = bidir.children
    assert forward.W.get_value().tolist() != backward.W.get_value().tolist()
    x, mask = tensor.tensor3('x'), tensor.matrix('mask')
    x_value, mask_value = data(rng, T, B, 3), binary_mask(rng)
    got = compile_function([x, mask], bidir.apply(x, mask=mask))(
        x_value, mask_value)
    assert got.shape == (T, B, 6)

    def step(brick):
        return lambda x_t, h: simple_step(brick, x_t, h)
    zeros = [numpy.zeros((B, 3), floatX)]
    expected_forward = numpy_loop(step(forward), [x_value], zeros,
                                  mask_value)[0]
    expected_backward = numpy_loop(step(backward), [x_value], zeros,
                                   mask_value, reverse=True)[0][::-1]
    assert_allclose(got[..., :3], expected_forward, rtol=RTOL, atol=ATOL)
    assert_allclose(got[..., 3:], expected_backward, rtol=RTOL, atol=ATOL)
    assert bidir.get_dim('states') == 6 and bidir.get_dim('inputs') == 3


def stack_of_three(skip_connections=False):
    transitions = [SimpleRecurrent(dim=3, activation=Tanh()),
                   LSTM(dim=2), GatedRecurrent(dim=4)]
    stack = RecurrentStack(transitions, skip_connections=skip_connections,
                           weights_init=IsotropicGaussian(0.5),
                           biases_init=IsotropicGaussian(0.5), seed=4)
    stack.initialize()
    return stack


def by_hand(stack, x_value, mask_value, extra=None):
    """The three layers chained in NumPy, with the forks between them."""
    simple, lstm, gru = stack.transitions
    fork_lstm, fork_gru = stack.forks

    def linear(brick, value):
        output = value.dot(brick.W.get_value())
        return output + brick.b.get_value() if brick.use_bias else output
    zeros = [numpy.zeros((B, brick.dim), floatX) for brick in
             (simple, lstm, lstm, gru)]
    h1 = numpy_loop(lambda x, h: simple_step(simple, x, h), [x_value],
                    zeros[:1], mask_value)[0]
    lstm_inputs = linear(fork_lstm.children[0], h1)
    if extra:
        lstm_inputs = lstm_inputs + extra['inputs#1']
    h2, c2 = numpy_loop(lambda x, h, c: lstm_step(lstm, x, h, c),
                        [lstm_inputs], zeros[1:3], mask_value)
    gru_inputs = linear(fork_gru.children[0], h2)
    gru_gates = linear(fork_gru.children[1], h2)
    if extra:
        gru_inputs = gru_inputs + extra['inputs#2']
        gru_gates = gru_gates + extra['gate_inputs#2']
    h3 = numpy_loop(lambda x, g, h: gru_step(gru, x, g, h),
                    [gru_inputs, gru_gates], zeros[3:], mask_value)[0]
    return [h1, h2, c2, h3]


@pytest.mark.parametrize('low_memory', [False, True])
def test_recurrent_stack_of_three_equals_layers_chained_by_hand(
        low_memory, rng):
    stack = stack_of_three()
    assert stack.apply.sequences == ['inputs', 'mask']
    assert stack.apply.states == ['states', 'states#1', 'cells#1',
                                  'states#2']
    assert [fork.children[0].use_bias for fork in stack.forks] == [True, True]
    x, mask = tensor.tensor3('x'), tensor.matrix('mask')
    x_value, mask_value = data(rng, T, B, 3), binary_mask(rng)
    outputs = stack.apply(inputs=x, mask=mask, low_memory=low_memory,
                          as_list=True)
    got = compile_function([x, mask], outputs)(x_value, mask_value)
    for value, reference in zip(got, by_hand(stack, x_value, mask_value)):
        assert_allclose(value, reference, rtol=RTOL, atol=ATOL)


def test_recurrent_stack_skip_connections(rng):
    stack = stack_of_three(skip_connections=True)
    assert stack.apply.sequences == ['inputs', 'inputs#1', 'inputs#2',
                                     'gate_inputs#2', 'mask']
    assert [fork.children[0].use_bias for fork in stack.forks] == [False,
                                                                   False]
    dims = {name: stack.get_dim(name) for name in stack.apply.sequences
            if name != 'mask'}
    assert dims == {'inputs': 3, 'inputs#1': 8, 'inputs#2': 4,
                    'gate_inputs#2': 8}
    variables = {name: tensor.tensor3(name) for name in dims}
    values = {name: data(rng, T, B, dim) for name, dim in dims.items()}
    mask, mask_value = tensor.matrix('mask'), binary_mask(rng)
    outputs = stack.apply(mask=mask, as_list=True, **variables)
    names = list(dims)
    got = compile_function([variables[n] for n in names] + [mask], outputs)(
        *[values[n] for n in names], mask_value)
    expected = by_hand(stack, values['inputs'], mask_value, extra=values)
    for value, reference in zip(got, expected):
        assert_allclose(value, reference, rtol=RTOL, atol=ATOL)


def test_recurrent_stack_rejects_reverse_and_unknown_states_name():
    stack = stack_of_three()
    with pytest.raises(NotImplementedError, match="does not run in reverse"):
        stack.apply(inputs=tensor.tensor3('x'), reverse=True)
    with pytest.raises(ValueError, match=r"has no state 'hidden'"):
        RecurrentStack([SimpleRecurrent(dim=2, activation=Tanh())],
                       states_name='hidden')


def test_scan_variables_are_seen_by_filters_and_noise(rng):
    rnn = SimpleRecurrent(dim=3, activation=Tanh(), name='rnn',
                          weights_init=IsotropicGaussian(0.5))
    rnn.initialize()
    x = tensor.tensor3('x')
    h = rnn.apply(x)
    cg = ComputationGraph(h)
    assert len(cg.scans) == 1
    inner_outputs = VariableFilter(roles=[OUTPUT], bricks=[Tanh])(
        cg.scan_variables)
    assert inner_outputs, "the step's tanh output is not among scan_variables"
    weights = VariableFilter(roles=[WEIGHT])(cg.variables)
    assert weights == [rnn.W]
    noisy = apply_noise(cg, weights, level=1.0, seed=3)
    x_value = data(rng, T, B, 3)
    clean_value = compile_function([x], h)(x_value)
    noisy_value = compile_function([x], noisy.outputs[0])(x_value)
    assert numpy.abs(clean_value - noisy_value).max() > 1e-2


def test_auxiliary_variables_of_the_step_are_collected():
    class Monitored(BaseRecurrent):
        @recurrent(sequences=['inputs'], states=['states'],
                   outputs=['states'], contexts=[])
        def apply(self, inputs, states=None, application_call=None):
            application_call.add_auxiliary_variable(states.mean(),
                                                    name='state_mean')
            return states + inputs

        def get_dim(self, name):
            return 2
    x = tensor.tensor3('x')
    cg = ComputationGraph(Monitored().apply(x))
    names = [v.name for v in cg.scan_variables if v.name]
    assert any(name.endswith('state_mean') for name in names)


def _step_outputs(rnn, cg):
    """The outputs of `rnn`'s activation inside the loop, as listed."""
    return VariableFilter(roles=[OUTPUT], bricks=[rnn.children[0]])(
        cg.scan_variables)


def test_scan_variables_are_the_variables_the_step_built():
    # The Scan op keeps a copy of the step: a clone on PyTensor 3.0, a
    # frozen graph without names and tags from 3.3 on. The variables listed
    # are the step's own on both, so those it returned are among them.
    rnn = SimpleRecurrent(dim=3, activation=Tanh(), name='rnn')
    x = tensor.tensor3('x')
    h = rnn.apply(x)
    cg = ComputationGraph(h)
    step_call = get_application_call(h)
    scan, = cg.scans
    assert step_call.inner_outputs
    assert all(any(output is variable for variable in cg.scan_variables)
               for output in step_call.inner_outputs)
    tanh_output, = _step_outputs(rnn, cg)
    assert get_application_call(tanh_output).application.brick is \
        rnn.children[0]
    assert [variable.name for variable in step_call.inner_outputs] == [
        'rnn_apply_states']
    # The step reads the weights from outside the loop: they are among the
    # graph's variables, not its scan variables.
    assert rnn.W in cg.variables
    assert not set(cg.scan_variables) & set(cg.variables)


def test_scan_variables_of_equal_steps_keep_their_bricks():
    # Two bricks with structurally equal steps: PyTensor 3.3 interns their
    # frozen inner graphs into the same variables.
    first = SimpleRecurrent(dim=3, activation=Tanh(name='first_tanh'),
                            name='first')
    second = SimpleRecurrent(dim=3, activation=Tanh(name='second_tanh'),
                             name='second')
    x = tensor.tensor3('x')
    cg = ComputationGraph([first.apply(x) + second.apply(x)])
    assert len(cg.scans) == 2
    for rnn in (first, second):
        output, = _step_outputs(rnn, cg)
        assert output.name == '{}_apply_output'.format(rnn.children[0].name)


def test_annotations_of_nested_scans_are_seen():
    class Outer(BaseRecurrent):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = SimpleRecurrent(dim=2, activation=Tanh(),
                                         name='inner')
            self.children = [self.inner]

        @recurrent(sequences=['inputs'], states=['states'],
                   outputs=['states'], contexts=[])
        def apply(self, inputs, states=None):
            # inputs: (batch, inner time, dim); the inner brick iterates
            # over the inner time
            return states + self.inner.apply(inputs.dimshuffle(1, 0, 2))[-1]

        def get_dim(self, name):
            return 2
    outer = Outer(name='outer')
    y = tensor.tensor4('y')
    cg = ComputationGraph(outer.apply(y))
    assert len(cg.scans) == 1
    assert [variable.name for variable in _step_outputs(outer.inner, cg)] \
        == ['tanh_apply_output']


def test_scan_variables_keep_annotations_through_replace_and_pickling(rng):
    rnn = SimpleRecurrent(dim=3, activation=Tanh(), name='rnn',
                          weights_init=IsotropicGaussian(0.5))
    rnn.initialize()
    x = tensor.tensor3('x')
    h = rnn.apply(x)
    noisy = apply_noise(ComputationGraph(h), [rnn.W], level=1.0, seed=3)
    assert len(_step_outputs(rnn, noisy)) == 1
    assert not set(noisy.scan_variables) & set(noisy.variables)

    x_value = data(rng, T, B, 3)
    h_value = compile_function([x], h)(x_value)
    h_loaded, x_loaded = pickle.loads(pickle.dumps((h, x)))
    cg = ComputationGraph(h_loaded)
    tanh_output, = VariableFilter(roles=[OUTPUT], bricks=[Tanh])(
        cg.scan_variables)
    rnn_loaded = get_application_call(h_loaded).application.brick
    assert rnn_loaded is not rnn
    assert get_brick(tanh_output) is rnn_loaded.children[0]
    assert rnn_loaded.W in cg.variables
    assert not set(cg.scan_variables) & set(cg.variables)
    assert_allclose(compile_function([x_loaded], h_loaded)(x_value),
                    h_value, rtol=RTOL, atol=ATOL)


def test_feedback_rnn_with_iterate_false_children():
    """The tutorial's brick: two layers, the second fed back to the first."""
    class FeedbackRNN(BaseRecurrent):
        def __init__(self, dim, **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.first_recurrent_layer = SimpleRecurrent(
                dim=self.dim, activation=Identity(), name='first',
                weights_init=Constant(0.))
            self.second_recurrent_layer = SimpleRecurrent(
                dim=self.dim, activation=Identity(), name='second',
                weights_init=Constant(0.))
            self.children = [self.first_recurrent_layer,
                             self.second_recurrent_layer]

        @recurrent(sequences=['inputs'], contexts=[],
                   states=['first_states', 'second_states'],
                   outputs=['first_states', 'second_states'])
        def apply(self, inputs, first_states=None, second_states=None):
            first_h = self.first_recurrent_layer.apply(
                inputs=inputs, states=first_states + second_states,
                iterate=False)
            second_h = self.second_recurrent_layer.apply(
                inputs=first_h, states=second_states, iterate=False)
            return first_h, second_h

        def get_dim(self, name):
            return self.dim
    feedback = FeedbackRNN(dim=2)
    feedback.initialize()
    for layer in feedback.children:
        layer.W.set_value(numpy.eye(2, dtype=floatX))
    x = tensor.tensor3('x')
    first, second = compile_function([x], feedback.apply(inputs=x))(
        numpy.ones((3, 1, 2), floatX))
    assert first[:, 0, 0].tolist() == [1, 3, 8]
    assert second[:, 0, 0].tolist() == [1, 4, 12]


def test_recurrent_bricks_pickle_with_their_graphs(rng, tmp_path):
    stack = stack_of_three()
    x = tensor.tensor3('x')
    outputs = stack.apply(inputs=x, as_list=True)
    x_value = data(rng, T, B, 3)
    before = compile_function([x], outputs)(x_value)
    stack2, x2, outputs2 = pickle.loads(pickle.dumps((stack, x, outputs)))
    assert stack2.apply.states == stack.apply.states
    after = compile_function([x2], outputs2)(x_value)
    for a, b in zip(before, after):
        assert_allclose(a, b, rtol=0, atol=0)
    # and the unpickled brick builds new graphs
    again = compile_function([x2], stack2.apply(inputs=x2, low_memory=True,
                                                as_list=True))(x_value)
    for a, b in zip(before, again):
        assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def _time_major(batch):
    features, targets = batch
    return numpy.swapaxes(features, 0, 1), targets


def lstm_main_loop(iterations, extensions=()):
    """A small LSTM regression trained with Adam; returns the loop."""
    rng = numpy.random.RandomState(5)
    features = rng.normal(size=(12, 4, 2)).astype(floatX)  # batch-major
    targets = features.sum(axis=(1, 2))[:, None].astype(floatX)
    dataset = IndexableDataset(OrderedDict([('features', features),
                                            ('targets', targets)]))
    stream = Mapping(DataStream(dataset,
                                iteration_scheme=SequentialScheme(12, 4)),
                     _time_major)
    x, y = tensor.tensor3('features'), tensor.matrix('targets')
    projection = Linear(2, 12, name='projection',
                        weights_init=IsotropicGaussian(0.3),
                        biases_init=Constant(0.))
    lstm = LSTM(dim=3, weights_init=IsotropicGaussian(0.3), name='lstm')
    readout = Linear(3, 1, name='readout',
                     weights_init=IsotropicGaussian(0.3),
                     biases_init=Constant(0.))
    for brick in (projection, lstm, readout):
        brick.initialize()
    states, cells = lstm.apply(projection.apply(x))
    cost = tensor.sqr(readout.apply(states[-1]) - y).mean()
    cost.name = 'cost'
    algorithm = GradientDescent(
        cost=cost, parameters=ComputationGraph(cost).parameters,
        step_rule=Adam(0.01))
    return MainLoop(algorithm, stream,
                    extensions=[FinishAfter(after_n_batches=iterations)] +
                    list(extensions))


class PickleAt(TrainingExtension):
    """Pickles the main loop after a given iteration."""
    def __init__(self, iteration, **kwargs):
        super().__init__(**kwargs)
        self.iteration = iteration
        self.pickled = None

    def after_batch(self, batch):
        if self.main_loop.status['iterations_done'] == self.iteration:
            self.pickled = pickle.dumps(self.main_loop)


def test_main_loop_with_an_lstm_pickles_and_resumes():
    straight = lstm_main_loop(6)
    straight.run()
    expected = [p.get_value() for p in straight.algorithm.parameters]

    pickler = PickleAt(3)
    interrupted = lstm_main_loop(6, [pickler])
    interrupted.run()
    resumed = pickle.loads(pickler.pickled)
    resumed.extensions[-1].iteration = -1  # do not pickle again
    assert resumed.status['iterations_done'] == 3
    resumed.run()
    assert resumed.status['iterations_done'] == 6
    for parameter, reference in zip(resumed.algorithm.parameters, expected):
        assert numpy.array_equal(parameter.get_value(), reference)
    assert not numpy.array_equal(
        expected[0], pickle.loads(pickler.pickled).algorithm.parameters[0]
        .get_value())


def test_application_signature_names_positional_inputs():
    rnn = SimpleRecurrent(dim=2, activation=Tanh())
    assert SimpleRecurrent.apply.sequences == ['inputs', 'mask']
    assert rnn.apply.outputs == ['states']
    assert rnn.initial_states.outputs == ['states']
    x = tensor.tensor3('x')
    h = rnn.apply(x)
    cg = ComputationGraph(h)
    names = {v.tag.name for v in VariableFilter(bricks=[rnn])(cg.variables)
             if hasattr(v.tag, 'name')}
    assert {'inputs', 'states'} <= names
    with pytest.raises(TypeError, match="positional inputs"):
        rnn.apply(x, x, x, x)
