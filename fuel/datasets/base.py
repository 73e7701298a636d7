"""The dataset interface and the in-memory datasets.

A dataset knows how to give data; it keeps no iteration state itself. The
state of a pass over the data (an open file, an iterator) is created by
:meth:`Dataset.open` and handed back to :meth:`Dataset.get_data` by the data
stream, so that several streams can read one dataset at the same time.
"""
from collections.abc import Iterable, Mapping

import numpy

from fuel.iterator import ZipIterator, iter_
from fuel.schemes import SequentialExampleScheme


class Dataset:
    """The base class of datasets.

    Parameters
    ----------
    sources : tuple of str, optional
        The sources to provide, in this order; a subset of
        ``provides_sources``. Default: all of them.
    axis_labels : dict, optional
        For each source, a tuple naming its axes.

    Attributes
    ----------
    provides_sources : tuple of str
        All the sources the dataset can provide.
    sources : tuple of str
        The sources it provides now.
    default_transformers : tuple
        ``(transformer_class, args, kwargs)`` triples that
        :meth:`apply_default_transformers` (and
        :meth:`~fuel.streams.DataStream.default_stream`) wrap around a stream,
        in order.

    Notes
    -----
    A subclass sets ``provides_sources`` (as a class attribute, or before
    calling ``super().__init__``) and implements :meth:`get_data`, and
    :meth:`open`, :meth:`close`, :meth:`reset` and :meth:`next_epoch` when it
    keeps a state between calls.
    """
    provides_sources = None
    default_transformers = ()

    def __init__(self, sources=None, axis_labels=None):
        if not self.provides_sources:
            raise ValueError('{} does not say what it provides: set '
                             'provides_sources'.format(type(self).__name__))
        if sources is not None:
            if isinstance(sources, str):
                raise ValueError("sources must be a tuple of source names such "
                                 "as ('features',), got the string {!r}"
                                 .format(sources))
            sources = tuple(sources)
            unknown = [source for source in sources
                       if source not in self.provides_sources]
            if not sources or unknown:
                raise ValueError('sources must be a non-empty subset of {}, got '
                                 '{}'.format(self.provides_sources, sources))
            self.sources = sources
        self.axis_labels = axis_labels

    @property
    def sources(self):
        if not hasattr(self, '_sources'):
            return self.provides_sources
        return self._sources

    @sources.setter
    def sources(self, sources):
        self._sources = tuple(sources)

    def apply_default_transformers(self, stream):
        """Wrap ``stream`` in the dataset's default transformers.

        Parameters
        ----------
        stream : :class:`~fuel.streams.AbstractDataStream`
            A stream over this dataset.
        """
        for transformer, args, kwargs in self.default_transformers:
            stream = transformer(stream, *args, **kwargs)
        return stream

    @property
    def example_iteration_scheme(self):
        """A scheme that requests each example once, in order."""
        if getattr(self, '_example_iteration_scheme', None) is None:
            raise AttributeError('{} has no example iteration scheme'.format(
                type(self).__name__))
        return self._example_iteration_scheme

    @example_iteration_scheme.setter
    def example_iteration_scheme(self, value):
        self._example_iteration_scheme = value

    def get_example_stream(self):
        """A stream of the dataset's examples, one at a time.

        It uses :attr:`example_iteration_scheme` when the dataset has one,
        and iterates over the dataset without a scheme otherwise (an
        :class:`IterableDataset`).

        >>> from fuel.datasets import IterableDataset
        >>> stream = IterableDataset([1, 2]).get_example_stream()
        >>> list(stream.get_epoch_iterator())
        [(1,), (2,)]

        """
        from fuel.streams import DataStream
        scheme = getattr(self, '_example_iteration_scheme', None)
        return DataStream(self, iteration_scheme=scheme)

    def open(self):
        """Return the state of a new pass over the data (default ``None``)."""
        return None

    def close(self, state):
        """Release what ``state`` holds."""

    def reset(self, state):
        """Close ``state`` and return a fresh one."""
        self.close(state)
        return self.open()

    def next_epoch(self, state):
        """Return the state for the next epoch (by default: reset)."""
        return self.reset(state)

    def get_data(self, state=None, request=None):
        """Return the data of ``request``: a tuple with one entry per source.

        Parameters
        ----------
        state : object
            What :meth:`open` returned.
        request : object, optional
            What to return (e.g. a list of example indices).
        """
        raise NotImplementedError(
            '{} must implement get_data'.format(type(self).__name__))

    def filter_sources(self, data):
        """Keep the entries of ``data`` (one per provided source) that are
        in ``sources``."""
        return tuple(datum for datum, source in zip(data, self.provides_sources)
                     if source in self.sources)


class IterableDataset(Dataset):
    """A dataset over iterables, read once from start to end each epoch.

    Parameters
    ----------
    iterables : iterable or dict of iterables
        The data: one iterable (source ``'data'``), or a dict from source
        names to iterables of the same length.
    sources, axis_labels
        See :class:`Dataset`.

    Notes
    -----
    Lists, tuples, ranges and arrays are read by position, so that a stream
    over them pickles mid-epoch. Other iterables (e.g. generators) work, but
    their iterators usually do not pickle.

    Examples
    --------
    >>> from fuel.streams import DataStream
    >>> dataset = IterableDataset({'x': [1, 2, 3], 'y': 'abc'})
    >>> dataset.sources, dataset.num_examples
    (('x', 'y'), 3)
    >>> list(DataStream(dataset).get_epoch_iterator())
    [(1, 'a'), (2, 'b'), (3, 'c')]
    """
    #: As in the original: read without a scheme, so its example stream has none.
    example_iteration_scheme = None

    def __init__(self, iterables, **kwargs):
        if isinstance(iterables, Mapping):
            self.provides_sources = tuple(iterables.keys())
        else:
            self.provides_sources = ('data',)
        super().__init__(**kwargs)
        if isinstance(iterables, Mapping):
            bad = [source for source, iterable in iterables.items()
                   if not isinstance(iterable, Iterable)]
            if bad:
                raise ValueError('the values of iterables must be iterable; '
                                 'source(s) {} are not'.format(bad))
            self.iterables = [iterables[source] for source in self.sources]
        else:
            if not isinstance(iterables, Iterable):
                raise ValueError('iterables must be an iterable or a dict of '
                                 'iterables, got {!r}'.format(iterables))
            self.iterables = [iterables]
        try:
            lengths = set(len(iterable) for iterable in self.iterables)
        except TypeError:
            lengths = set()
        if len(lengths) > 1:
            raise ValueError('the iterables must have the same length, got '
                             'lengths {}'.format(sorted(lengths)))

    @property
    def num_examples(self):
        """The number of examples, or NaN when the iterables have no length."""
        try:
            return len(self.iterables[0])
        except TypeError:
            return float('nan')

    def open(self):
        return ZipIterator([iter_(iterable) for iterable in self.iterables])

    def get_data(self, state=None, request=None):
        if state is None or request is not None:
            raise ValueError(
                'IterableDataset is read from start to end and takes no '
                'requests (got {!r}); use it in a DataStream without an '
                'iteration_scheme, or use IndexableDataset'.format(request))
        return next(state)


class IndexableDataset(Dataset):
    """A dataset over sequences held in memory, read by index.

    Parameters
    ----------
    indexables : sequence or dict of sequences
        The data: one array or list (source ``'data'``), or a dict from source
        names to arrays or lists of the same length.
    start, stop : int, optional
        Use only the examples ``start:stop``.
    sources, axis_labels
        See :class:`Dataset`.

    Notes
    -----
    A request is a slice, an index, or a list of indices; arrays are indexed
    with it in one NumPy operation, lists example by example.

    Examples
    --------
    >>> import numpy
    >>> dataset = IndexableDataset({'features': numpy.arange(8).reshape(4, 2),
    ...                             'targets': numpy.arange(4)})
    >>> dataset.num_examples
    4
    >>> features, targets = dataset.get_data(request=[3, 0])
    >>> features.tolist(), targets.tolist()
    ([[6, 7], [0, 1]], [3, 0])
    >>> dataset.targets.tolist()
    [0, 1, 2, 3]
    """
    def __init__(self, indexables, start=None, stop=None, **kwargs):
        if isinstance(indexables, Mapping):
            self.provides_sources = tuple(indexables.keys())
        else:
            self.provides_sources = ('data',)
        super().__init__(**kwargs)
        if isinstance(indexables, Mapping):
            self.indexables = [indexables[source][start:stop]
                               for source in self.sources]
        else:
            self.indexables = [indexables[start:stop]]
        lengths = set(len(indexable) for indexable in self.indexables)
        if len(lengths) > 1:
            raise ValueError('the indexables must have the same length, got '
                             'lengths {}'.format(sorted(lengths)))
        self.start = start
        self.stop = stop
        self.example_iteration_scheme = SequentialExampleScheme(self.num_examples)

    def __getattr__(self, attr):
        if not attr.startswith('_') and attr not in ('indexables', 'sources'):
            sources = self.__dict__.get('_sources',
                                        self.__dict__.get('provides_sources', ()))
            if attr in sources and 'indexables' in self.__dict__:
                return self.indexables[list(sources).index(attr)]
        raise AttributeError('{!r} object has no attribute {!r}'.format(
            type(self).__name__, attr))

    @property
    def num_examples(self):
        """The number of examples."""
        return len(self.indexables[0])

    def get_data(self, state=None, request=None):
        if state is not None or request is None:
            raise ValueError(
                'IndexableDataset needs a request (a slice or a list of '
                'indices); give the DataStream an iteration_scheme such as '
                'SequentialScheme(dataset.num_examples, batch_size), got '
                'request={!r}'.format(request))
        try:
            return tuple(index_sequence(indexable, request)
                         for indexable in self.indexables)
        except IndexError as error:
            raise request_out_of_range(self, request) from error


def index_sequence(sequence, request):
    """Index an array or a list with a slice, an index or a list of indices.

    >>> index_sequence(['a', 'b', 'c'], [2, 0])
    ['c', 'a']
    """
    if isinstance(sequence, numpy.ndarray) or isinstance(
            request, (slice, int, numpy.integer)):
        return sequence[request]
    return [sequence[index] for index in request]


def request_out_of_range(dataset, request):
    """The ``IndexError`` for a request past the end of ``dataset``, naming both."""
    from fuel.streams import describe_dataset
    indices = numpy.asarray([request] if isinstance(
        request, (int, numpy.integer)) else request).ravel()
    bad = indices[(indices >= dataset.num_examples) |
                  (indices < -dataset.num_examples)] if indices.size else indices
    return IndexError(
        'a request asks for example {} of the dataset {}, which has {} examples '
        '(indices 0 to {}); check that the iteration scheme was built with '
        'dataset.num_examples'.format(
            bad[0] if bad.size else request, describe_dataset(dataset),
            dataset.num_examples, dataset.num_examples - 1))
