"""reverse_words: the attention encoder-decoder of ``examples/reverse_words.py``.

Two rows, each against the same model written in PyTorch:

* ``reverse_words/train step``: one training iteration (forward, backward
  and a plain SGD step on every parameter) on a batch of 10 sentences of 30
  characters (32 symbols with ``<S>`` and ``</S>``; the targets 31).
* ``reverse_words/beam search``: decoding one 30-character sentence with a
  beam of 10, at most 63 steps (the example's limit), every step to the
  end (the end-of-sentence symbol is made unreachable so that both sides
  do the same number of steps).

Blocks: :class:`examples.reverse_words.WordReverser` (a lookup table, a
:class:`~blocks.bricks.parallel.Fork`, a bidirectional
:class:`~blocks.bricks.recurrent.GatedRecurrent` encoder, a GRU
:class:`~blocks.bricks.sequence_generators.SequenceGenerator` with
:class:`~blocks.bricks.attention.SequenceContentAttention`), its cost
differentiated by PyTensor and compiled with SGD updates by
:func:`blocks.utils.compile_function`; the beam search is
:class:`blocks.search.BeamSearch` (two compiled functions a step, and NumPy
for the beam's bookkeeping). PyTorch: ``nn.Embedding``, a bidirectional
``nn.GRU`` encoder, a ``nn.GRUCell`` decoder with the same additive
attention (``tanh`` of the projected states and encodings, a linear
energy, a masked softmax), the same readout (the state, the glimpse and
the previous symbol's embedding, merged linearly), ``torch.optim.SGD``;
its beam search is the same algorithm written with tensors. The two models
have the same sizes (embeddings and states 64, as in the example) but their
own random weights: only speed is compared. The calls of the two sides
alternate (see ``benchmarks/recurrent.py``).
"""
import time

import numpy

from benchmarks.common import Result, median, time_calls

SIZES = dict(batch=10, characters=30, dimension=64, beam=10)
QUICK_SIZES = dict(batch=2, characters=6, dimension=8, beam=3)
LEARNING_RATE = 0.01
ALPHABET_SIZE = 30


def batch(sizes, seed=1):
    """Characters, targets and their masks, time-major."""
    rng = numpy.random.RandomState(seed)
    letters = rng.randint(3, ALPHABET_SIZE,
                          size=(sizes['characters'], sizes['batch']))
    chars = numpy.concatenate([numpy.zeros((1, sizes['batch'])), letters,
                               numpy.ones((1, sizes['batch']))]).astype('int64')
    targets = numpy.concatenate([letters[::-1],
                                 numpy.ones((1, sizes['batch']))]
                                ).astype('int64')
    return chars, targets


def blocks_side(sizes):
    """The compiled training step and a beam-search closure."""
    import pytensor
    from pytensor import grad

    from blocks.graph import ComputationGraph
    from blocks.utils import compile_function
    from examples.reverse_words import build_cost, build_reverser, Decoder

    floatX = pytensor.config.floatX
    reverser = build_reverser(sizes['dimension'])
    cost, _ = build_cost(reverser)
    cg = ComputationGraph(cost)
    gradients = grad(cost, cg.parameters)
    updates = [(parameter, parameter - LEARNING_RATE * gradient)
               for parameter, gradient in zip(cg.parameters, gradients)]
    inputs = {variable.name: variable for variable in cg.inputs}
    names = ['features', 'features_mask', 'targets', 'targets_mask']
    step_function = compile_function([inputs[name] for name in names], cost,
                                     updates=updates)
    chars, targets = batch(sizes)
    arguments = [chars, numpy.ones(chars.shape, dtype=floatX), targets,
                 numpy.ones(targets.shape, dtype=floatX)]

    def step():
        return float(step_function(*arguments))

    decoder = Decoder(reverser)
    beam = sizes['beam']
    beam_chars = numpy.repeat(chars[:, :1], beam, axis=1)
    beam_inputs = {decoder.chars: beam_chars,
                   decoder.chars_mask: numpy.ones(beam_chars.shape,
                                                  dtype=floatX)}
    max_length = 2 * sizes['characters'] + 3

    def search():
        # an unreachable end of line: every search takes max_length steps
        return decoder.beam_search.search(beam_inputs, ALPHABET_SIZE,
                                          max_length)
    return step, search


def torch_side(torch, sizes):
    """The same model in PyTorch: a training step and a beam search."""
    nn = torch.nn
    dim = sizes['dimension']
    dtype = getattr(torch, __import__('pytensor').config.floatX)

    class Reverser(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(ALPHABET_SIZE, dim)
            self.encoder = nn.GRU(dim, dim, bidirectional=True)
            self.feedback = nn.Embedding(ALPHABET_SIZE, dim)
            self.decoder = nn.GRUCell(dim + 2 * dim, dim)
            self.initial = nn.Parameter(torch.zeros(dim))
            self.state_to_match = nn.Linear(dim, dim, bias=False)
            self.attended_to_match = nn.Linear(2 * dim, dim)
            self.energy = nn.Linear(dim, 1, bias=False)
            self.readout = nn.Linear(dim + 2 * dim + dim, ALPHABET_SIZE)

        def encode(self, chars):
            return self.encoder(self.embed(chars))[0]

        def glimpse(self, state, attended, preprocessed):
            energies = self.energy(torch.tanh(
                preprocessed + self.state_to_match(state)[None]))[..., 0]
            weights = torch.softmax(energies, dim=0)
            return (weights[..., None] * attended).sum(0)

        def step(self, state, previous, attended, preprocessed):
            """Log-probabilities of the next symbol, and the glimpse."""
            glimpse = self.glimpse(state, attended, preprocessed)
            readout = self.readout(torch.cat(
                [state, glimpse, self.feedback(previous)], dim=1))
            return torch.log_softmax(readout, dim=1), glimpse

        def cost(self, chars, targets):
            attended = self.encode(chars)
            preprocessed = self.attended_to_match(attended)
            state = self.initial[None].expand(chars.shape[1], dim)
            previous = torch.zeros(chars.shape[1], dtype=torch.long)
            total = 0
            for t in range(targets.shape[0]):
                logprobs, glimpse = self.step(state, previous, attended,
                                              preprocessed)
                total = total - logprobs.gather(
                    1, targets[t][:, None]).sum()
                state = self.decoder(torch.cat(
                    [self.feedback(targets[t]), glimpse], dim=1), state)
                previous = targets[t]
            return total / chars.shape[1]

    model = Reverser().to(dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    chars, targets = (torch.from_numpy(array) for array in batch(sizes))

    def step():
        optimizer.zero_grad()
        cost = model.cost(chars, targets)
        cost.backward()
        optimizer.step()
        return cost.item()

    beam = sizes['beam']
    max_length = 2 * sizes['characters'] + 3

    @torch.no_grad()
    def search():
        source = chars[:, :1].expand(chars.shape[0], beam)
        attended = model.encode(source)
        preprocessed = model.attended_to_match(attended)
        state = model.initial[None].expand(beam, dim)
        previous = torch.zeros(beam, dtype=torch.long)
        costs = torch.zeros(beam, dtype=dtype)
        history = []
        for t in range(max_length):
            logprobs, glimpse = model.step(state, previous, attended,
                                           preprocessed)
            candidates = costs[:, None] - logprobs
            if t == 0:
                candidates = candidates[:1]
            chosen_costs, flat = torch.topk(candidates.reshape(-1), beam,
                                            largest=False)
            rows = flat // ALPHABET_SIZE
            symbols = flat % ALPHABET_SIZE
            state = model.decoder(torch.cat(
                [model.feedback(symbols), glimpse[rows]], dim=1), state[rows])
            history = [h[rows] for h in history] + [symbols]
            previous, costs = symbols, chosen_costs
        return torch.stack(history), costs
    return step, search


def interleaved(calls, repeats):
    """Time the calls alternately (see ``benchmarks/recurrent.py``)."""
    times = [[] for _ in calls]
    for call in calls:
        call()
    for _ in range(repeats):
        for call, record in zip(calls, times):
            record.extend(time_calls(call, 1, warmup=0))
    return times


def run(quick=False, repeats=3, torch=None):
    """One row for the training step, one for the beam search."""
    sizes = QUICK_SIZES if quick else SIZES
    repeats = 1 if quick else max(repeats, 5)
    start = time.perf_counter()
    blocks_step, blocks_search = blocks_side(sizes)
    blocks_step(), blocks_search()
    compile_seconds = time.perf_counter() - start
    rows = []
    sides = [(blocks_step, blocks_search)]
    if torch is not None:
        sides.append(torch_side(torch, sizes))
    for index, (name, what) in enumerate([
            ('train step', 'batch {batch}, {characters} characters'),
            ('beam search', 'beam {beam}, a {characters}-character '
                            'sentence, {steps} steps')]):
        times = interleaved([side[index] for side in sides], repeats)
        torch_time = median(times[1]) if torch is not None else None
        notes = [what.format(steps=2 * sizes['characters'] + 3, **sizes),
                 'dimension {dimension}'.format(**sizes),
                 'Blocks and PyTorch calls alternated']
        if torch is not None:
            notes.append('best of {}: {:.4g} s vs {:.4g} s'.format(
                repeats, min(times[0]), min(times[1])))
        rows.append(Result(
            'reverse_words/' + name, median(times[0]), torch_time,
            compile=compile_seconds if index == 0 else None,
            notes='; '.join(notes)))
    return rows


if __name__ == '__main__':  # python -m benchmarks.reverse_words
    import torch as torch_module
    torch_module.set_num_threads(1)
    from benchmarks.common import text_table
    print(text_table(run(repeats=5, torch=torch_module)))
