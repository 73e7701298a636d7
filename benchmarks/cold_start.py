"""cold_start: seconds from ``python examples/mnist.py`` to the first batch trained.

A fresh Python process runs ``examples/mnist.py`` (the introduction
tutorial's model, with its test-set monitoring before the first epoch and
its training-data monitoring) and reports when the first batch has been
trained: the time from just before the process was started, so the
interpreter's start, the imports, building every function the main loop
needs, and monitoring the test set once are all counted. Twice, against the
same new, empty PyTensor compile directory: a cold cache (every C module
compiled), then a warm one. The mode is the one the runner uses (the
project's default unless ``--mode`` says otherwise; ``FAST_COMPILE`` with
``--quick``, which then runs only the cold row). There is no PyTorch side.
"""
import os
import resource
import subprocess
import sys
import tempfile
import time

from benchmarks.common import Result, median, repository_root

CHILD = """
import os, runpy, sys, time
import blocks.algorithms.gradient_descent as gradient_descent

start, report = float(sys.argv[1]), sys.argv[2]
original = gradient_descent.GradientDescent.process_batch

def process_batch(self, batch):
    original(self, batch)
    with open(report, 'w') as file_:
        file_.write(str(time.time() - start))
    os._exit(0)

gradient_descent.GradientDescent.process_batch = process_batch
sys.argv = ['mnist.py', '--no-progress-bar']
runpy.run_path(os.path.join('examples', 'mnist.py'), run_name='__main__')
"""


def _children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def seconds_to_first_batch(compiledir):
    """Start ``examples/mnist.py``; seconds until its first batch is trained.

    Returns
    -------
    tuple
        The wall-clock seconds, and the CPU seconds the process and its
        compilers used (which a loaded machine does not inflate).

    """
    environment = dict(os.environ, PYTENSOR_FLAGS='base_compiledir={}'.format(
        compiledir))
    with tempfile.TemporaryDirectory(prefix='blocks-cold-start-') as scratch:
        report = os.path.join(scratch, 'seconds')
        cpu_before = _children_cpu_seconds()
        start = time.time()
        result = subprocess.run(
            [sys.executable, '-c', CHILD, repr(start), report],
            cwd=repository_root(), env=environment, capture_output=True,
            text=True, timeout=600)
        if result.returncode != 0 or not os.path.exists(report):
            raise RuntimeError('examples/mnist.py failed:\n{}'.format(
                result.stderr[-2000:]))
        with open(report) as file_:
            return float(file_.read()), _children_cpu_seconds() - cpu_before


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark: cold and (unless `quick`) warm rows, the medians
    of `repeats` fresh compile directories."""
    states = ('cold',) if quick else ('cold', 'warm')
    seconds = {state: [] for state in states}
    cpu = {state: [] for state in states}
    load = os.getloadavg()[0]
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix='pytensor-cache-') as cache:
            for state in states:
                wall, used = seconds_to_first_batch(cache)
                seconds[state].append(wall)
                cpu[state].append(used)
    return [Result('cold_start/{}'.format(state), blocks=median(times),
                   notes='python examples/mnist.py to its first batch '
                         'trained, {} PyTensor cache, test-set monitoring '
                         'included; runs: {}; CPU seconds (process and '
                         'compilers): {}; load average at start {:.1f}'.format(
                             state, ', '.join('{:.2f}'.format(time_)
                                              for time_ in times),
                             ', '.join('{:.1f}'.format(used)
                                       for used in cpu[state]), load))
            for state, times in seconds.items()]
