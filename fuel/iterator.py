"""Picklable iterators.

A data stream's epoch iterator must survive ``pickle`` at any point, so that a
training run can be checkpointed mid-epoch and resumed with exactly the same
batches. Generators and ``itertools`` objects cannot be pickled (Python 3.14
removed the last of it), so every iterator that Fuel keeps is one of the small
classes below: their whole state is a few plain attributes.

Examples
--------
>>> import pickle
>>> iterator = SequenceIterator([10, 20, 30])
>>> next(iterator)
10
>>> copy = pickle.loads(pickle.dumps(iterator))
>>> list(copy), list(iterator)
([20, 30], [20, 30])
"""
from collections.abc import Sequence

import numpy


class DataIterator:
    """Iterate over the data of a data stream for one epoch.

    Each step asks the stream for its next piece of data, with the next
    request of the iteration scheme's request iterator when there is one.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to get data from.
    request_iterator : iterator, optional
        The requests to pass to ``data_stream.get_data``; without one,
        ``get_data`` is called without a request.
    as_dict : bool, optional
        Return a ``dict`` from source names to data instead of a tuple.
        Default ``False``.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = DataStream(IterableDataset({'x': [1, 2]}))
    >>> list(stream.get_epoch_iterator(as_dict=True))
    [{'x': 1}, {'x': 2}]
    """
    def __init__(self, data_stream, request_iterator=None, as_dict=False):
        self.data_stream = data_stream
        self.request_iterator = request_iterator
        self.as_dict = as_dict

    def __iter__(self):
        return self

    def __next__(self):
        if self.request_iterator is not None:
            data = self.data_stream.get_data(next(self.request_iterator))
        else:
            data = self.data_stream.get_data()
        if self.as_dict:
            return dict(zip(self.data_stream.sources, data))
        return data


class SequenceIterator:
    """Iterate over a sequence (list, tuple, range, array) by position.

    >>> list(SequenceIterator(range(3)))
    [0, 1, 2]
    """
    def __init__(self, sequence, position=0):
        self.sequence = sequence
        self.position = position

    def __iter__(self):
        return self

    def __next__(self):
        if self.position >= len(self.sequence):
            raise StopIteration
        item = self.sequence[self.position]
        self.position += 1
        return item


class BatchIterator:
    """Iterate over consecutive chunks of a sequence, each as a list.

    Parameters
    ----------
    sequence : sequence
        A list, range or one-dimensional array.
    batch_size : int
        The length of each chunk; the last one may be shorter.
    sort : bool, optional
        Sort each chunk. Default ``False``.

    Examples
    --------
    >>> list(BatchIterator(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    def __init__(self, sequence, batch_size, sort=False):
        self.sequence = sequence
        self.batch_size = batch_size
        self.sort = sort
        self.position = 0

    def __iter__(self):
        return self

    def __next__(self):
        start = self.position
        if start >= len(self.sequence):
            raise StopIteration
        self.position = start + self.batch_size
        batch = self.sequence[start:self.position]
        batch = batch.tolist() if isinstance(batch, numpy.ndarray) else list(batch)
        if self.sort:
            batch.sort()
        return batch


class RepeatIterator:
    """Return the same object ``times`` times, or forever.

    >>> list(RepeatIterator(4, times=3))
    [4, 4, 4]
    """
    def __init__(self, value, times=None):
        self.value = value
        self.times = times
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.times is not None and self.count >= self.times:
            raise StopIteration
        self.count += 1
        return self.value


class ChainIterator:
    """Exhaust several iterators one after the other.

    >>> list(ChainIterator([iter_([1, 2]), iter_([3])]))
    [1, 2, 3]
    """
    def __init__(self, iterators):
        self.iterators = list(iterators)
        self.index = 0

    def __iter__(self):
        return self

    def __next__(self):
        while self.index < len(self.iterators):
            try:
                return next(self.iterators[self.index])
            except StopIteration:
                self.index += 1
        raise StopIteration


class ZipIterator:
    """Return tuples of the next items of several iterators.

    Stops as soon as one of them stops.

    >>> list(ZipIterator([iter_('ab'), iter_([1, 2])]))
    [('a', 1), ('b', 2)]
    """
    def __init__(self, iterators):
        self.iterators = list(iterators)

    def __iter__(self):
        return self

    def __next__(self):
        return tuple([next(iterator) for iterator in self.iterators])


def iter_(iterable):
    """Return a picklable iterator over ``iterable`` where one is possible.

    Sequences (lists, tuples, ranges, strings, NumPy arrays) get a
    :class:`SequenceIterator`; objects that are already iterators are returned
    as they are; anything else gets ``iter(iterable)``, which pickles only if
    the object's own iterator does.

    >>> type(iter_([1, 2])).__name__
    'SequenceIterator'
    """
    if isinstance(iterable, (Sequence, numpy.ndarray)):
        return SequenceIterator(iterable)
    if hasattr(iterable, '__next__'):
        return iterable
    return iter(iterable)
