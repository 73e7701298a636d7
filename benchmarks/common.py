"""What the benchmarks share: result rows, timing, and the table.

Import this module only after the runner has set the thread variables
(``OPENBLAS_NUM_THREADS`` and friends): it imports NumPy.
"""
import os
import statistics
import time

import numpy


class Result:
    """One row of the benchmark table.

    Parameters
    ----------
    name : str
        The benchmark (and variant) name, e.g. ``'data_stream/hdf5'``.
    blocks : float
        The median time of the Blocks/Fuel side, in seconds.
    torch : float, optional
        The median time of the PyTorch side, in seconds; ``None`` when
        PyTorch was not run.
    compile : float, optional
        The time Blocks spent compiling, in seconds, when it compiles.
    blocks_rate, torch_rate : float, optional
        A throughput of each side, in `unit`.
    unit : str, optional
        The unit of the throughputs (``'GFLOP/s'``, ``'batches/s'``).
    notes : str, optional
        Anything else worth a column: sizes, checks, what was timed.

    Examples
    --------
    >>> row = Result('demo', blocks=2.0, torch=1.0)
    >>> row.ratio
    2.0
    >>> Result('demo', blocks=2.0).ratio is None
    True
    """
    def __init__(self, name, blocks, torch=None, compile=None,
                 blocks_rate=None, torch_rate=None, unit='', notes=''):
        self.name = name
        self.blocks = blocks
        self.torch = torch
        self.compile = compile
        self.blocks_rate = blocks_rate
        self.torch_rate = torch_rate
        self.unit = unit
        self.notes = notes

    @property
    def ratio(self):
        """Blocks time over PyTorch time (above 1: Blocks is slower)."""
        if self.torch is None or self.blocks is None or not self.torch:
            return None
        return self.blocks / self.torch


def median(values):
    """The median of a non-empty sequence of numbers.

    >>> median([3., 1., 2.])
    2.0
    """
    values = list(values)
    if not values:
        raise ValueError('values must hold at least one number, got '
                         '{!r}'.format(values))
    return float(statistics.median(values))


def time_calls(function, repeats, warmup=1):
    """Call `function` ``warmup + repeats`` times; the timed calls' seconds.

    Parameters
    ----------
    function : callable
        Called without arguments.
    repeats : int
        How many calls are timed.
    warmup : int, optional
        How many calls come first, untimed. Default 1.

    Returns
    -------
    list of float
        The wall-clock time of each timed call.

    Examples
    --------
    >>> len(time_calls(lambda: None, repeats=3))
    3
    """
    if repeats < 1:
        raise ValueError('repeats must be at least 1, got {!r}'.format(repeats))
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def floatX():
    """PyTensor's ``config.floatX`` (``'float64'`` or ``'float32'``)."""
    import pytensor
    return pytensor.config.floatX


def torch_dtype(torch):
    """The PyTorch dtype matching :func:`floatX`."""
    return getattr(torch, floatX())


def max_abs_difference(pairs):
    """The largest absolute difference over ``(array, array)`` pairs.

    >>> max_abs_difference([(numpy.zeros(2), numpy.array([0.5, -1.]))])
    1.0
    """
    return max(float(numpy.max(numpy.abs(numpy.asarray(a) - numpy.asarray(b))))
               for a, b in pairs)


def parameter_tolerance():
    """How far the two frameworks' trained parameters may drift apart.

    Both sides compute the same float operations in a different order, so
    they agree to rounding error amplified by training: ``1e-6`` in float64
    and ``1e-3`` in float32.
    """
    return 1e-6 if floatX() == 'float64' else 1e-3


def check_parameters(name, difference):
    """Raise if the two sides' parameters differ by more than the tolerance."""
    tolerance = parameter_tolerance()
    if not difference <= tolerance:
        raise AssertionError(
            '{}: Blocks and PyTorch parameters differ by {:.3g} after the same '
            'training, more than the tolerance {:g} ({})'.format(
                name, difference, tolerance, floatX()))


QUICK_MNIST_EXAMPLES = 2048


def tutorial_stream(quick, which_set='train', batch_size=256, **kwargs):
    """The tutorial's MNIST stream (``QUICK_MNIST_EXAMPLES`` examples if `quick`)."""
    from fuel.datasets import MNIST
    from fuel.schemes import SequentialScheme
    from fuel.streams import DataStream
    from fuel.transformers import Flatten

    if quick:
        kwargs['subset'] = slice(0, QUICK_MNIST_EXAMPLES)
    mnist = MNIST((which_set,), **kwargs)
    return Flatten(DataStream.default_stream(
        mnist, iteration_scheme=SequentialScheme(mnist.num_examples,
                                                 batch_size=batch_size)))


def stream_arrays(stream):
    """One epoch of a stream, concatenated: ``(features, targets)``."""
    features, targets = [], []
    for batch_features, batch_targets in stream.get_epoch_iterator():
        features.append(batch_features)
        targets.append(batch_targets)
    return numpy.concatenate(features), numpy.concatenate(targets)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def repository_root():
    """The directory that holds the ``benchmarks`` package."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def format_seconds(value):
    """Seconds with four significant digits; ``''`` for ``None``.

    >>> format_seconds(0.012345), format_seconds(None)
    ('0.01235', '')
    """
    if value is None:
        return ''
    return '{:.4g}'.format(value)


def format_rate(value, unit):
    """A throughput with its unit; ``''`` for ``None``.

    >>> format_rate(1234.5, 'batches/s')
    '1234 batches/s'
    """
    if value is None:
        return ''
    return '{:.4g} {}'.format(value, unit)


COLUMNS = ('benchmark', 'Blocks (s)', 'PyTorch (s)', 'Blocks/PyTorch',
           'compile (s)', 'Blocks rate', 'PyTorch rate', 'notes')


def table_cells(results):
    """The table as a list of rows of strings, the header first."""
    rows = [list(COLUMNS)]
    for result in results:
        ratio = result.ratio
        rows.append([
            result.name,
            format_seconds(result.blocks),
            format_seconds(result.torch) if result.torch is not None else 'n/a',
            '{:.2f}'.format(ratio) if ratio is not None else 'n/a',
            format_seconds(result.compile),
            format_rate(result.blocks_rate, result.unit),
            format_rate(result.torch_rate, result.unit),
            result.notes])
    return rows


def text_table(results):
    """The table as aligned plain text.

    >>> print(text_table([Result('demo', 2.0, 1.0)]).splitlines()[2])
    demo  2           1            2.00
    """
    rows = table_cells(results)
    widths = [max(len(row[column]) for row in rows)
              for column in range(len(COLUMNS) - 1)]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        lines.append('  '.join(cells + [row[-1]]).rstrip())
        if index == 0:
            lines.append('  '.join('-' * width for width in widths) + '  -----')
    return '\n'.join(lines)


def markdown_table(results):
    """The table in Markdown, for ``benchmarks/README.md``.

    >>> print(markdown_table([Result('demo', 2.0, 1.0)]).splitlines()[2])
    | demo | 2 | 1 | 2.00 |  |  |  |  |
    """
    rows = table_cells(results)
    lines = ['| ' + ' | '.join(cell.replace('|', '\\|') for cell in row) + ' |'
             for row in rows]
    lines.insert(1, '|' + '|'.join(' --- ' for _ in COLUMNS) + '|')
    return '\n'.join(lines)
