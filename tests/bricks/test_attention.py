"""Attention bricks against NumPy: weights, glimpses, the attention transition."""
import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Identity, Tanh
from blocks.bricks.attention import (AttentionRecurrent,
                                     GenericSequenceAttention,
                                     SequenceContentAttention,
                                     ShallowEnergyComputer)
from blocks.bricks.recurrent import GatedRecurrent, SimpleRecurrent
from blocks.initialization import Constant, IsotropicGaussian
from blocks.utils import compile_function

floatX = pytensor.config.floatX
RTOL = 1e-4 if floatX == 'float32' else 1e-7


def masked_softmax_over_time(energies, mask):
    """Reference: a softmax over axis 0 restricted to the unmasked positions."""
    exp = numpy.exp(energies - energies.max(axis=0)) * mask
    return exp / exp.sum(axis=0)


def test_compute_weights_sum_to_one_over_unmasked_positions():
    rng = numpy.random.default_rng(1)
    energies = rng.normal(size=(6, 4)).astype(floatX)
    mask = numpy.ones((6, 4), dtype=floatX)
    mask[4:, 1] = 0
    mask[1:, 2] = 0
    e, m = tensor.matrix('e'), tensor.matrix('m')
    weights = GenericSequenceAttention(
        state_names=['s'], state_dims=[1], attended_dim=1).compute_weights(e, m)
    value = weights.eval({e: energies, m: mask})
    assert_allclose(value.sum(axis=0), 1, rtol=RTOL)
    assert (value[mask == 0] == 0).all()
    assert_allclose(value, masked_softmax_over_time(energies, mask),
                    rtol=RTOL)


def test_compute_weights_without_mask_and_with_an_empty_sequence():
    e, m = tensor.matrix('e'), tensor.matrix('m')
    attention = GenericSequenceAttention(state_names=['s'], state_dims=[1],
                                         attended_dim=1)
    energies = numpy.array([[0., 1.], [2., 3.]], dtype=floatX)
    unmasked = attention.compute_weights(e, None).eval({e: energies})
    assert_allclose(unmasked, masked_softmax_over_time(energies,
                                                       numpy.ones((2, 2))),
                    rtol=RTOL)
    # an all-zero mask column gives zero weights, not NaN
    mask = numpy.array([[1., 0.], [1., 0.]], dtype=floatX)
    value = attention.compute_weights(e, m).eval({e: energies, m: mask})
    assert_allclose(value[:, 1], 0)
    assert_allclose(value[:, 0].sum(), 1, rtol=RTOL)


def test_compute_weighted_averages():
    w, a = tensor.matrix('w'), tensor.tensor3('a')
    attention = GenericSequenceAttention(state_names=['s'], state_dims=[1],
                                         attended_dim=3)
    rng = numpy.random.default_rng(2)
    weights = rng.uniform(size=(5, 2)).astype(floatX)
    attended = rng.normal(size=(5, 2, 3)).astype(floatX)
    value = attention.compute_weighted_averages(w, a).eval(
        {w: weights, a: attended})
    assert_allclose(value, numpy.einsum('tb,tbd->bd', weights, attended),
                    rtol=RTOL)


def build_content_attention():
    attention = SequenceContentAttention(
        state_names=['states'], state_dims=[3], attended_dim=4, match_dim=5,
        weights_init=IsotropicGaussian(0.5), biases_init=IsotropicGaussian(0.5),
        seed=3)
    attention.initialize()
    return attention


def test_sequence_content_attention_matches_numpy():
    attention = build_content_attention()
    attended, mask = tensor.tensor3('attended'), tensor.matrix('mask')
    states = tensor.matrix('states')
    glimpses, weights = attention.take_glimpses(attended, attended_mask=mask,
                                                states=states)
    rng = numpy.random.default_rng(4)
    attended_value = rng.normal(size=(6, 2, 4)).astype(floatX)
    mask_value = numpy.ones((6, 2), dtype=floatX)
    mask_value[3:, 1] = 0
    states_value = rng.normal(size=(2, 3)).astype(floatX)
    glimpses_value, weights_value = compile_function(
        [attended, mask, states], [glimpses, weights])(
            attended_value, mask_value, states_value)

    # Reference: the [BCB] energies, by hand
    state_w = attention.state_transformers.children[0].W.get_value()
    pre = attention.attended_transformer
    energy_linear = attention.energy_computer.children[1]
    match = (attended_value @ pre.W.get_value() + pre.b.get_value() +
             states_value @ state_w)
    energies = (numpy.tanh(match) @ energy_linear.W.get_value())[..., 0]
    expected_weights = masked_softmax_over_time(energies, mask_value)
    assert_allclose(weights_value, expected_weights.T, rtol=1e-5)
    assert_allclose(weights_value.sum(axis=1), 1, rtol=RTOL)
    assert (weights_value[1, 3:] == 0).all()
    assert_allclose(glimpses_value,
                    numpy.einsum('tb,tbd->bd', expected_weights,
                                 attended_value), rtol=1e-5)


def test_sequence_content_attention_preprocess_and_dims():
    attention = build_content_attention()
    attended = tensor.tensor3('attended')
    states = tensor.matrix('states')
    pre = attention.preprocess(attended)
    with_pre = attention.take_glimpses(attended, pre, states=states)[1]
    without = attention.take_glimpses(attended, states=states)[1]
    values = {attended: numpy.ones((3, 2, 4), dtype=floatX),
              states: numpy.arange(6, dtype=floatX).reshape(2, 3)}
    assert_allclose(with_pre.eval(values), without.eval(values), rtol=RTOL)
    assert attention.get_dim('weighted_averages') == 4
    assert attention.get_dim('weights') == 0
    assert attention.get_dim('attended') == 4
    assert attention.get_dim('attended_mask') == 0
    assert attention.take_glimpses.inputs == [
        'attended', 'preprocessed_attended', 'attended_mask', 'states']
    initial = attention.initial_glimpses(2, attended)
    shapes = [v.shape for v in compile_function(
        [attended], initial, on_unused_input='ignore')(values[attended])]
    assert shapes == [(2, 4), (2, 3)]


def test_shallow_energy_computer_dims():
    computer = ShallowEnergyComputer(weights_init=Constant(1.))
    computer.input_dim, computer.output_dim = 3, 1
    computer.initialize()
    x = tensor.matrix('x')
    value = computer.apply(x).eval({x: numpy.ones((2, 3), dtype=floatX)})
    assert_allclose(value, 3 * numpy.tanh(1.) * numpy.ones((2, 1)),
                    rtol=RTOL)
    assert computer.input_dim == 3 and computer.output_dim == 1


def build_attention_recurrent():
    transition = SimpleRecurrent(dim=3, activation=Tanh(), name='transition')
    attention = SequenceContentAttention(state_names=['states'], match_dim=4,
                                         attended_dim=3, name='attention')
    recurrent = AttentionRecurrent(transition, attention, name='att_rec',
                                   weights_init=IsotropicGaussian(0.5),
                                   biases_init=Constant(0.1), seed=5)
    recurrent.initialize()
    return recurrent, transition, attention


def test_attention_recurrent_names_and_dims():
    recurrent, transition, attention = build_attention_recurrent()
    assert recurrent.apply.sequences == ['inputs', 'mask']
    assert recurrent.apply.contexts == ['attended', 'attended_mask']
    assert recurrent.do_apply.contexts == [
        'attended', 'attended_mask', 'preprocessed_attended']
    assert recurrent.apply.states == ['states', 'weighted_averages',
                                      'weights']
    assert recurrent.take_glimpses.outputs == ['weighted_averages',
                                               'weights']
    assert recurrent.compute_states.outputs == ['states']
    recurrent.push_allocation_config()
    assert attention.state_dims == [3]
    assert recurrent.get_dim('states') == 3
    assert recurrent.get_dim('attended_mask') == 0


def test_attention_recurrent_matches_a_numpy_loop():
    recurrent, transition, attention = build_attention_recurrent()
    inputs, mask = tensor.tensor3('inputs'), tensor.matrix('mask')
    attended, attended_mask = tensor.tensor3('attended'), tensor.matrix('am')
    states, glimpses, weights = recurrent.apply(
        inputs=inputs, mask=mask, attended=attended,
        attended_mask=attended_mask)
    rng = numpy.random.default_rng(6)
    x = rng.normal(size=(4, 2, 3)).astype(floatX)
    x_mask = numpy.ones((4, 2), dtype=floatX)
    x_mask[2:, 0] = 0
    a = rng.normal(size=(5, 2, 3)).astype(floatX)
    a_mask = numpy.ones((5, 2), dtype=floatX)
    a_mask[3:, 1] = 0
    fn = compile_function([inputs, mask, attended, attended_mask],
                          [states, glimpses, weights])
    states_v, glimpses_v, weights_v = fn(x, x_mask, a, a_mask)

    W = transition.W.get_value()
    s = numpy.tile(transition.parameters[1].get_value(), (2, 1))
    distribute_w = recurrent.distribute.children[0].W.get_value()
    state_w = attention.state_transformers.children[0].W.get_value()
    pre = attention.attended_transformer
    energy_w = attention.energy_computer.children[1].W.get_value()
    pre_a = a @ pre.W.get_value() + pre.b.get_value()
    for t in range(4):
        energies = (numpy.tanh(pre_a + s @ state_w) @ energy_w)[..., 0]
        w = masked_softmax_over_time(energies, a_mask)
        g = numpy.einsum('tb,tbd->bd', w, a)
        new_s = numpy.tanh(x[t] + g @ distribute_w + s @ W)
        s = x_mask[t][:, None] * new_s + (1 - x_mask[t][:, None]) * s
        assert_allclose(weights_v[t], w.T, rtol=1e-5, atol=1e-7)
        assert_allclose(glimpses_v[t], g, rtol=1e-5, atol=1e-7)
        assert_allclose(states_v[t], s, rtol=1e-5, atol=1e-7)
    assert_allclose(weights_v.sum(axis=2), 1, rtol=RTOL)


def test_attention_recurrent_with_existing_contexts_and_gru():
    transition = GatedRecurrent(dim=2, name='gru')
    attention = SequenceContentAttention(state_names=['states'], match_dim=3,
                                         attended_dim=4, name='att')
    recurrent = AttentionRecurrent(transition, attention,
                                   attended_name='encoded',
                                   attended_mask_name='encoded_mask',
                                   weights_init=IsotropicGaussian(0.3),
                                   biases_init=Constant(0), seed=7)
    recurrent.initialize()
    assert recurrent.apply.contexts == ['encoded', 'encoded_mask']
    inputs = tensor.tensor3('inputs')
    gate_inputs = tensor.tensor3('gate_inputs')
    encoded = tensor.tensor3('encoded')
    results = recurrent.apply(inputs=inputs, gate_inputs=gate_inputs,
                              encoded=encoded, as_dict=True)
    fn = compile_function([inputs, gate_inputs, encoded], results['weights'])
    rng = numpy.random.default_rng(8)
    weights = fn(*[rng.normal(size=shape).astype(floatX) for shape in
                   [(3, 2, 2), (3, 2, 4), (5, 2, 4)]])
    assert weights.shape == (3, 2, 5)
    assert_allclose(weights.sum(axis=2), 1, rtol=RTOL)
    with pytest.raises(ValueError, match='add_contexts=False'):
        AttentionRecurrent(SimpleRecurrent(dim=2, activation=Identity()),
                           SequenceContentAttention(state_names=['states']),
                           add_contexts=False)
