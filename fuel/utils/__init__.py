"""Helpers: finding dataset files, subsets of examples, lazy attributes.

The submodules hold the rest: :mod:`fuel.utils.cache` (copying datasets to a
local disk), :mod:`fuel.utils.disk`, :mod:`fuel.utils.formats` (opening
compressed files), :mod:`fuel.utils.lock` (file locks shared between
processes) and :mod:`fuel.utils.parallel` (producer/consumer processes).

Examples
--------
>>> subset = Subset(slice(10, 20), 100)
>>> subset.num_examples
10
>>> subset[[0, 9]]
[10, 19]
"""
import collections.abc
import contextlib
import io
import numbers
import os

import numpy

from fuel import config
from fuel.exceptions import DatasetNotFoundError, RequestOutOfRange

#: The buffer type that :mod:`fuel.server` sends arrays through (Python 2's
#: ``buffer`` in the original).
buffer_ = memoryview

__all__ = ['Subset', 'buffer_', 'data_path_directories', 'do_not_pickle_attributes',
           'find_in_data_path', 'iterable_fancy_indexing',
           'lazy_property_factory', 'remember_cwd']


@contextlib.contextmanager
def remember_cwd():
    """Go back to the current working directory when the block ends.

    >>> import tempfile
    >>> before = os.getcwd()
    >>> with remember_cwd():
    ...     os.chdir(tempfile.gettempdir())
    >>> os.getcwd() == before
    True
    """
    current = os.getcwd()
    try:
        yield
    finally:
        os.chdir(current)


def data_path_directories():
    """Return the directories of ``config.data_path``, with ``~`` and variables expanded."""
    return [os.path.expanduser(os.path.expandvars(path))
            for path in config.data_path]


def find_in_data_path(filename, commands=None):
    """Return the path of ``filename`` in the first data path directory that has it.

    Parameters
    ----------
    filename : str
        The file to look for, e.g. ``'mnist.hdf5'``.
    commands : list of str, optional
        The commands that create the file, named in the error message.
        Default: ``fuel-download NAME`` and ``fuel-convert NAME``, where NAME
        is the file name without its extension.

    Raises
    ------
    DatasetNotFoundError
        (an ``IOError``) When no directory of the data path holds the file;
        the message names the directories searched and the commands that
        create the file.
    """
    directories = data_path_directories()
    for directory in directories:
        candidate = os.path.join(directory, filename)
        if os.path.isfile(candidate):
            return candidate
    if commands is None:
        name = os.path.splitext(filename)[0]
        commands = ['fuel-download {}'.format(name),
                    'fuel-convert {}'.format(name)]
    raise DatasetNotFoundError(filename, directories, commands)


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Subset:
    """A subset of the examples of a dataset: a slice or a list of indices.

    Parameters
    ----------
    list_or_slice : slice or list of int
        Which examples, as indices into ``range(original_num_examples)``.
        As in the original Fuel, a slice must have non-negative bounds
        within the examples and a step of 1 (or none); a list is sorted and
        deduplicated, and a list of consecutive indices becomes a slice.
    original_num_examples : int
        The number of examples the indices refer to.

    Raises
    ------
    ValueError
        For negative indices, indices past ``original_num_examples``, a
        slice with a step other than 1 or one that ends before it starts.

    Notes
    -----
    Indexing a subset (``subset[request]``) translates a request made in the
    subset's own coordinates (a slice, or a list of indices) into the
    original dataset's: a slice stays a slice, a list stays a list. A
    request out of the subset raises :class:`~fuel.exceptions.RequestOutOfRange`
    (both a ``ValueError``, as in the original, and an ``IndexError``).
    :meth:`subset_of` wraps the result in a new subset.

    Examples
    --------
    >>> subset = Subset([5, 1, 3], 10)
    >>> subset.list_or_slice, subset.num_examples, subset.is_list
    ([1, 3, 5], 3, True)
    >>> subset[1:]
    [3, 5]
    >>> Subset([2, 3, 4], 10).list_or_slice
    slice(2, 5, None)
    >>> Subset(slice(2, 8), 10)[[0, 3]]
    [2, 5]
    >>> Subset(slice(2, 8), 10)[1:5:2]
    slice(3, 7, 2)
    >>> Subset(slice(0, 4), 10) + Subset(slice(4, 8), 10)
    Subset(slice(0, 8, 1), 10)
    >>> Subset.subset_of(Subset([1, 3, 5], 10), [2, 0])
    Subset([1, 5], 10)
    """
    def __init__(self, list_or_slice, original_num_examples):
        if not _is_integer(original_num_examples) or original_num_examples < 0:
            raise ValueError('original_num_examples must be a non-negative '
                             'integer, got {!r}'.format(original_num_examples))
        self.original_num_examples = int(original_num_examples)
        if isinstance(list_or_slice, range):
            list_or_slice = slice(list_or_slice.start, list_or_slice.stop,
                                  list_or_slice.step)
        if not isinstance(list_or_slice, slice):
            indices = numpy.asarray(list_or_slice)
            if indices.size == 0:
                indices = indices.astype(numpy.int64)
            if indices.ndim != 1 or indices.dtype.kind not in 'iu':
                raise TypeError('a subset must be a slice or a list of integer '
                                'indices, got {!r}'.format(list_or_slice))
            list_or_slice = [int(index) for index in indices]
        self._subset_sanity_check(list_or_slice, self.original_num_examples)
        if isinstance(list_or_slice, list):
            list_or_slice = sorted(set(list_or_slice))
            if list_or_slice and \
                    list_or_slice[-1] - list_or_slice[0] + 1 == len(list_or_slice):
                list_or_slice = slice(list_or_slice[0], list_or_slice[-1] + 1)
        self.list_or_slice = list_or_slice

    def __repr__(self):
        return 'Subset({!r}, {})'.format(self.list_or_slice,
                                         self.original_num_examples)

    def __eq__(self, other):
        return (isinstance(other, Subset) and
                self.original_num_examples == other.original_num_examples and
                self.get_list_representation() == other.get_list_representation())

    def __add__(self, other):
        """Merge two subsets of the same examples.

        Two overlapping or adjacent slices merge into a slice; anything else
        becomes the sorted list of the examples of either (a slice again
        when they are consecutive).
        """
        if self.original_num_examples != other.original_num_examples:
            raise ValueError(
                'cannot add subsets of {} and {} examples: they cannot belong '
                'to the same dataset'.format(self.original_num_examples,
                                             other.original_num_examples))
        if self.is_empty:
            return other
        if other.is_empty:
            return self
        if not self.is_list and not other.is_list:
            first, second = sorted([self._numerical(), other._numerical()])
            if first[2] == second[2] == 1 and second[0] <= first[1]:
                return Subset(slice(first[0], max(first[1], second[1]), 1),
                              self.original_num_examples)
        merged = sorted(set(self.get_list_representation()) |
                        set(other.get_list_representation()))
        return Subset(merged, self.original_num_examples)

    def __getitem__(self, key):
        """Translate ``key`` (in the subset's coordinates) into the original's."""
        if isinstance(key, slice):
            if key != slice(None) or not self.is_empty:  # all of nothing is fine
                self._slice_request_sanity_check(key, self.num_examples)
            if self.is_list:
                return self.list_or_slice[key]
            selected = self._range()[key]
            return slice(selected.start, selected.stop, selected.step)
        if _is_integer(key):
            return self[[key]][0]
        key = [int(index) for index in numpy.asarray(key).ravel()] \
            if isinstance(key, numpy.ndarray) else list(key)
        self._list_request_sanity_check(key, self.num_examples)
        if self.is_list:
            return [self.list_or_slice[index] for index in key]
        selected = self._range()
        return [selected[index] for index in key]

    def _numerical(self):
        return self.slice_to_numerical_args(self.list_or_slice,
                                            self.original_num_examples)

    def _range(self):
        return range(*self._numerical())

    # --- the checks of the original (a ValueError each) ----------------------

    def _subset_sanity_check(self, list_or_slice, num_examples):
        if isinstance(list_or_slice, slice):
            self._slice_subset_sanity_check(list_or_slice, num_examples)
        else:
            self._list_subset_sanity_check(list_or_slice, num_examples)

    @staticmethod
    def _list_subset_sanity_check(list_, num_examples):
        if len(list_) and min(list_) < 0:
            raise ValueError('subset lists must not hold negative indices, got '
                             '{}'.format(min(list_)))
        if len(list_) and max(list_) >= num_examples:
            raise ValueError('subset indices must be in [0, {}), got {}'.format(
                num_examples, max(list_)))

    @staticmethod
    def _slice_subset_sanity_check(slice_, num_examples):
        if any(value is not None and value < 0
               for value in (slice_.start, slice_.stop, slice_.step)):
            raise ValueError('subset slices must not have negative start, stop '
                             'or step, got {!r}'.format(slice_))
        if slice_.step is not None and slice_.step != 1:
            raise ValueError('subset slices must have a step of 1, got '
                             '{!r}'.format(slice_))
        if slice_.stop is not None and slice_.stop > num_examples:
            raise ValueError('subset slice {!r} ends past the {} examples'.format(
                slice_, num_examples))
        if slice_.start is not None and slice_.start >= num_examples and \
                slice_.start != slice_.stop:
            raise ValueError('subset slice {!r} starts past the {} examples'
                             .format(slice_, num_examples))
        start = 0 if slice_.start is None else slice_.start
        stop = num_examples if slice_.stop is None else slice_.stop
        if start > stop:
            raise ValueError('subset slice {!r} ends before it starts'.format(
                slice_))

    @staticmethod
    def _list_request_sanity_check(request, num_examples):
        if not len(request):
            raise RequestOutOfRange('a request must not be empty')
        if min(request) < 0:
            raise RequestOutOfRange('a request must not hold negative indices, '
                                    'got {}'.format(min(request)))
        if max(request) >= num_examples:
            raise RequestOutOfRange(
                'a request asks for example {} of a subset of {} examples '
                '(valid indices: 0 to {})'.format(max(request), num_examples,
                                                  num_examples - 1))

    @staticmethod
    def _slice_request_sanity_check(request, num_examples):
        if any(value is not None and value < 0
               for value in (request.start, request.stop, request.step)):
            raise RequestOutOfRange('a request slice must not have negative '
                                    'start, stop or step, got {!r}'.format(request))
        if request.stop is not None and request.stop > num_examples:
            raise RequestOutOfRange('request {!r} ends past the {} examples of '
                                    'the subset'.format(request, num_examples))
        if request.start is not None and request.start >= num_examples:
            raise RequestOutOfRange('request {!r} starts past the {} examples of '
                                    'the subset'.format(request, num_examples))
        start = 0 if request.start is None else request.start
        stop = num_examples if request.stop is None else request.stop
        if start >= stop:
            raise RequestOutOfRange('request {!r} selects no example of the {} '
                                    'of the subset'.format(request, num_examples))

    @classmethod
    def subset_of(cls, subset, list_or_slice):
        """The subset of ``subset`` that ``list_or_slice`` selects.

        >>> Subset.subset_of(Subset(slice(10, 20), 30), slice(2, 4))
        Subset(slice(12, 14, 1), 30)
        """
        return cls(subset[list_or_slice], subset.original_num_examples)

    @classmethod
    def empty_subset(cls, original_num_examples):
        """A subset without examples.

        >>> Subset.empty_subset(5).is_empty
        True
        """
        return cls([], original_num_examples)

    @staticmethod
    def sorted_fancy_indexing(indexable, request):
        """Index ``indexable`` with the list ``request`` through sorted indices.

        HDF5 datasets accept only increasing indices: this reads them sorted
        and puts the examples back in the order of ``request``.

        >>> Subset.sorted_fancy_indexing(numpy.arange(10) * 10, [7, 2, 5]).tolist()
        [70, 20, 50]
        """
        if len(request) > 1:
            request = numpy.asarray(request)
            unique, inverse = numpy.unique(request, return_inverse=True)
            return indexable[unique.tolist()][inverse]
        return indexable[request]

    @staticmethod
    def slice_to_numerical_args(slice_, num_examples):
        """``(start, stop, step)`` of a slice, with the missing ones filled in.

        >>> Subset.slice_to_numerical_args(slice(None, None, None), 8)
        (0, 8, 1)
        >>> Subset.slice_to_numerical_args(slice(-3, None), 8)
        (5, 8, 1)
        """
        start, stop, step = slice_.indices(num_examples)
        if step > 0:
            stop = max(stop, start)
        return start, stop, step

    def get_list_representation(self):
        """The indices of the subset's examples, as a list.

        >>> Subset(slice(1, 4), 10).get_list_representation()
        [1, 2, 3]
        """
        if self.is_list:
            return list(self.list_or_slice)
        return list(self._range())

    def index_within_subset(self, indexable, subset_request, sort_indices=False):
        """Index ``indexable`` (the original data) with a request made in the subset.

        Parameters
        ----------
        indexable : array, h5py dataset or list
            The data of all ``original_num_examples`` examples.
        subset_request : int, slice or list of int
            What to read, in the subset's coordinates.
        sort_indices : bool, optional
            Read a list of indices sorted (and put the examples back in
            order), as HDF5 datasets need. Default ``False``.

        >>> data = numpy.arange(10) * 10
        >>> Subset([9, 0, 4], 10).index_within_subset(data, [2, 0]).tolist()
        [90, 0]
        >>> int(Subset(slice(3, 6), 10).index_within_subset(data, 1))
        40
        """
        if _is_integer(subset_request):
            return self.index_within_subset(indexable, [subset_request],
                                            sort_indices)[0]
        request = self[subset_request]
        if isinstance(request, slice):
            return indexable[request]
        if not hasattr(indexable, 'shape') and not hasattr(indexable, 'dtype'):
            return iterable_fancy_indexing(indexable, request)
        if sort_indices:
            return self.sorted_fancy_indexing(indexable, request)
        return indexable[request]

    def absolute_indices(self, request):
        """Map ``request`` (a slice or indices into the subset) to original indices.

        Returns a ``range`` for a slice of a slice subset, else an integer
        array (what :mod:`fuel.datasets.hdf5` reads with); vectorized, as it
        runs for every batch. Unlike ``subset[request]`` it accepts negative
        indices and empty requests, and raises ``IndexError`` past the end.
        """
        if isinstance(request, slice):
            if self.is_list:
                return numpy.asarray(self.list_or_slice[request],
                                     dtype=numpy.int64)
            return self._range()[request]
        request = numpy.asarray(request)
        if request.size == 0:
            return numpy.zeros(0, dtype=numpy.int64)
        if request.dtype.kind not in 'iu':
            raise TypeError('a request must be a slice or integer indices, got '
                            '{!r}'.format(request))
        request = request.astype(numpy.int64).ravel()
        low, high = request.min(), request.max()
        if low < -self.num_examples or high >= self.num_examples:
            raise IndexError(
                'a request asks for example {} of a subset of {} examples '
                '(valid indices: 0 to {})'.format(
                    high if high >= self.num_examples else low,
                    self.num_examples, self.num_examples - 1))
        if low < 0:
            request = numpy.where(request < 0, request + self.num_examples,
                                  request)
        if self.is_list:
            if getattr(self, '_array', None) is None or \
                    len(self._array) != len(self.list_or_slice):
                self._array = numpy.asarray(self.list_or_slice, dtype=numpy.int64)
            return self._array[request]
        start, _, step = self._numerical()
        return start + step * request

    @property
    def is_list(self):
        """Whether the subset is a list of indices (rather than a slice)."""
        return not isinstance(self.list_or_slice, slice)

    @property
    def num_examples(self):
        """The number of examples in the subset."""
        if self.is_list:
            return len(self.list_or_slice)
        return len(self._range())

    @property
    def is_empty(self):
        """Whether the subset has no examples."""
        return self.num_examples == 0


def iterable_fancy_indexing(iterable, request):
    """Index a NumPy array or any sequence with a list of indices.

    >>> iterable_fancy_indexing(['a', 'b', 'c'], [2, 0])
    ['c', 'a']
    >>> iterable_fancy_indexing(numpy.arange(3), [2, 0]).tolist()
    [2, 0]
    """
    if isinstance(iterable, numpy.ndarray):
        return iterable[request]
    return [iterable[index] for index in request]


def lazy_property_factory(lazy_property):
    """The getter and setter of a property loaded on first use by ``self.load()``.

    The value lives in ``self._NAME``; reading the property before it exists
    calls ``self.load()``, which must set it.

    >>> class Lazy:
    ...     def load(self):
    ...         self.data = [1, 2]
    >>> Lazy.data = property(*lazy_property_factory('data'))
    >>> Lazy().data
    [1, 2]
    """
    attribute = '_' + lazy_property

    def getter(self):
        if not hasattr(self, attribute):
            self.load()
        if not hasattr(self, attribute):
            raise ValueError('{}.load() did not set {!r}'.format(
                type(self).__name__, lazy_property))
        return getattr(self, attribute)

    def setter(self, value):
        setattr(self, attribute, value)

    return getter, setter


def do_not_pickle_attributes(*lazy_properties):
    """A class decorator: these attributes are not pickled but reloaded by ``load()``.

    Each named attribute becomes a lazy property (see
    :func:`lazy_property_factory`); pickling drops its value, and the
    unpickled object calls ``load()`` again the first time it is read. Use it
    for bulky data that is on disk anyway, and for what cannot be pickled
    (open files).

    Examples
    --------
    >>> import copy
    >>> @do_not_pickle_attributes('table')
    ... class Squares:
    ...     loads = 0
    ...     def load(self):
    ...         type(self).loads += 1
    ...         self.table = [i * i for i in range(4)]
    >>> squares = Squares()
    >>> squares.table
    [0, 1, 4, 9]
    >>> squares.__getstate__()  # what pickle stores
    {}
    >>> duplicate = copy.deepcopy(squares)  # pickles it in memory
    >>> '_table' in duplicate.__dict__
    False
    >>> duplicate.table, Squares.loads
    ([0, 1, 4, 9], 2)
    """
    for name in lazy_properties:
        if not isinstance(name, str):
            raise ValueError('do_not_pickle_attributes takes attribute names, '
                             'got {!r}'.format(name))

    def wrap_class(cls):
        if not hasattr(cls, 'load'):
            raise ValueError('{} needs a load() method to reload the attributes '
                             '{} after unpickling'.format(cls.__name__,
                                                          lazy_properties))
        for name in lazy_properties:
            setattr(cls, name, property(*lazy_property_factory(name)))
        defined_getstate = cls.__dict__.get('__getstate__')

        def __getstate__(self):
            if defined_getstate is not None:
                state = defined_getstate(self)
            else:
                state = self.__dict__.copy()
            state = dict(state)
            for name in lazy_properties:
                value = state.pop('_' + name, None)
                if isinstance(value, collections.abc.Iterator) and \
                        not isinstance(value, io.IOBase):
                    raise ValueError('{}.{} is an iterator: it would lose its '
                                     'position, it cannot be lazily reloaded'
                                     .format(cls.__name__, name))
            return state
        cls.__getstate__ = __getstate__
        return cls
    return wrap_class
