"""Datasets stored in HDF5 files written with PyTables.

:class:`PytablesDataset` is importable from :mod:`fuel.datasets.hdf5` too,
where the original kept it.
"""
import numpy

from fuel.datasets.base import Dataset
from fuel.utils import do_not_pickle_attributes

__all__ = ['PytablesDataset']


@do_not_pickle_attributes('nodes', 'h5file')
class PytablesDataset(Dataset):
    """A dataset stored in an HDF5 file written with PyTables.

    The file holds one node per source under a common parent node:
    ``/<data_node>/<source>``, each an array or a table whose first axis
    runs over the examples. For train/validation/test splits, open the
    dataset several times with different ``start``/``stop`` (or parent
    nodes).

    Parameters
    ----------
    path : str
        The HDF5 file.
    sources : tuple of str
        The sources, in the order the data is returned.
    start, stop : int, optional
        Use only the examples ``start:stop``. Default: all.
    data_node : str, optional
        The parent node of the sources. Default ``'Data'``.
    sources_in_file : tuple of str, optional
        The names of the source nodes in the file, when they differ from
        ``sources`` (same length and order). Default: ``sources``.

    Notes
    -----
    The open file and its nodes are not pickled: the copy reopens the file
    on first use. A request is a slice (fastest) or a list of indices, both
    relative to ``start``.

    Examples
    --------
    >>> import os, tempfile, numpy, tables
    >>> path = os.path.join(tempfile.mkdtemp(), 'toy.h5')
    >>> with tables.open_file(path, 'w') as h5file:
    ...     group = h5file.create_group('/', 'Data')
    ...     _ = h5file.create_array(group, 'x', numpy.arange(10).reshape(5, 2))
    ...     _ = h5file.create_array(group, 'y', numpy.arange(5))
    >>> dataset = PytablesDataset(path, ('y', 'x'), start=1, stop=4)
    >>> dataset.num_examples
    3
    >>> y, x = dataset.get_data(request=[2, 0])
    >>> y.tolist(), x.tolist()
    ([3, 1], [[6, 7], [2, 3]])
    >>> dataset.close_file()
    """
    def __init__(self, path, sources, start=0, stop=None, data_node='Data',
                 sources_in_file=None):
        if isinstance(sources, str):
            raise TypeError("sources must be a tuple of source names such as "
                            "('features',), got the string {!r}".format(sources))
        if sources_in_file is None:
            sources_in_file = sources
        if len(sources_in_file) != len(sources):
            raise ValueError('sources_in_file must name one node per source: '
                             'got {} for the sources {}'.format(
                                 sources_in_file, sources))
        self.sources_in_file = tuple(sources_in_file)
        self.provides_sources = tuple(sources)
        self.path = path
        self.data_node = data_node
        self.start = start
        self.stop = stop
        self.open_file(path)
        super().__init__(self.provides_sources)

    def open_file(self, path):
        """Open the file and find the source nodes."""
        import tables
        try:
            self.h5file = tables.open_file(path, mode='r')
        except (OSError, tables.HDF5ExtError) as error:
            raise OSError('PytablesDataset cannot open {} as an HDF5 file: {}'
                          .format(path, error)) from error
        try:
            parent = self.h5file.get_node('/', self.data_node)
            self.nodes = [self.h5file.get_node(parent, source)
                          for source in self.sources_in_file]
        except tables.NoSuchNodeError as error:
            self.h5file.close()
            raise ValueError('{} has no node /{}/<source> for each of the '
                             'sources {}: {}'.format(path, self.data_node,
                                                     self.sources_in_file,
                                                     error)) from error
        rows = self.nodes[0].nrows
        if self.stop is None:
            self.stop = rows
        if not 0 <= self.start <= self.stop <= rows:
            self.h5file.close()
            raise ValueError('start and stop must satisfy 0 <= start <= stop <= '
                             '{} (the rows of {} in {}), got start={!r}, stop='
                             '{!r}'.format(rows, self.sources_in_file[0], path,
                                           self.start, self.stop))
        self.num_examples = self.stop - self.start

    def load(self):
        """Reopen the file (after unpickling)."""
        self.open_file(self.path)

    def close_file(self):
        """Close the file; it is reopened when the data is needed again."""
        if '_h5file' in self.__dict__:
            self._h5file.close()
            del self._h5file
        self.__dict__.pop('_nodes', None)

    def get_data(self, state=None, request=None):
        """Read ``request`` (a slice or a list of indices, relative to ``start``)."""
        if isinstance(request, slice):
            start, stop, step = request.indices(self.num_examples)
            request = slice(start + self.start, stop + self.start, step)
            return tuple(node[request] for node in self.nodes)
        if isinstance(request, (list, tuple, numpy.ndarray)):
            indices = numpy.asarray(request, dtype=numpy.int64).ravel()
            if indices.size and (indices.min() < 0 or
                                 indices.max() >= self.num_examples):
                raise IndexError('PytablesDataset {}: a request asks for example '
                                 '{}, but the dataset has {} examples (0 to {})'
                                 .format(self.path, indices.max()
                                         if indices.max() >= self.num_examples
                                         else indices.min(), self.num_examples,
                                         self.num_examples - 1))
            indices = indices + self.start
            return tuple(_read_node(node, indices) for node in self.nodes)
        raise ValueError('PytablesDataset needs a request that is a slice or a '
                         'list of indices, got {!r}'.format(request))


def _read_node(node, indices):
    """Read rows of a PyTables array or table, in the order of ``indices``.

    PyTables reads a list of rows only from tables (``read_coordinates``)
    and one-dimensional arrays; from other arrays a dense request is read as
    one contiguous block, a sparse one row by row.
    """
    unique, inverse = numpy.unique(indices, return_inverse=True)
    if not unique.size:
        return node[0:0]
    if hasattr(node, 'read_coordinates'):
        data = node.read_coordinates(unique)
    elif len(node.shape) == 1:
        data = numpy.asarray(node[unique.tolist()])
    else:
        low, high = int(unique[0]), int(unique[-1]) + 1
        if high - low <= 4 * unique.size:
            data = node[low:high][unique - low]
        else:
            data = numpy.stack([node[int(index)] for index in unique])
    return data[inverse]
