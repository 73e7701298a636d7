"""Sequence generators: costs against NumPy, sampling streams, pickling."""
import pickle
from collections import OrderedDict

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import Tanh
from blocks.bricks.attention import SequenceContentAttention
from blocks.bricks.recurrent import GatedRecurrent, SimpleRecurrent
from blocks.bricks.sequence_generators import (
    FakeAttentionRecurrent, LookupFeedback, Readout, SequenceGenerator,
    SoftmaxEmitter, SoftmaxReadout, TrivialEmitter, TrivialFeedback)
from blocks.extensions import FinishAfter, TrainingExtension
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.roles import AUXILIARY, COST
from blocks.select import Selector
from blocks.utils import compile_function
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import Mapping

floatX = pytensor.config.floatX
RTOL = 1e-4 if floatX == 'float32' else 1e-7


def tiny_generator(seed=1, theano_seed=11, name='generator'):
    """3 symbols, 2-dim feedback, a 4-unit tanh RNN, no attention."""
    readout = Readout(readout_dim=3, source_names=['states', 'feedback'],
                      emitter=SoftmaxEmitter(theano_seed=theano_seed),
                      feedback_brick=LookupFeedback(3, 2), name='readout')
    generator = SequenceGenerator(
        readout, SimpleRecurrent(dim=4, activation=Tanh(), name='rnn'),
        weights_init=IsotropicGaussian(0.5), biases_init=Constant(0.1),
        seed=seed, name=name)
    generator.initialize()
    return generator


def numpy_cost_matrix(generator, outputs, mask):
    """The per-step negative log-likelihoods of the tiny model, by hand."""
    parameters = {path.split('/')[-1]: variable.get_value() for
                  path, variable in Selector(generator).get_parameters().items()}
    lookup = parameters['lookuptable.W']
    s = numpy.tile(parameters['rnn.initial_state'], (outputs.shape[1], 1))
    previous = numpy.zeros(outputs.shape[1], dtype='int64')  # y_0 = 0
    costs = numpy.zeros(outputs.shape)
    for t in range(outputs.shape[0]):
        readouts = (s @ parameters['transform_states.W'] +
                    lookup[previous] @ parameters['transform_feedback.W'] +
                    parameters['bias.b'])
        log_probs = readouts - numpy.log(
            numpy.exp(readouts).sum(axis=1, keepdims=True))
        costs[t] = -log_probs[numpy.arange(outputs.shape[1]), outputs[t]]
        inputs = (lookup[outputs[t]] @ parameters['fork_inputs.W'] +
                  parameters['fork_inputs.b'])
        new_s = numpy.tanh(inputs + s @ parameters['rnn.W'])
        s = mask[t][:, None] * new_s + (1 - mask[t][:, None]) * s
        previous = outputs[t]
    return costs * mask


def test_readout_initializes_emitter_and_feedback_before_the_merge():
    # Blocks' order of the readout's children, so the parameters drawn from
    # the generator's one random generator are those a Blocks model had.
    generator = tiny_generator(seed=3)
    readout = generator.readout
    assert list(readout.children) == [readout.emitter, readout.feedback_brick,
                                      readout.merge, readout.post_merge]
    rng = numpy.random.RandomState(3)
    lookup = rng.normal(0, 0.5, size=(3, 2))
    merge_states = rng.normal(0, 0.5, size=(4, 3))
    merge_feedback = rng.normal(0, 0.5, size=(2, 3))
    assert_allclose(readout.feedback_brick.lookup.W.get_value(), lookup,
                    rtol=RTOL)
    transforms = {child.name: child.W.get_value()
                  for child in readout.merge.children}
    assert_allclose(transforms['transform_states'], merge_states, rtol=RTOL)
    assert_allclose(transforms['transform_feedback'], merge_feedback,
                    rtol=RTOL)


def test_cost_is_the_sum_of_per_step_negative_log_likelihoods():
    generator = tiny_generator()
    y, mask = tensor.lmatrix('y'), tensor.matrix('mask')
    cost = generator.cost(y, mask)
    cost_matrix = generator.cost_matrix(y, mask)
    outputs = numpy.array([[0, 2, 1], [1, 1, 0], [2, 0, 0], [2, 1, 1]])
    mask_value = numpy.ones(outputs.shape, dtype=floatX)
    mask_value[2:, 2] = 0
    mask_value[3:, 0] = 0
    cost_value, matrix_value = compile_function(
        [y, mask], [cost, cost_matrix])(outputs, mask_value)
    expected = numpy_cost_matrix(generator, outputs, mask_value)
    assert_allclose(matrix_value, expected, rtol=1e-6)
    assert_allclose(cost_value, expected.sum(axis=0).mean(), rtol=1e-6)

    cg = ComputationGraph(cost)
    cost_variable, = VariableFilter(roles=[COST])(cg.variables)
    assert_allclose(compile_function([y, mask], cost_variable)(
        outputs, mask_value), cost_value, rtol=1e-12)
    per_element, = VariableFilter(roles=[AUXILIARY],
                                  name='per_sequence_element')(cg.variables)
    assert_allclose(compile_function([y, mask], per_element)(
        outputs, mask_value), expected.sum() / mask_value.sum(), rtol=1e-6)


def test_generate_shapes_costs_and_names():
    generator = tiny_generator()
    assert generator.generate.states == ['states', 'outputs']
    assert generator.generate.outputs == ['states', 'outputs', 'costs']
    assert generator.generate.contexts == []
    assert isinstance(generator.transition, FakeAttentionRecurrent)
    states, outputs, costs = generator.generate(n_steps=5, batch_size=3,
                                                iterate=True)
    fn = ComputationGraph([states, outputs, costs]).get_theano_function()
    states_v, outputs_v, costs_v = fn()
    assert states_v.shape == (5, 3, 4)
    assert outputs_v.shape == (5, 3) and outputs_v.dtype == numpy.int64
    assert set(numpy.unique(outputs_v)) <= {0, 1, 2}
    # the step costs are those cost_matrix gives the sampled sequences
    y, mask = tensor.lmatrix('y'), tensor.matrix('mask')
    matrix = compile_function([y, mask], generator.cost_matrix(y, mask))(
        outputs_v, numpy.ones((5, 3), dtype=floatX))
    assert_allclose(costs_v, matrix, rtol=1e-6)


def test_sampling_is_seeded_advances_and_survives_pickling():
    def sampler(generator_or_samples):
        samples = generator_or_samples
        if not isinstance(samples, tensor.TensorVariable):
            samples = samples.generate(n_steps=8, batch_size=4,
                                       iterate=True)[1]
        return ComputationGraph(samples).get_theano_function()

    first = sampler(tiny_generator(theano_seed=5))
    same_seed = sampler(tiny_generator(theano_seed=5))
    other_seed = sampler(tiny_generator(theano_seed=6))
    a1, = first()
    a2, = first()
    assert not numpy.array_equal(a1, a2), "the random stream did not advance"
    b1, = same_seed()
    assert numpy.array_equal(a1, b1)
    c1, = other_seed()
    assert not numpy.array_equal(a1, c1)

    # the stream's state pickles with the graph: a copy made after two
    # draws continues where the original is
    generator = tiny_generator(theano_seed=7)
    samples = generator.generate(n_steps=8, batch_size=4, iterate=True)[1]
    original = sampler(samples)
    original(), original()
    restored_generator, restored_samples = pickle.loads(
        pickle.dumps((generator, samples)))
    third, = original()
    assert numpy.array_equal(sampler(restored_samples)()[0], third)
    # and a restored brick builds new sampling graphs with its own stream
    fresh = tiny_generator(theano_seed=7)
    reference, = sampler(fresh)()
    restored = pickle.loads(pickle.dumps(fresh))
    assert numpy.array_equal(sampler(restored)()[0], sampler(fresh)()[0])


def test_trivial_emitter_and_feedback_generate_continuous_outputs():
    readout = Readout(readout_dim=2, source_names=['states'], name='readout')
    assert isinstance(readout.emitter, TrivialEmitter)
    assert isinstance(readout.feedback_brick, TrivialFeedback)
    generator = SequenceGenerator(
        readout, GatedRecurrent(dim=3, name='gru'),
        weights_init=IsotropicGaussian(0.3), biases_init=Constant(0.),
        seed=2)
    generator.initialize()
    outputs = generator.generate(n_steps=4, batch_size=2, iterate=True)[1]
    value, = ComputationGraph(outputs).get_theano_function()()
    assert value.shape == (4, 2, 2)
    y = tensor.tensor3('y')
    cost = generator.cost(y)
    assert compile_function([y], cost)(value) == 0


def attention_generator():
    attention = SequenceContentAttention(state_names=['states'],
                                         attended_dim=3, match_dim=4,
                                         name='attention')
    generator = SequenceGenerator(
        SoftmaxReadout(num_tokens=3, feedback_dim=2,
                       source_names=['states', 'weighted_averages',
                                     'feedback'], name='readout'),
        SimpleRecurrent(dim=4, activation=Tanh(), name='rnn'),
        attention=attention, weights_init=IsotropicGaussian(0.5),
        biases_init=Constant(0.), seed=3, name='generator')
    generator.initialize()
    return generator


def test_attention_generator_cost_and_generate_agree():
    generator = attention_generator()
    assert generator.generate.contexts == ['attended', 'attended_mask']
    assert generator.generate.states == ['states', 'outputs',
                                         'weighted_averages', 'weights']
    attended, attended_mask = tensor.tensor3('attended'), tensor.matrix('am')
    rng = numpy.random.default_rng(3)
    attended_v = rng.normal(size=(5, 2, 3)).astype(floatX)
    mask_v = numpy.ones((5, 2), dtype=floatX)
    mask_v[3:, 1] = 0
    generated = generator.generate(n_steps=6, batch_size=2, iterate=True,
                                   attended=attended,
                                   attended_mask=attended_mask, as_dict=True)
    fn = compile_function([attended, attended_mask],
                          [generated['outputs'], generated['costs'],
                           generated['weights']])
    outputs_v, costs_v, weights_v = fn(attended_v, mask_v)
    assert_allclose(weights_v.sum(axis=2), 1, rtol=RTOL)
    assert (weights_v[:, 1, 3:] == 0).all()
    y, y_mask = tensor.lmatrix('y'), tensor.matrix('y_mask')
    matrix = compile_function(
        [y, y_mask, attended, attended_mask],
        generator.cost_matrix(y, y_mask, attended=attended,
                              attended_mask=attended_mask))(
        outputs_v, numpy.ones(outputs_v.shape, dtype=floatX), attended_v,
        mask_v)
    assert_allclose(costs_v, matrix, rtol=1e-6)


def test_lookup_feedback_rejects_continuous_outputs():
    feedback = LookupFeedback(3, 2, weights_init=Constant(1.))
    feedback.output_dim = 2
    with pytest.raises(ValueError, match='output_dim'):
        feedback.feedback(tensor.lmatrix('y'))


def _time_major(batch):
    return (batch[0].T, batch[1].T)


class PickleAt(TrainingExtension):
    """Pickles the main loop after a given iteration."""
    def __init__(self, iteration, **kwargs):
        super().__init__(**kwargs)
        self.iteration = iteration
        self.pickled = None

    def after_batch(self, batch):
        if self.main_loop.status['iterations_done'] == self.iteration:
            self.pickled = pickle.dumps(self.main_loop)


def generator_main_loop(iterations, extensions=()):
    rng = numpy.random.RandomState(2)
    outputs = rng.randint(0, 3, size=(8, 5)).astype('int64')
    mask = numpy.ones((8, 5), dtype=floatX)
    dataset = IndexableDataset(OrderedDict([('outputs', outputs),
                                            ('mask', mask)]))
    stream = Mapping(DataStream(dataset,
                                iteration_scheme=SequentialScheme(8, 4)),
                     _time_major)
    generator = tiny_generator()
    y, y_mask = tensor.lmatrix('outputs'), tensor.matrix('mask')
    cost = generator.cost(y, y_mask)
    cost.name = 'cost'
    algorithm = GradientDescent(
        cost=cost, parameters=ComputationGraph(cost).parameters,
        step_rule=Scale(0.1))
    return MainLoop(algorithm, stream,
                    extensions=[FinishAfter(after_n_batches=iterations)] +
                    list(extensions))


def test_main_loop_with_a_generator_pickles_and_resumes():
    straight = generator_main_loop(4)
    straight.run()
    expected = [p.get_value() for p in straight.algorithm.parameters]

    pickler = PickleAt(2)
    interrupted = generator_main_loop(4, [pickler])
    interrupted.run()
    resumed = pickle.loads(pickler.pickled)
    resumed.extensions[-1].iteration = -1
    assert resumed.status['iterations_done'] == 2
    resumed.run()
    assert resumed.status['iterations_done'] == 4
    for parameter, reference in zip(resumed.algorithm.parameters, expected):
        assert_allclose(parameter.get_value(), reference, rtol=1e-12)


def test_softmax_emitter_samples_from_its_probabilities():
    emitter = SoftmaxEmitter(theano_seed=3)
    readouts = tensor.matrix('readouts')
    energies = numpy.tile(numpy.array([[0., 1., 2.]], dtype=floatX),
                          (20000, 1))
    samples = ComputationGraph(emitter.emit(readouts)).get_theano_function()
    first, = samples(energies)
    probabilities = numpy.exp(energies[0]) / numpy.exp(energies[0]).sum()
    assert_allclose(numpy.bincount(first, minlength=3) / len(first),
                    probabilities, atol=0.015)
    second, = samples(energies)
    assert not numpy.array_equal(first, second)
    assert emitter.initial_outputs(3).eval().tolist() == [0, 0, 0]
