"""distributed: data-parallel training on 2 MPI workers against 1 process.

The big MLP of :mod:`benchmarks.big_mlp` (784-1024-1024-10, ``Tanh``,
``Tanh``, ``Softmax``, ``CategoricalCrossEntropy``, ``Scale(0.01)``) trained
on random MNIST-sized examples, one thread per process:

- ``1 process``: :class:`~blocks.algorithms.GradientDescent` on batches of
  128, no MPI;
- ``2 workers``: ``mpiexec -n 2``, each worker a
  :class:`~blocks.distributed.DataParallel` on its 128 examples of batches of
  256 (the same work per process: examples per second should double, less
  the reduction), with its default engine (``reduction='auto'``: shared
  memory on one machine, the sum and the step rule shared by the two
  workers, see :mod:`blocks.distributed.sharding`); the note gives the
  engine, the ratio of examples per second to one process, the share of
  a step spent in the reduction of the gradients (a worker's wall time
  inside it, waiting for the other included), its bandwidth (bytes of the buffer per second) next to
  ``MPI_Allreduce`` of a buffer of the same size alone, and the breakdown
  of a worker's step (gradient function, reduction, step function, the
  rest: Python, copies, the barrier that ends a sharded step);
- ``2 workers, whole-step``: the same, each worker applying the whole step
  rule (``DataParallel.shard_step = False``), for comparison;
- ``2 workers, reduce-scatter``: the same with the shared-memory
  reduce-scatter that more workers per machine use
  (``DataParallel.fuse_sum_of_two = False``), for comparison;
- ``2 workers, mpi``: the same with ``reduction='mpi'`` (one
  ``MPI_Allreduce`` of the fused buffer), for comparison.

The steps call ``algorithm.process_batch`` directly (no main loop, no Fuel:
the batches are slices of arrays in memory); the first steps (compilation,
warm-up) are not timed. The jobs run with ``OMP_NUM_THREADS=1``. There is no
PyTorch side. Without ``mpi4py`` or ``mpiexec`` the rows say so.

``python -m benchmarks.distributed --job [--plain | --engine ENGINE] STEPS
BATCH DIMS`` is what the runner launches (one JSON line on rank 0's
standard output).
"""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy

from benchmarks.common import Result

DIMS = (784, 1024, 1024, 10)
QUICK_DIMS = (784, 64, 64, 10)
BATCH_SIZE = 128
STEPS = 40
QUICK_STEPS = 4
WARM_UP = 3
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Timed:
    """A compiled function that adds its wall time to a list."""
    def __init__(self, function, spent):
        self._function = function
        self._spent = spent

    def __call__(self, *args):
        start = time.perf_counter()
        value = self._function(*args)
        self._spent.append(time.perf_counter() - start)
        return value

    def __getattr__(self, name):
        return getattr(self._function, name)


def job(plain, steps, batch_size, dims, engine='auto'):
    """Train and time; print one JSON line on rank 0."""
    from pytensor import tensor
    from blocks.algorithms import GradientDescent, Scale
    from blocks.bricks import MLP, Softmax, Tanh
    from blocks.bricks.cost import CategoricalCrossEntropy
    from blocks.graph import ComputationGraph
    from blocks.initialization import Constant, IsotropicGaussian

    x = tensor.matrix('features')
    y = tensor.lmatrix('targets')
    mlp = MLP([Tanh(), Tanh(), Softmax()], list(dims),
              weights_init=IsotropicGaussian(0.01), biases_init=Constant(0))
    mlp.initialize()
    cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
    algorithm = GradientDescent(cost=cost,
                                parameters=ComputationGraph(cost).parameters,
                                step_rule=Scale(0.01))
    rng = numpy.random.RandomState(1)
    features = rng.uniform(size=(batch_size * 8, dims[0])).astype(x.dtype)
    targets = rng.randint(dims[-1], size=(batch_size * 8, 1)).astype('int64')
    batches = [{'features': features[i:i + batch_size],
                'targets': targets[i:i + batch_size]}
               for i in range(0, len(features), batch_size)]
    result = {}
    if plain:
        rank = 0
    else:
        from blocks.distributed import DataParallel
        from blocks.distributed import algorithms as dp_algorithms
        from blocks.distributed.mpi import allreduce, world
        comm = world()
        rank = comm.Get_rank()
        algorithm = DataParallel(algorithm, reduction=(
            'shared' if engine in ('reduce-scatter', 'whole-step')
            else engine))
        algorithm.fuse_sum_of_two = engine != 'reduce-scatter'
        algorithm.shard_step = engine != 'whole-step'
        spent = {'reduction': [], 'gradients': [], 'step_rule': []}

        def timed_allreduce(*args, **kwargs):
            start = time.perf_counter()
            value = allreduce(*args, **kwargs)
            spent['reduction'].append(time.perf_counter() - start)
            return value
        dp_algorithms.allreduce = timed_allreduce
    algorithm.initialize()
    for step in range(WARM_UP):
        algorithm.process_batch(batches[step % len(batches)])
    if not plain:
        if algorithm._shared is not None:
            algorithm._shared.reduce = _Timed(algorithm._shared.reduce,
                                              spent['reduction'])
        for name, key in (('_gradients_function', 'gradients'),
                          ('_step_function', 'step_rule')):
            setattr(algorithm, name, _Timed(getattr(algorithm, name),
                                            spent[key]))
        comm.Barrier()
        for times in spent.values():
            del times[:]
    start = time.perf_counter()
    for step in range(steps):
        algorithm.process_batch(batches[step % len(batches)])
    elapsed = time.perf_counter() - start
    result['step'] = elapsed / steps
    if not plain:
        # The slowest worker sets the pace.
        result['step'] = comm.allreduce(result['step'], op=max_op())
        # The breakdown is rank 0's (the other's is alike).
        for key, times in spent.items():
            result[key] = sum(times) / steps
        result['allreduce'] = comm.allreduce(result['reduction'],
                                             op=max_op())
        result['engine'] = algorithm.engine
        if algorithm._shared is not None:
            result['engine'] += (', summed in the step function'
                                 if algorithm._shared.fused else
                                 ', reduce-scatter')
            if algorithm._step_shards is not None:
                result['engine'] += ', sharded step'
            if algorithm._factor_window is not None:
                result['engine'] += ', dense gradients as factors'
        # What a worker gives the others: the fused buffer, and the
        # factors of the dense layers' gradients where they travel so.
        factors = algorithm._factor_window
        result['bytes'] = algorithm._fused.nbytes + (
            0 if factors is None else factors.nbytes)
        buffer = numpy.ones(result['bytes'] // algorithm._fused.dtype.itemsize,
                            algorithm._fused.dtype)
        received = numpy.empty_like(buffer)
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(steps):
            comm.Allreduce(buffer, received)
        result['mpi_allreduce'] = comm.allreduce(
            (time.perf_counter() - start) / steps, op=max_op())
        result['workers'] = comm.Get_size()
        algorithm.close()
    if rank == 0:
        print(json.dumps(result), flush=True)


def max_op():
    from mpi4py import MPI
    return MPI.MAX


def _launch(command, timeout, copies=1):
    """Run `copies` of a job at once; their JSON results."""
    environment = dict(os.environ, OMP_NUM_THREADS='1',
                       OPENBLAS_NUM_THREADS='1', MKL_NUM_THREADS='1',
                       HYDRA_LAUNCHER='fork',
                       PYTHONPATH=os.pathsep.join(
                           [ROOT] + [path for path in [os.environ.get(
                               'PYTHONPATH')] if path]))
    processes = [subprocess.Popen(command, cwd=ROOT, env=environment,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(copies)]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=timeout)
        if process.returncode:
            raise RuntimeError('{} failed:\n{}'.format(
                ' '.join(command), stdout + stderr))
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


def run(quick, repeats, torch=None):
    dims = QUICK_DIMS if quick else DIMS
    steps = QUICK_STEPS if quick else STEPS
    arguments = [str(steps), str(BATCH_SIZE), ','.join(map(str, dims))]
    base = [sys.executable, '-m', 'benchmarks.distributed', '--job']
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return [Result('distributed', blocks=float('nan'),
                       notes="skipped: mpi4py is not installed (pip install "
                             "-e '.[mpi]')")]
    mpiexec = (shutil.which('mpiexec', path=os.path.dirname(sys.executable))
               or shutil.which('mpiexec'))
    if mpiexec is None:
        return [Result('distributed', blocks=float('nan'),
                       notes='skipped: no mpiexec')]
    timeout = 120 if quick else 900
    singles, independent = [], []
    pairs = {'auto': [], 'whole-step': [], 'reduce-scatter': [],
             'mpi': []}
    # Alternate them, so that all see the same load on a shared machine.
    for _ in range(max(1, repeats)):
        singles.extend(_launch(base + ['--plain'] + arguments, timeout))
        for engine, results in pairs.items():
            results.extend(_launch(
                [mpiexec, '-n', '2'] + base + ['--engine', engine] +
                arguments, timeout))
        # Two processes at once without MPI: the ceiling of 2 workers on
        # this machine now (what the cores and memory give two processes).
        independent.append(max(
            result['step'] for result in _launch(
                base + ['--plain'] + arguments, timeout, copies=2)))
    single = float(numpy.median([result['step'] for result in singles]))
    ceiling = 2 * BATCH_SIZE / float(numpy.median(independent))
    single_rate = BATCH_SIZE / single
    layers = '-'.join(map(str, dims))
    rows = [Result('distributed/1 process', blocks=single,
                   blocks_rate=single_rate, unit='examples/s',
                   notes='{}, batch {}, seconds per step'.format(
                       layers, BATCH_SIZE))]
    for engine, results in pairs.items():
        pair = sorted(results,
                      key=lambda result: result['step'])[len(results) // 2]
        pair_rate = 2 * BATCH_SIZE / pair['step']
        megabytes = pair['bytes'] / 1e6
        bandwidth = pair['bytes'] / pair['allreduce'] / 1e9
        mpi_bandwidth = pair['bytes'] / pair['mpi_allreduce'] / 1e9
        breakdown = ', '.join('{} {:.1f} ms'.format(label, pair[key] * 1e3)
                              for label, key in (
                                  ('gradients', 'gradients'),
                                  ('reduction', 'reduction'),
                                  ('step rule', 'step_rule')))
        rest = pair['step'] - sum(pair[key] for key in
                                  ('gradients', 'reduction', 'step_rule'))
        rows.append(Result(
            'distributed/2 workers' + ('' if engine == 'auto' else
                                       ', ' + engine),
            blocks=pair['step'], blocks_rate=pair_rate, unit='examples/s',
            notes='{:.2f}x the examples/s of 1 process; engine {}; '
                  'reduction {:.0%} of a step, {:.1f} MB at {:.2f} GB/s '
                  '(MPI_Allreduce alone: {:.2f} GB/s); step of rank 0: '
                  '{}, rest {:.1f} ms; batch {} per worker; 2 processes '
                  'without MPI at once: {:.2f}x'.format(
                      pair_rate / single_rate, pair['engine'],
                      pair['allreduce'] / pair['step'], megabytes,
                      bandwidth, mpi_bandwidth, breakdown, rest * 1e3,
                      BATCH_SIZE, ceiling / single_rate)))
    return rows


if __name__ == '__main__':
    if sys.argv[1:2] == ['--job']:
        options = sys.argv[2:]
        plain = options[:1] == ['--plain']
        engine = 'auto'
        if plain:
            options = options[1:]
        elif options[:1] == ['--engine']:
            engine = options[1]
            options = options[2:]
        job(plain, int(options[0]), int(options[1]),
            tuple(int(dim) for dim in options[2].split(',')), engine)
    else:
        for row in run(quick='--quick' in sys.argv, repeats=1):
            print(row.name, row.blocks, row.blocks_rate, row.notes)
