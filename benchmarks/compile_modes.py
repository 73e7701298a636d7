"""compile_modes: compile and run time of the tutorial's training function per mode.

For each PyTensor mode (``CVM``, ``NUMBA``, ``JAX`` when installed,
``FAST_COMPILE``; only ``FAST_COMPILE`` with ``--quick``) a fresh Python
process builds the introduction tutorial's training function (784-100-10
MLP, ``GradientDescent`` with ``Scale(0.1)``) and reports the time of
``initialize()`` (graph rewriting, linking and C compilation), of the first
call (Numba and JAX compile on it), and the time per batch of 256 over the
training set's first batches (the median of three passes, each ended by
reading a parameter back, since JAX dispatches asynchronously). Each mode runs twice against
the same
new, empty PyTensor compile directory: a cold cache, then a warm one. The
Blocks column is the time per batch; the compile column is initialization
plus first call. There is no PyTorch side.
"""
import json
import os
import subprocess
import sys
import tempfile

from benchmarks.common import Result, repository_root

MODES = ('CVM', 'NUMBA', 'JAX', 'FAST_COMPILE')


def measure(mode, batches):
    """Run in the child process: time one mode, return a dict of seconds."""
    import time

    import numpy

    from blocks.algorithms import GradientDescent, Scale
    from benchmarks.common import tutorial_stream
    from benchmarks.mlp_epoch import LEARNING_RATE, tutorial_model

    _, cost, parameters = tutorial_model()
    algorithm = GradientDescent(cost=cost, parameters=parameters,
                                step_rule=Scale(learning_rate=LEARNING_RATE),
                                theano_func_kwargs={'mode': mode})
    stream = tutorial_stream(quick=False)
    iterator = stream.get_epoch_iterator(as_dict=True)
    data = [next(iterator) for _ in range(batches + 1)]
    start = time.perf_counter()
    algorithm.initialize()
    initialize = time.perf_counter() - start
    start = time.perf_counter()
    algorithm.process_batch(data[0])
    first_call = time.perf_counter() - start
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for batch in data[1:]:
            algorithm.process_batch(batch)
        # JAX dispatches asynchronously: wait for the last update
        numpy.asarray(parameters[0].get_value())
        times.append((time.perf_counter() - start) / batches)
    return {'initialize': initialize, 'first_call': first_call,
            'batch': float(numpy.median(times))}


def _child(mode, batches, compiledir):
    environment = dict(os.environ, BLOCKS_COMPILE_MODE=mode,
                       PYTENSOR_FLAGS='base_compiledir={}'.format(compiledir))
    code = ("import json, sys; from benchmarks.compile_modes import measure; "
            "print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))")
    result = subprocess.run([sys.executable, '-c', code, mode, str(batches)],
                            cwd=repository_root(), env=environment,
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError('the {} run failed:\n{}'.format(
            mode, result.stderr[-2000:]))
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark; a cold and a warm row per available mode."""
    try:
        import jax  # noqa: F401
        modes = MODES
    except ImportError:
        modes = tuple(mode for mode in MODES if mode != 'JAX')
    if quick:
        modes = ('FAST_COMPILE',)
    batches = 5 if quick else max(20, 20 * repeats)
    rows = []
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix='pytensor-cache-') as cache:
            for state in ('cold', 'warm'):
                timing = _child(mode, batches, cache)
                rows.append(Result(
                    'compile_modes/{} {}'.format(mode, state),
                    blocks=timing['batch'],
                    compile=timing['initialize'] + timing['first_call'],
                    notes='initialize {:.2f} s + first call {:.2f} s; time '
                          'per batch of 256'.format(timing['initialize'],
                                                    timing['first_call'])))
    return rows
