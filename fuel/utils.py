"""Helpers: finding dataset files, and subsets of examples.

Examples
--------
>>> subset = Subset(slice(10, 20), 100)
>>> subset.num_examples
10
>>> subset.absolute_indices([0, 9]).tolist()
[10, 19]
"""
import os

import numpy

from fuel import config
from fuel.exceptions import DatasetNotFoundError


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
        When no directory of the data path holds the file; the message names
        the directories searched and the commands that create the file.
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


class Subset:
    """A subset of the examples of a dataset: a slice or a list of indices.

    Parameters
    ----------
    list_or_slice : slice or list of int
        Which examples, as indices into ``range(original_num_examples)``. A
        slice must have a positive step (or none). A list may be unsorted
        and may repeat indices; its order is the subset's order.
    original_num_examples : int
        The number of examples the indices refer to.

    Examples
    --------
    >>> subset = Subset([5, 1, 3], 10)
    >>> subset.num_examples, subset.is_list
    (3, True)
    >>> subset[1:].absolute_indices(slice(None)).tolist()
    [1, 3]
    >>> Subset(slice(0, 4), 10) + Subset(slice(4, 8), 10)
    Subset(slice(0, 8, 1), 10)
    """
    def __init__(self, list_or_slice, original_num_examples):
        self.original_num_examples = int(original_num_examples)
        if isinstance(list_or_slice, range):
            list_or_slice = slice(list_or_slice.start, list_or_slice.stop,
                                  list_or_slice.step)
        if isinstance(list_or_slice, slice):
            if list_or_slice.step is not None and list_or_slice.step < 1:
                raise ValueError('a subset slice must have a positive step, got '
                                 '{!r}'.format(list_or_slice))
            self.range = range(*list_or_slice.indices(self.original_num_examples))
            self.indices = None
        else:
            indices = numpy.asarray(list_or_slice)
            if indices.size == 0:
                indices = indices.astype(numpy.int64)
            if indices.ndim != 1 or indices.dtype.kind not in 'iu':
                raise TypeError('a subset must be a slice or a list of integer '
                                'indices, got {!r}'.format(list_or_slice))
            indices = indices.astype(numpy.int64)
            if indices.size and (indices.min() < 0 or
                                 indices.max() >= self.original_num_examples):
                raise ValueError(
                    'subset indices must be in [0, {}), got indices from {} to '
                    '{}'.format(self.original_num_examples, indices.min(),
                                indices.max()))
            self.range = None
            self.indices = indices

    def __repr__(self):
        if self.is_list:
            return 'Subset({}, {})'.format(self.indices.tolist(),
                                           self.original_num_examples)
        return 'Subset({!r}, {})'.format(self.slice, self.original_num_examples)

    def __eq__(self, other):
        return (isinstance(other, Subset) and
                self.original_num_examples == other.original_num_examples and
                numpy.array_equal(self.absolute_indices(slice(None)),
                                  other.absolute_indices(slice(None))))

    @property
    def is_list(self):
        """Whether the subset is a list of indices (rather than a slice)."""
        return self.indices is not None

    @property
    def slice(self):
        """The subset as a slice (only when it is not a list)."""
        return slice(self.range.start, self.range.stop, self.range.step)

    @property
    def num_examples(self):
        """The number of examples in the subset."""
        return len(self.indices) if self.is_list else len(self.range)

    def absolute_indices(self, request):
        """Map ``request`` (a slice or indices into the subset) to original indices.

        Returns a ``range`` for a slice of a slice subset, else an array.
        """
        if isinstance(request, slice):
            if request.step is not None and request.step < 1:
                raise ValueError('request slices must have a positive step, '
                                 'got {!r}'.format(request))
            if self.is_list:
                return self.indices[request]
            return self.range[request]
        request = numpy.asarray(request)
        if request.dtype.kind not in 'iu' and request.size:
            raise TypeError('a request must be a slice or integer indices, got '
                            '{!r}'.format(request))
        request = request.astype(numpy.int64)
        if request.size and (request.min() < -self.num_examples or
                             request.max() >= self.num_examples):
            raise IndexError('request indices must be in [0, {}), got indices '
                             'from {} to {}'.format(self.num_examples,
                                                    request.min(), request.max()))
        request = numpy.where(request < 0, request + self.num_examples, request)
        if self.is_list:
            return self.indices[request]
        return self.range.start + self.range.step * request

    def __getitem__(self, request):
        """The subset of this subset that ``request`` selects."""
        indices = self.absolute_indices(request)
        if isinstance(indices, range):
            return Subset(indices, self.original_num_examples)
        return Subset(indices.tolist() if indices.ndim else [int(indices)],
                      self.original_num_examples)

    def __add__(self, other):
        """Merge two subsets of the same examples (sorted, without repeats)."""
        if self.original_num_examples != other.original_num_examples:
            raise ValueError('cannot merge subsets of {} and {} examples'.format(
                self.original_num_examples, other.original_num_examples))
        if not self.is_list and not other.is_list and \
                self.range.step == other.range.step == 1:
            if not len(self.range):
                return other
            if not len(other.range):
                return self
            first, second = sorted([self.range, other.range],
                                   key=lambda r: r.start)
            if second.start <= first.stop:
                return Subset(slice(first.start, max(first.stop, second.stop)),
                              self.original_num_examples)
        merged = numpy.union1d(self.absolute_indices(slice(None)),
                               other.absolute_indices(slice(None)))
        return Subset(merged.tolist(), self.original_num_examples)
