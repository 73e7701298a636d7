"""Run the benchmark suite and print the table (``python -m benchmarks``).

Run from the repository root::

    python -m benchmarks                  # everything, default compile mode
    python benchmarks/run.py --quick      # tiny sizes: the smoke test CI runs
    python -m benchmarks --only mlp_epoch,checkpoint --repeats 5

The options are parsed before NumPy (or PyTorch) is imported, so that
``--threads`` can set ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` (and ``torch.set_num_threads``): both frameworks then use
the same number of threads. ``--mode`` sets ``BLOCKS_COMPILE_MODE``, the
mode of every function Blocks compiles. When ``FUEL_DATA_PATH`` is not set,
``mnist.hdf5`` is built from the files shipped in ``fuel`` in a temporary
directory, removed at the end.

The table goes to standard output twice: aligned, then as Markdown for
``benchmarks/README.md``. Progress and warnings go to standard error. The exit
status is 1 when a benchmark failed (e.g. the two frameworks' parameters did
not agree), 0 otherwise; timings are never asserted.
"""
import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
import traceback

if __package__ in (None, ''):  # run as a script: python benchmarks/run.py
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from benchmarks import BENCHMARKS  # noqa: E402  (imports nothing heavy)

THREAD_VARIABLES = ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS',
                    'MKL_NUM_THREADS')
DEFAULT_REPEATS = 3
QUICK_REPEATS = 1
QUICK_MODE = 'FAST_COMPILE'


def benchmark_names(value):
    """Parse ``--only``: a comma-separated list of benchmark names."""
    names = [name.strip() for name in value.split(',') if name.strip()]
    unknown = [name for name in names if name not in BENCHMARKS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            '--only must name benchmarks among {}, got {!r}'.format(
                ', '.join(BENCHMARKS), value))
    return names


def positive_int(value):
    """Parse a positive integer option."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            'expected a positive integer, got {!r}'.format(value))
    return number


def parser():
    """The command-line parser."""
    result = argparse.ArgumentParser(
        prog='python -m benchmarks',
        description='Blocks and Fuel against the same work in PyTorch (CPU).')
    result.add_argument(
        '--quick', action='store_true',
        help='tiny sizes and {} repeat(s), to check that the suite runs '
             '(compile mode {} unless --mode or BLOCKS_COMPILE_MODE says '
             'otherwise)'.format(QUICK_REPEATS, QUICK_MODE))
    result.add_argument(
        '--only', type=benchmark_names, metavar='NAME[,NAME]',
        help='run only these benchmarks ({})'.format(', '.join(BENCHMARKS)))
    result.add_argument(
        '--repeats', type=positive_int, metavar='N',
        help='timed repeats of each measurement, the median is reported '
             '(default {}, {} with --quick)'.format(
                 DEFAULT_REPEATS, QUICK_REPEATS))
    result.add_argument(
        '--threads', type=positive_int, default=1, metavar='N',
        help='BLAS/OpenMP threads of NumPy, PyTensor and PyTorch (default 1)')
    result.add_argument(
        '--mode', metavar='MODE',
        help='BLOCKS_COMPILE_MODE for the Blocks side (NUMBA, CVM, '
             'FAST_COMPILE, ...; default: the project default)')
    result.add_argument(
        '--no-torch', action='store_true',
        help='run the Blocks/Fuel side only')
    return result


def configure_environment(args):
    """Set the variables that must be set before NumPy and Blocks load."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(args.threads)
    if args.mode:
        os.environ['BLOCKS_COMPILE_MODE'] = args.mode
    elif args.quick and not os.environ.get('BLOCKS_COMPILE_MODE'):
        os.environ['BLOCKS_COMPILE_MODE'] = QUICK_MODE
    if not os.environ.get('FUEL_DATA_PATH'):
        data_path = tempfile.mkdtemp(prefix='blocks-bench-data-')
        os.environ['FUEL_DATA_PATH'] = data_path
        atexit.register(shutil.rmtree, data_path, ignore_errors=True)


def import_torch(args):
    """PyTorch with the requested threads, or ``None`` (and why)."""
    if args.no_torch:
        return None, 'PyTorch not run (--no-torch)'
    try:
        import torch
    except ImportError:
        return None, ('PyTorch is not installed: its columns are n/a '
                      '(pip install -e .[bench])')
    torch.set_num_threads(args.threads)
    return torch, None


def cpu_model():
    """The CPU model named in ``/proc/cpuinfo``, or the platform's."""
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def describe_mode():
    """The compile mode Blocks uses, in words (e.g. ``CVM (project default,
    VMLinker with C thunks)``)."""
    from pytensor.compile.mode import get_mode

    from blocks.config import config
    from blocks.compile.compilation import pytensor_mode, resolve_mode
    mode = resolve_mode()
    linker = get_mode(pytensor_mode(mode)).linker
    details = [type(linker).__name__ + (' with C thunks' if getattr(
        linker, 'c_thunks', False) else '')]
    if config.compile_mode is None:
        details.insert(0, 'project default')
    name = mode if isinstance(mode, str) else type(mode).__name__
    return '{} ({})'.format(name, ', '.join(details))


def machine_lines(args, torch, command):
    """Where and how the table was measured, as Markdown list items."""
    import numpy
    import pytensor
    nproc = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else os.cpu_count()
    versions = 'Python {}, NumPy {}, PyTensor {}, PyTorch {}'.format(
        sys.version.split()[0], numpy.__version__, pytensor.__version__,
        torch.__version__ if torch is not None else 'n/a')
    return ['- date: {}'.format(time.strftime('%Y-%m-%d %H:%M %Z')),
            '- machine: {} (nproc {})'.format(cpu_model(), nproc),
            '- versions: {}'.format(versions),
            '- floatX {}, Blocks compile mode {}, threads {}, {}'.format(
                pytensor.config.floatX, describe_mode(), args.threads,
                'quick sizes' if args.quick else 'full sizes'),
            '- command: `{}`'.format(command)]


def run_benchmarks(names, quick, repeats, torch):
    """Run the benchmarks; ``(results, names of the failed ones)``."""
    import importlib

    from benchmarks.common import Result
    results, failed = [], []
    for name in names:
        print('running {} ...'.format(name), file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module('benchmarks.' + name)
            rows = module.run(quick=quick, repeats=repeats, torch=torch)
        except Exception as error:
            traceback.print_exc()
            failed.append(name)
            rows = [Result(name, None, notes='FAILED: {}: {}'.format(
                type(error).__name__, error).splitlines()[0])]
        results.extend(rows)
        print('  {} done in {:.1f} s'.format(name, time.perf_counter() - start),
              file=sys.stderr, flush=True)
    return results, failed


def main(argv=None):
    """Parse the options, run the benchmarks, print the table; exit status."""
    args = parser().parse_args(argv)
    configure_environment(args)
    repeats = args.repeats or (QUICK_REPEATS if args.quick else DEFAULT_REPEATS)
    names = args.only or list(BENCHMARKS)
    torch, torch_note = import_torch(args)
    if torch_note:
        print(torch_note, file=sys.stderr)

    from benchmarks.common import markdown_table, text_table
    command = 'python -m benchmarks' + ''.join(
        ' ' + argument for argument in (sys.argv[1:] if argv is None else argv))
    start = time.perf_counter()
    results, failed = run_benchmarks(names, args.quick, repeats, torch)
    total = time.perf_counter() - start

    lines = machine_lines(args, torch, command)
    print()
    print(text_table(results))
    print()
    if torch_note:
        print('Note: ' + torch_note)
    print('Times are medians of {} repeat(s), in seconds; Blocks/PyTorch above '
          '1 means Blocks is slower. Suite time {:.1f} s.'.format(repeats, total))
    print()
    print('Markdown:')
    print()
    print('\n'.join(lines))
    print()
    print(markdown_table(results))
    if failed:
        print('\nFAILED: {}'.format(', '.join(failed)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
