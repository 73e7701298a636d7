"""recurrent: an LSTM and a GRU training step against ``torch.nn.LSTM`` / ``GRU``.

One training iteration (forward, backward and a plain SGD step on every
parameter) of a recurrent layer over a batch of sequences: length 50, batch
64, input 100, hidden 256 (``--quick``: 10, 8, 16, 32). The cost is the mean
square of the last state minus a fixed target.

Blocks: the input projection of the whole sequence is one
:class:`~blocks.bricks.Linear` (LSTM: 100 -> 4 x 256) or
:class:`~blocks.bricks.parallel.Fork` (GRU: 100 -> 256 and 2 x 256) outside
the loop, as Blocks' users wrote it, then
:class:`~blocks.bricks.recurrent.LSTM` (with its peepholes and learned
initial states) or :class:`~blocks.bricks.recurrent.GatedRecurrent` iterated
by ``scan``, and the same bricks made with ``fused=True`` (rows
``lstm-fused``, ``gru-fused``: the recurrence as one Op with a hand-written
gradient, :mod:`blocks.bricks.recurrent.fused`, its gate arithmetic in the C
kernels of :mod:`blocks.bricks.recurrent.kernels` unless
``BLOCKS_C_KERNELS=0``: the notes say which); the update function is
:func:`blocks.utils.compile_function` with SGD updates. PyTorch:
``torch.nn.LSTM`` / ``torch.nn.GRU`` (fused gates, no peepholes),
``torch.optim.SGD``.

Both precisions run in the same process (PyTensor's ``floatX`` is switched
with ``config.change_flags`` while a model is built and compiled), so every
ratio compares two measurements taken side by side. The LSTM's first cost is
checked against PyTorch's with the same weights (peepholes and initial
states zero, the projection as ``weight_ih``, ``W_state`` as ``weight_hh``):
the two compute the same function then. The GRUs differ in where the reset
gate applies, so only their speed is compared.

Compile: in the timing rows, building the graph, its gradient,
:func:`~blocks.utils.compile_function` and the first call, in this process
(with the cache earlier runs left). The ``compile ... cold`` and ``warm``
rows do the same (float32) in a fresh process against a new, empty
PyTensor compile directory, then again against the cache that filled.
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy

from benchmarks.common import Result, median, repository_root, time_calls

SIZES = dict(length=50, batch=64, input_dim=100, dim=256)
QUICK_SIZES = dict(length=10, batch=8, input_dim=16, dim=32)
LEARNING_RATE = 0.01


def data(sizes, dtype, seed=1):
    """Input sequences (time, batch, input) and targets (batch, dim)."""
    rng = numpy.random.RandomState(seed)
    features = rng.normal(size=(sizes['length'], sizes['batch'],
                                sizes['input_dim'])).astype(dtype)
    targets = rng.uniform(-0.5, 0.5, size=(sizes['batch'], sizes['dim'])
                          ).astype(dtype)
    return features, targets


def blocks_step(kind, sizes):
    """Build and compile the Blocks training step in the current floatX.

    Returns ``(function, bricks, compile_seconds)``; the function takes
    ``(features, targets)``, returns the cost and updates the parameters.
    """
    from pytensor import grad, tensor

    from blocks.bricks import Linear
    from blocks.bricks.parallel import Fork
    from blocks.bricks.recurrent import GatedRecurrent, LSTM
    from blocks.graph import ComputationGraph
    from blocks.initialization import Constant, IsotropicGaussian
    from blocks.utils import compile_function

    x = tensor.tensor3('features')
    y = tensor.matrix('targets')
    dim, input_dim = sizes['dim'], sizes['input_dim']
    init = dict(weights_init=IsotropicGaussian(0.1), seed=1)
    if kind.startswith('lstm'):
        projection = Linear(input_dim, 4 * dim, name='projection',
                            biases_init=Constant(0.), **init)
        rnn = LSTM(dim, name='lstm', fused=kind == 'lstm-fused', **init)
        bricks = (projection, rnn)
        for brick in bricks:
            brick.initialize()
        for peephole in (rnn.W_cell_to_in, rnn.W_cell_to_forget,
                         rnn.W_cell_to_out):
            peephole.set_value(numpy.zeros_like(peephole.get_value()))
        states = rnn.apply(projection.apply(x), as_list=True)[0]
    else:
        fork = Fork(['inputs', 'gate_inputs'], input_dim=input_dim,
                    output_dims=[dim, 2 * dim], name='fork',
                    biases_init=Constant(0.), **init)
        rnn = GatedRecurrent(dim, name='gru', fused=kind == 'gru-fused',
                             **init)
        bricks = (fork, rnn)
        for brick in bricks:
            brick.initialize()
        states = rnn.apply(**fork.apply(x, as_dict=True))
    cost = tensor.sqr(states[-1] - y).mean()
    parameters = ComputationGraph(cost).parameters
    gradients = grad(cost, parameters)
    updates = [(parameter, parameter - LEARNING_RATE * gradient)
               for parameter, gradient in zip(parameters, gradients)]
    start = time.perf_counter()
    function = compile_function([x, y], cost, updates=updates)
    return function, bricks, time.perf_counter() - start


def torch_model(torch, kind, sizes, bricks, dtype):
    """``nn.LSTM``/``nn.GRU`` and its optimizer; the LSTM holds Blocks' weights."""
    module = torch.nn.LSTM if kind.startswith('lstm') else torch.nn.GRU
    model = module(sizes['input_dim'], sizes['dim']).to(getattr(torch, dtype))
    if kind.startswith('lstm'):
        projection, rnn = bricks
        with torch.no_grad():
            model.weight_ih_l0.copy_(torch.from_numpy(
                projection.W.get_value().T.copy()))
            model.bias_ih_l0.copy_(torch.from_numpy(projection.b.get_value()))
            model.weight_hh_l0.copy_(torch.from_numpy(
                rnn.W_state.get_value().T.copy()))
            model.bias_hh_l0.zero_()
    return model, torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)


def torch_step(torch, model, optimizer, features, targets):
    """A closure doing one PyTorch training iteration; it returns the cost."""
    features, targets = torch.from_numpy(features), torch.from_numpy(targets)

    def step():
        optimizer.zero_grad()
        outputs, _ = model(features)
        cost = ((outputs[-1] - targets) ** 2).mean()
        cost.backward()
        optimizer.step()
        return cost.item()
    return step


def interleaved(blocks_call, torch_call, repeats):
    """Time the two sides alternately, call for call.

    On a machine shared with other jobs the load drifts within seconds;
    alternating the calls exposes both sides to the same load, so that
    their ratio means something even when the times themselves move.
    """
    calls = [blocks_call] + ([torch_call] if torch_call is not None else [])
    times = [[] for _ in calls]
    for call in calls:  # warm-up
        call()
    for _ in range(repeats):
        for call, record in zip(calls, times):
            record.extend(time_calls(call, 1, warmup=0))
    return times[0], (times[1] if torch_call is not None else [])


def measure(kind, dtype, sizes, repeats, torch):
    """One result row: seconds per iteration of each side, and the ratio."""
    import pytensor
    features, targets = data(sizes, dtype)
    with pytensor.config.change_flags(floatX=dtype):
        start = time.perf_counter()
        function, bricks, compile_seconds = blocks_step(kind, sizes)
        if torch is not None:  # with the weights before the first update
            model, optimizer = torch_model(torch, kind, sizes, bricks, dtype)
        first_cost = float(function(features, targets))
        compile_seconds = time.perf_counter() - start
    repeats = max(repeats, 5)
    notes = ['T {length}, batch {batch}, input {input_dim}, hidden {dim}'
             .format(**sizes), dtype,
             'compile = build + compile_function + first call',
             'Blocks and PyTorch calls alternated']
    if kind.endswith('-fused'):
        from blocks.bricks.recurrent.kernels import kernels
        notes.append('gates in C kernels' if kernels(dtype) is not None else
                     'gates in NumPy (no C kernels)')
    if torch is not None:
        step = torch_step(torch, model, optimizer, features, targets)
        torch_first = step()
        if kind.startswith('lstm'):
            difference = abs(torch_first - first_cost)
            notes.append('first cost {:.6g} vs PyTorch {:.6g}'.format(
                first_cost, torch_first))
            tolerance = 1e-5 if dtype == 'float32' else 1e-10
            if difference > tolerance * max(1., abs(torch_first)):
                raise AssertionError(
                    'the LSTM costs of Blocks ({}) and PyTorch ({}) differ by '
                    '{}'.format(first_cost, torch_first, difference))
    blocks_times, torch_times = interleaved(
        lambda: function(features, targets),
        step if torch is not None else None, repeats)
    blocks_time = median(blocks_times)
    torch_time = median(torch_times) if torch is not None else None
    if torch is not None:
        # on a busy machine the fastest calls are the least disturbed
        notes.append('best of {}: {:.4g} s vs {:.4g} s, ratio {:.2f}'.format(
            repeats, min(blocks_times), min(torch_times),
            min(blocks_times) / min(torch_times)))
    return Result('recurrent/{} {}'.format(kind, dtype), blocks_time,
                  torch_time, compile=compile_seconds, notes='; '.join(notes))


def compile_seconds(kind, dtype, sizes):
    """Run in a child process: seconds to build, compile and call once."""
    import pytensor
    features, targets = data(sizes, dtype)
    with pytensor.config.change_flags(floatX=dtype):
        start = time.perf_counter()
        function, _, _ = blocks_step(kind, sizes)
        function(features, targets)
        return time.perf_counter() - start


def _compile_child(kind, dtype, quick, compiledir):
    environment = dict(os.environ,
                       PYTENSOR_FLAGS='base_compiledir={}'.format(compiledir))
    code = ("import sys; from benchmarks.recurrent import compile_seconds, "
            "QUICK_SIZES, SIZES; print(compile_seconds(sys.argv[1], "
            "sys.argv[2], QUICK_SIZES if sys.argv[3] == '1' else SIZES))")
    result = subprocess.run(
        [sys.executable, '-c', code, kind, dtype, '1' if quick else '0'],
        cwd=repository_root(), env=environment, capture_output=True,
        text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError('the {} compilation failed:\n{}'.format(
            kind, result.stderr[-2000:]))
    return float(result.stdout.strip().splitlines()[-1])


def compile_rows(kinds, quick, dtype='float32'):
    """Cold and warm compile rows: a fresh compile directory, twice."""
    rows = []
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix='pytensor-cache-') as cache:
            for state in ('cold', 'warm'):
                seconds = _compile_child(kind, dtype, quick, cache)
                rows.append(Result(
                    'recurrent/compile {} {}'.format(kind, state), None,
                    compile=seconds,
                    notes='a fresh process: build the {} training function, '
                          'compile_function, first call ({})'.format(
                              kind, dtype)))
    return rows


def run(quick=False, repeats=3, torch=None,
        kinds=('lstm', 'lstm-fused', 'gru', 'gru-fused'),
        dtypes=('float32', 'float64')):
    """Run the benchmark; one :class:`~benchmarks.common.Result` per model
    and precision."""
    sizes = QUICK_SIZES if quick else SIZES
    rows = [measure(kind, dtype, sizes, 1 if quick else repeats, torch)
            for kind in kinds for dtype in dtypes]
    return rows + compile_rows([kind for kind in kinds
                                if kind.startswith('lstm')], quick)


if __name__ == '__main__':  # python -m benchmarks.recurrent [KIND,KIND]
    import torch as torch_module
    torch_module.set_num_threads(1)
    from benchmarks.common import text_table
    kinds = tuple(sys.argv[1].split(',')) if len(sys.argv) > 1 else (
        'lstm', 'lstm-fused')
    print(text_table(run(repeats=5, torch=torch_module, kinds=kinds)))
