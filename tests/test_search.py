"""Beam search against greedy decoding and exhaustive search on toy models."""
import itertools

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Linear
from blocks.search import BeamSearch
from blocks.utils import compile_function
from tests.bricks.test_sequence_generators import (attention_generator,
                                                   tiny_generator)

floatX = pytensor.config.floatX
SYMBOLS, LENGTH = 3, 4
UNREACHABLE_EOL = SYMBOLS  # a symbol the model never emits: fixed lengths


class Toy(object):
    """A generator, its sampling graph and a reference cost function."""
    def __init__(self, with_attention, n_steps=1):
        self.beam_size = tensor.lscalar('beam_size')
        if with_attention:
            self.generator = attention_generator()
            rng = numpy.random.default_rng(9)
            self.attended_value = rng.normal(size=(5, 1, 3)).astype(floatX)
            self.attended_mask_value = numpy.ones((5, 1), dtype=floatX)
            self.attended_mask_value[4:] = 0
            self.attended = tensor.tensor3('attended')
            self.attended_mask = tensor.matrix('attended_mask')
            self.contexts = {'attended': self.attended,
                             'attended_mask': self.attended_mask}
        else:
            self.generator = tiny_generator()
            self.contexts = {}
        self.samples = self.generator.generate(
            n_steps=n_steps, batch_size=self.beam_size, iterate=True,
            **self.contexts)[1]
        y, mask = tensor.lmatrix('y'), tensor.matrix('mask')
        self.cost_matrix = compile_function(
            [y, mask] + list(self.contexts.values()),
            self.generator.cost_matrix(y, mask, **self.contexts))

    def context_values(self, batch):
        if not self.contexts:
            return []
        return [numpy.repeat(self.attended_value, batch, axis=1),
                numpy.repeat(self.attended_mask_value, batch, axis=1)]

    def search_inputs(self, beam):
        inputs = {self.beam_size: beam}
        if self.contexts:
            attended, mask = self.context_values(beam)
            inputs[self.attended] = attended
            inputs[self.attended_mask] = mask
        return inputs

    def step_costs(self, sequences):
        """Per-step negative log-likelihoods, (batch, time)."""
        y = numpy.array(sequences, dtype='int64').T
        mask = numpy.ones(y.shape, dtype=floatX)
        return self.cost_matrix(y, mask,
                                *self.context_values(y.shape[1])).T

    def greedy(self, length):
        prefix = []
        for t in range(length):
            candidates = [prefix + [symbol] for symbol in range(SYMBOLS)]
            prefix = candidates[int(numpy.argmin(
                self.step_costs(candidates)[:, t]))]
        return prefix

    def exhaustive(self, length):
        sequences = [list(s) for s in
                     itertools.product(range(SYMBOLS), repeat=length)]
        costs = self.step_costs(sequences).sum(axis=1)
        best = int(numpy.argmin(costs))
        return sequences[best], costs[best], sorted(costs)


@pytest.fixture(scope='module', params=[(False, 1), (True, 1), (True, 6)],
                ids=['plain', 'attention', 'attention-scan'])
def toy(request):
    # a one-step generate has no scan left: both graphs must be searchable
    return Toy(*request.param)


def test_beam_of_one_is_greedy_decoding(toy):
    search = BeamSearch(toy.samples)
    outputs, costs = search.search(toy.search_inputs(1), UNREACHABLE_EOL,
                                   LENGTH)
    greedy = toy.greedy(LENGTH)
    assert outputs == [greedy]
    assert_allclose(costs[0], toy.step_costs([greedy]).sum(), rtol=1e-6)


def test_a_wide_beam_finds_the_exhaustive_optimum(toy):
    search = BeamSearch(toy.samples)
    # a beam of 3 ** 3 keeps every prefix up to the last step
    outputs, costs = search.search(toy.search_inputs(27), UNREACHABLE_EOL,
                                   LENGTH)
    best, best_cost, all_costs = toy.exhaustive(LENGTH)
    assert outputs[0] == best
    assert_allclose(costs[0], best_cost, rtol=1e-6)
    # the beam holds the 27 best sequences, cheapest first
    assert_allclose(costs, all_costs[:27], rtol=1e-6)
    assert costs == sorted(costs)


def test_search_stops_at_the_end_of_line_symbol_and_is_compiled_once(toy):
    search = BeamSearch(toy.samples)
    eol = 2
    outputs, costs = search.search(toy.search_inputs(5), eol, LENGTH)
    assert len(outputs) == 5 and costs == sorted(costs)
    for sequence, cost in zip(outputs, costs):
        assert 1 <= len(sequence) <= LENGTH
        assert eol not in sequence[:-1]
        assert_allclose(cost, toy.step_costs([sequence]).sum(), rtol=1e-6)
    assert search.compiled

    def compile_again():
        raise AssertionError("the beam search compiled twice")
    search.compile = compile_again
    again = search.search(toy.search_inputs(5), eol, LENGTH)
    assert again == (outputs, costs)
    arrays = search.search(toy.search_inputs(5), eol, LENGTH, as_arrays=True)
    assert [a.shape[1] for a in arrays] == [5, 5, 5]


def test_ignore_first_eol():
    toy = Toy(False)
    search = BeamSearch(toy.samples)
    # with the first symbol as end of line, the first step never ends
    outputs, _ = search.search(toy.search_inputs(3), 0, LENGTH,
                               ignore_first_eol=True)
    assert all(len(sequence) >= 2 or sequence == [] for sequence in outputs)
    assert all(0 not in sequence[1:-1] for sequence in outputs)


def test_beam_search_rejects_what_is_not_a_generate_output():
    x = tensor.matrix('x')
    with pytest.raises(ValueError, match='generate'):
        BeamSearch(Linear(2, 3).apply(x))
    toy = Toy(False)
    search = BeamSearch(toy.samples)
    with pytest.raises(ValueError, match='max_length'):
        search.search(toy.search_inputs(2), 2, 0)
    with pytest.raises(ValueError, match='input_values'):
        search.search({}, 2, 3)
