"""Iteration schemes: which examples to request, in which order.

An iteration scheme's :meth:`~IterationScheme.get_request_iterator` returns
the requests of one epoch: batch sizes (:class:`ConstantScheme`), lists of
example indices (:class:`SequentialScheme`, :class:`ShuffledScheme`) or single
indices (:class:`SequentialExampleScheme`, :class:`ShuffledExampleScheme`).
The request iterators are picklable at any point.

Where they are known, schemes expose ``num_examples`` (examples per epoch),
``num_batches`` (requests per epoch) and ``batch_size``, which a progress bar
reads; where one is unknown the attribute is missing (``hasattr`` is false).

Examples
--------
>>> list(SequentialScheme(5, batch_size=2).get_request_iterator())
[[0, 1], [2, 3], [4]]
>>> SequentialScheme(5, batch_size=2).num_batches
3
"""
import math
import numbers
from collections.abc import Iterable

import numpy

from fuel import config
from fuel.iterator import (BatchIterator, ChainIterator, RepeatIterator,
                           SequenceIterator)


class IterationScheme:
    """The base class of iteration schemes.

    Attributes
    ----------
    requests_examples : bool
        ``True`` if the requests are for single examples, ``False`` if they
        are for batches.
    """
    requests_examples = None

    def get_request_iterator(self):
        """Return an iterator over the requests of one epoch."""
        raise NotImplementedError(
            '{} must implement get_request_iterator'.format(type(self).__name__))


class BatchSizeScheme(IterationScheme):
    """A scheme whose requests are batch sizes (integers)."""
    requests_examples = False


def _check_batch_size(batch_size):
    if (isinstance(batch_size, bool) or
            not isinstance(batch_size, (int, numpy.integer)) or batch_size < 1):
        raise ValueError('batch_size must be a positive integer, got {!r}'
                         .format(batch_size))
    return int(batch_size)


def _as_indices(examples):
    """Turn an example count or a collection of indices into a sequence."""
    if isinstance(examples, (int, numpy.integer)) and not isinstance(examples, bool):
        if examples < 0:
            raise ValueError('examples must be a non-negative number of '
                             'examples or a list of indices, got {!r}'
                             .format(examples))
        return range(int(examples))
    if isinstance(examples, numpy.ndarray):
        return examples.ravel().tolist()
    if isinstance(examples, Iterable):
        return examples if isinstance(examples, (list, range)) else list(examples)
    raise TypeError('examples must be a number of examples or an iterable of '
                    'indices, got {!r}'.format(examples))


def _make_rng(rng):
    if rng is None:
        return numpy.random.RandomState(config.default_seed)
    if isinstance(rng, (int, numpy.integer)) and not isinstance(rng, bool):
        return numpy.random.RandomState(int(rng))
    if isinstance(rng, (numpy.random.RandomState, numpy.random.Generator)):
        return rng
    raise TypeError('rng must be a numpy.random.RandomState, a '
                    'numpy.random.Generator or an integer seed, got {!r}'
                    .format(rng))


class BatchScheme(IterationScheme):
    """A scheme whose requests are lists of example indices.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples (indices ``0`` to ``examples - 1``), or the
        indices themselves.
    batch_size : int
        The number of indices per request; the last request of an epoch may
        hold fewer.
    """
    requests_examples = False

    def __init__(self, examples, batch_size):
        self.indices = _as_indices(examples)
        self.batch_size = _check_batch_size(batch_size)

    @property
    def num_examples(self):
        """The number of examples per epoch."""
        return len(self.indices)

    @property
    def num_batches(self):
        """The number of requests per epoch."""
        return int(math.ceil(len(self.indices) / self.batch_size))


class IndexScheme(IterationScheme):
    """A scheme whose requests are single example indices.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples, or the indices themselves.
    """
    requests_examples = True

    def __init__(self, examples):
        self.indices = _as_indices(examples)

    @property
    def num_examples(self):
        """The number of examples per epoch."""
        return len(self.indices)

    @property
    def num_batches(self):
        """The number of requests per epoch (one per example)."""
        return len(self.indices)


class ConstantScheme(BatchSizeScheme):
    """Request the same batch size again and again.

    Parameters
    ----------
    batch_size : int
        The batch size to request.
    num_examples : int, optional
        Request batches until this many examples were requested; the last
        batch holds the remainder. Cannot be combined with ``times``.
    times : int, optional
        Request ``times`` batches. Cannot be combined with ``num_examples``.
        Without either, the requests never end.

    Examples
    --------
    >>> list(ConstantScheme(3, num_examples=7).get_request_iterator())
    [3, 3, 1]
    >>> list(ConstantScheme(2, times=2).get_request_iterator())
    [2, 2]
    """
    def __init__(self, batch_size, num_examples=None, times=None):
        if num_examples is not None and times is not None:
            raise ValueError('give ConstantScheme num_examples or times, not '
                             'both (got num_examples={!r}, times={!r})'
                             .format(num_examples, times))
        for name, value in (('num_examples', num_examples), ('times', times)):
            if value is not None and (not isinstance(value, (int, numpy.integer))
                                      or value < 0):
                raise ValueError('{} must be a non-negative integer, got {!r}'
                                 .format(name, value))
        self.batch_size = _check_batch_size(batch_size)
        self._num_examples = num_examples
        self.times = times

    @property
    def num_examples(self):
        """The number of examples per epoch, when it is finite."""
        if self._num_examples is not None:
            return self._num_examples
        if self.times is not None:
            return self.times * self.batch_size
        raise AttributeError('an endless ConstantScheme has no num_examples')

    @property
    def num_batches(self):
        """The number of requests per epoch, when it is finite."""
        if self.times is not None:
            return self.times
        return int(math.ceil(self.num_examples / self.batch_size))

    def get_request_iterator(self):
        if self.times is not None:
            return RepeatIterator(self.batch_size, self.times)
        if self._num_examples is not None:
            full, remainder = divmod(self._num_examples, self.batch_size)
            iterators = [RepeatIterator(self.batch_size, full)]
            if remainder:
                iterators.append(SequenceIterator([remainder]))
            return ChainIterator(iterators)
        return RepeatIterator(self.batch_size)


class SequentialScheme(BatchScheme):
    """Request batches of consecutive examples, in order.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples, or the indices to go through.
    batch_size : int
        The number of examples per batch.

    Examples
    --------
    >>> scheme = SequentialScheme(7, batch_size=3)
    >>> list(scheme.get_request_iterator())
    [[0, 1, 2], [3, 4, 5], [6]]
    >>> scheme.num_examples, scheme.num_batches, scheme.batch_size
    (7, 3, 3)
    """
    def get_request_iterator(self):
        return BatchIterator(self.indices, self.batch_size)


class ShuffledScheme(BatchScheme):
    """Request batches of examples in a random order, new each epoch.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples, or the indices to go through.
    batch_size : int
        The number of examples per batch.
    rng : numpy.random.RandomState or int, optional
        The random number generator (or its seed). Default: a
        ``RandomState`` seeded with ``fuel.config.default_seed``.
    sorted_indices : bool, optional
        Sort the indices within each batch (reading an HDF5 file in order is
        faster). Default ``False``.

    Examples
    --------
    >>> scheme = ShuffledScheme(6, batch_size=4, rng=2)
    >>> list(scheme.get_request_iterator())
    [[4, 1, 3, 2], [5, 0]]
    """
    def __init__(self, examples, batch_size, rng=None, sorted_indices=False):
        super().__init__(examples, batch_size)
        self.rng = _make_rng(rng)
        self.sorted_indices = sorted_indices

    def get_request_iterator(self):
        order = self.rng.permutation(len(self.indices))
        shuffled = numpy.asarray(self.indices)[order]
        return BatchIterator(shuffled, self.batch_size, sort=self.sorted_indices)


class SequentialExampleScheme(IndexScheme):
    """Request single examples, in order.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples, or the indices to go through.

    Examples
    --------
    >>> list(SequentialExampleScheme(3).get_request_iterator())
    [0, 1, 2]
    """
    def get_request_iterator(self):
        return SequenceIterator(self.indices)


class ShuffledExampleScheme(IndexScheme):
    """Request single examples in a random order, new each epoch.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples, or the indices to go through.
    rng : numpy.random.RandomState or int, optional
        The random number generator (or its seed). Default: a
        ``RandomState`` seeded with ``fuel.config.default_seed``.

    Examples
    --------
    >>> list(ShuffledExampleScheme(4, rng=2).get_request_iterator())
    [2, 3, 1, 0]
    """
    def __init__(self, examples, rng=None):
        super().__init__(examples)
        self.rng = _make_rng(rng)

    def get_request_iterator(self):
        order = self.rng.permutation(len(self.indices))
        return SequenceIterator(numpy.asarray(self.indices)[order].tolist())


class ConcatenatedScheme(IterationScheme):
    """Run several schemes one after the other, as one epoch.

    Parameters
    ----------
    schemes : list of :class:`IterationScheme`
        The schemes; all must request examples, or all batches.

    Examples
    --------
    >>> scheme = ConcatenatedScheme([SequentialScheme(3, 2),
    ...                              SequentialScheme([5, 6], 2)])
    >>> list(scheme.get_request_iterator())
    [[0, 1], [2], [5, 6]]
    >>> scheme.num_examples, scheme.num_batches
    (5, 3)
    """
    def __init__(self, schemes):
        self.schemes = list(schemes)
        if not self.schemes:
            raise ValueError('schemes must hold at least one iteration scheme')
        kinds = set(scheme.requests_examples for scheme in self.schemes)
        if len(kinds) != 1:
            raise ValueError('all schemes must request the same kind of data '
                             '(examples or batches), got {}'.format(
                                 [type(scheme).__name__ for scheme in self.schemes]))

    @property
    def requests_examples(self):
        return self.schemes[0].requests_examples

    def _sum(self, attribute):
        return sum(getattr(scheme, attribute) for scheme in self.schemes)

    @property
    def num_examples(self):
        """The total number of examples, when every scheme knows its own."""
        return self._sum('num_examples')

    @property
    def num_batches(self):
        """The total number of requests, when every scheme knows its own."""
        return self._sum('num_batches')

    @property
    def batch_size(self):
        """The batch size, when all schemes share one."""
        sizes = set(getattr(scheme, 'batch_size', None) for scheme in self.schemes)
        if len(sizes) != 1 or None in sizes:
            raise AttributeError('the concatenated schemes do not share one '
                                 'batch size')
        return sizes.pop()

    def get_request_iterator(self):
        return ChainIterator([scheme.get_request_iterator()
                              for scheme in self.schemes])


class _CrossValidationFolds:
    """The iterator returned by :func:`cross_validation`."""
    def __init__(self, scheme_class, num_examples, num_folds, strict, kwargs):
        self.scheme_class = scheme_class
        self.num_examples = num_examples
        self.num_folds = num_folds
        self.strict = strict
        self.kwargs = kwargs
        self.fold = 0

    def __iter__(self):
        return self

    def __len__(self):
        return self.num_folds - self.fold

    def __next__(self):
        if self.fold == 0:
            _check_folds(self.num_examples, self.num_folds, self.strict)
        if self.fold >= self.num_folds:
            raise StopIteration
        begin = self.num_examples * self.fold // self.num_folds
        end = self.num_examples * (self.fold + 1) // self.num_folds
        self.fold += 1
        train = self.scheme_class(
            list(range(0, begin)) + list(range(end, self.num_examples)),
            **self.kwargs)
        valid = self.scheme_class(list(range(begin, end)), **self.kwargs)
        if self.strict:
            return train, valid
        return train, valid, end - begin


def cross_validation(scheme_class, num_examples, num_folds, strict=True,
                     **kwargs):
    """Return the (training, validation) scheme pairs of k-fold cross-validation.

    Parameters
    ----------
    scheme_class : subclass of :class:`IndexScheme` or :class:`BatchScheme`
        The scheme to build for each set; its first argument is the list of
        indices.
    num_examples : int
        The number of examples in the dataset.
    num_folds : int
        The number of folds.
    strict : bool, optional
        Require ``num_examples`` to be divisible by ``num_folds``. When
        ``False``, folds may differ in size and each item is a triple whose
        last element is the size of the validation fold. Default ``True``.
    \\*\\*kwargs
        Passed on to ``scheme_class`` (e.g. ``batch_size``).

    Returns
    -------
    iterator
        ``num_folds`` pairs ``(train_scheme, valid_scheme)``, or triples
        ``(train_scheme, valid_scheme, valid_size)`` when ``strict`` is false.

    Examples
    --------
    >>> folds = cross_validation(SequentialScheme, 6, 3, batch_size=2)
    >>> for train, valid in folds:
    ...     print(train.indices, valid.indices)
    [2, 3, 4, 5] [0, 1]
    [0, 1, 4, 5] [2, 3]
    [0, 1, 2, 3] [4, 5]

    Like the original (a generator), the arguments are checked when the
    first fold is asked for:

    >>> folds = cross_validation(SequentialScheme, 10, 3, batch_size=2)
    >>> next(folds)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 10 examples cannot be split into 3 folds of the same size; ...
    """
    return _CrossValidationFolds(scheme_class, num_examples, num_folds, strict,
                                 kwargs)


def _check_folds(num_examples, num_folds, strict):
    if not isinstance(num_folds, int) or num_folds < 1:
        raise ValueError('num_folds must be a positive integer, got {!r}'
                         .format(num_folds))
    if strict and num_examples % num_folds != 0:
        raise ValueError(
            '{} examples cannot be split into {} folds of the same size; '
            'pass strict=False to allow folds of different sizes'
            .format(num_examples, num_folds))


def _world_rank_and_size():
    """The rank and size of MPI's world, or ``(0, 1)`` without ``mpi4py``."""
    try:
        from mpi4py import MPI
    except ImportError:
        return 0, 1
    return MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()


def shard_bounds(length, rank, size):
    """The ``[start, stop)`` of shard `rank` of `size` over `length` items.

    The shards are contiguous, in rank order, and differ in length by at
    most one; their union is the whole.

    >>> [shard_bounds(7, rank, 3) for rank in range(3)]
    [(0, 2), (2, 4), (4, 7)]
    """
    return (rank * length) // size, ((rank + 1) * length) // size


def shard_request(request, rank, size):
    """Shard `rank` of `size` of one request (a batch size or indices).

    >>> shard_request([10, 11, 12, 13, 14], 1, 2)
    [12, 13, 14]
    >>> shard_request(5, 0, 2)
    2
    """
    if isinstance(request, numbers.Integral):
        start, stop = shard_bounds(int(request), rank, size)
        return stop - start
    if isinstance(request, slice):
        request = range(*request.indices(request.stop))
    start, stop = shard_bounds(len(request), rank, size)
    shard = request[start:stop]
    return shard.tolist() if isinstance(shard, numpy.ndarray) else list(shard)


class ShardIterator:
    """Iterate over the shards of another request iterator's requests.

    The rank and size are looked up at every request when they were not
    given, so an iterator pickled by one worker continues, once unpickled
    by another (or in a job of another size), with that worker's shard of
    the remaining requests.
    """
    def __init__(self, iterator, rank=None, size=None):
        self.iterator = iterator
        self.rank = rank
        self.size = size

    def __iter__(self):
        return self

    def __next__(self):
        request = next(self.iterator)
        rank, size = self.rank, self.size
        if rank is None or size is None:
            world_rank, world_size = _world_rank_and_size()
            rank = world_rank if rank is None else rank
            size = world_size if size is None else size
        return shard_request(request, rank, size)


class ShardedScheme(IterationScheme):
    """Each worker's share of every request of another batch scheme.

    For data-parallel training (:mod:`blocks.distributed`): every worker
    iterates over the same requests of `scheme` and takes its contiguous
    shard of each, in rank order, so the union of the workers' shards of
    a batch is the batch one process would read, and every worker sees the
    same number of batches (a shard may be empty when a batch has fewer
    examples than there are workers).

    Parameters
    ----------
    scheme : :class:`IterationScheme`
        A scheme whose requests are lists of indices or batch sizes (a
        :class:`BatchScheme` or :class:`ConstantScheme`). A shuffling
        scheme must draw the same order on every worker: seed it
        identically (the default seed does).
    rank : int, optional
        This worker's rank. Default: the rank in ``MPI.COMM_WORLD``, looked
        up at each request (0 when ``mpi4py`` is not installed).
    size : int, optional
        The number of workers. Default: the size of ``MPI.COMM_WORLD``.

    Examples
    --------
    >>> scheme = SequentialScheme(10, batch_size=4)
    >>> list(ShardedScheme(scheme, rank=0, size=2).get_request_iterator())
    [[0, 1], [4, 5], [8]]
    >>> list(ShardedScheme(scheme, rank=1, size=2).get_request_iterator())
    [[2, 3], [6, 7], [9]]
    """
    requests_examples = False

    def __init__(self, scheme, rank=None, size=None):
        if not isinstance(scheme, IterationScheme):
            raise TypeError('scheme must be an IterationScheme, got {!r}'
                            .format(scheme))
        if getattr(scheme, 'requests_examples', False):
            raise ValueError('scheme must request batches to be sharded, got '
                             '{!r}, which requests single examples'
                             .format(scheme))
        if size is not None and (isinstance(size, bool) or
                                 not isinstance(size, numbers.Integral) or
                                 size < 1):
            raise ValueError('size must be a positive integer, got {!r}'
                             .format(size))
        if rank is not None and (isinstance(rank, bool) or
                                 not isinstance(rank, numbers.Integral) or
                                 rank < 0 or
                                 (size is not None and rank >= size)):
            raise ValueError('rank must be an integer in [0, size), got {!r} '
                             '(size {!r})'.format(rank, size))
        self.scheme = scheme
        self.rank = rank
        self.size = size

    @property
    def num_batches(self):
        """The number of requests per epoch (the same on every worker)."""
        return self.scheme.num_batches

    def get_request_iterator(self):
        return ShardIterator(self.scheme.get_request_iterator(), self.rank,
                             self.size)
