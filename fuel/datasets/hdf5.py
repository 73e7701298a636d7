"""HDF5 datasets in Fuel's annotated format.

A Fuel HDF5 file holds one HDF5 dataset per *source* (``features``,
``targets``, ...), all splits of a source one after the other along the first
axis, and this metadata:

* the ``split`` attribute of the file, a table (see
  :meth:`H5PYDataset.create_split_array`) with one row per (split, source)
  pair: where the split's examples are in the source (``start``, ``stop``, or
  a reference to a dataset of ``indices``), whether the source is
  ``available`` for that split (a test split may have no targets), and a
  ``comment``;
* the axis labels of each source, as HDF5 dimension labels
  (``h5file['features'].dims[0].label = 'batch'``);
* for a variable-length source (an HDF5 dataset of ``h5py.vlen_dtype``, each
  example flattened), a ``shapes`` dimension scale on its first axis with the
  shape of each example, and optionally a ``shape_labels`` scale with the
  labels of the example axes.
"""
import os

import h5py
import numpy

from fuel.datasets.base import Dataset, request_out_of_range
from fuel.datasets.pytables import PytablesDataset
from fuel.utils import Subset, find_in_data_path
from fuel.utils.cache import cache_file

SPLIT_ATTRIBUTE = 'split'

__all__ = ['H5PYDataset', 'PytablesDataset']


class H5PYDataset(Dataset):
    """A dataset stored in an HDF5 file in Fuel's format.

    Parameters
    ----------
    file_or_path : str or :class:`h5py.File`
        The file, or its path.
    which_sets : tuple of str
        The splits to use, e.g. ``('train',)`` or ``('train', 'valid')``;
        several splits are merged (in the file's order).
    subset : slice or list of int, optional
        Use only these examples of the selected splits (indices relative to
        them). As in the original, a slice has a step of 1 and a list is
        sorted and deduplicated (see :class:`~fuel.utils.Subset`). Default:
        all.
    load_in_memory : bool, optional
        Read the data into memory when the dataset is created, so that a
        batch is a single NumPy indexing operation. Default ``False``.
    driver : str, optional
        The HDF5 driver with which to open the file (see :class:`h5py.File`).
    sort_indices : bool, optional
        Sort (and deduplicate) the indices of a request before reading from
        the file, as HDF5 needs increasing indices; the data comes back in the
        order requested. ``False`` only saves this work for requests that are
        already increasing. Default ``True``.
    sources, axis_labels
        See :class:`~fuel.datasets.Dataset`. The axis labels default to the
        file's.

    Attributes
    ----------
    interface_version : str
        The version of the file format, written into the files that
        ``fuel-convert`` creates.
    vlen_sources : tuple of str
        The variable-length sources.

    Notes
    -----
    An :class:`h5py.File` cannot be pickled. The dataset opens its file on
    demand and forgets the handle when pickled (data loaded in memory too,
    when the file is still on disk), so a stream over it pickles mid-epoch
    and the copy reopens the file when it needs it.

    Examples
    --------
    >>> import os, tempfile, numpy, h5py
    >>> path = os.path.join(tempfile.mkdtemp(), 'toy.hdf5')
    >>> with h5py.File(path, 'w') as h5file:
    ...     h5file['features'] = numpy.arange(12.).reshape(6, 2)
    ...     h5file['targets'] = numpy.arange(6).reshape(6, 1)
    ...     h5file.attrs['split'] = H5PYDataset.create_split_array({
    ...         'train': {'features': (0, 4), 'targets': (0, 4)},
    ...         'test': {'features': (4, 6)}})
    >>> train = H5PYDataset(path, which_sets=('train',))
    >>> train.sources, train.num_examples
    (('features', 'targets'), 4)
    >>> features, targets = train.get_data(request=[2, 0])
    >>> features.tolist(), targets.tolist()
    ([[4.0, 5.0], [0.0, 1.0]], [[2], [0]])
    >>> test = H5PYDataset(path, which_sets=('test',))  # no targets there
    >>> test.sources, test.num_examples
    (('features',), 2)
    >>> train.close(None)
    """
    interface_version = '0.3'

    def __init__(self, file_or_path, which_sets, subset=None,
                 load_in_memory=False, driver=None, sort_indices=True,
                 **kwargs):
        if isinstance(file_or_path, h5py.File):
            self.path = file_or_path.filename
            self._external_file_handle = file_or_path
        elif isinstance(file_or_path, (str, os.PathLike)):
            self.path = cache_file(os.fspath(file_or_path))
            self._external_file_handle = None
        else:
            raise TypeError('file_or_path must be a path or an h5py.File, got '
                            '{!r}'.format(file_or_path))
        if isinstance(which_sets, str) or not all(
                isinstance(split, str) for split in which_sets):
            raise ValueError(
                'which_sets must be a tuple of split names such as '
                "('train',), got {!r}".format(which_sets))
        if not which_sets:
            raise ValueError('which_sets must name at least one split')
        self.which_sets = tuple(which_sets)
        self.user_given_subset = subset if subset is not None else slice(None)
        self.load_in_memory = load_in_memory
        self.driver = driver
        self.sort_indices = sort_indices
        self._handle = None
        self._in_memory_data = {}
        self._parse_dataset_info()
        kwargs.setdefault('axis_labels', self.default_axis_labels)
        super().__init__(**kwargs)
        if self.load_in_memory:
            self.load()
            self.close(None)

    # --- the file's metadata -------------------------------------------------

    @staticmethod
    def create_split_array(split_dict):
        """Build the table that the file's ``split`` attribute holds.

        Parameters
        ----------
        split_dict : dict
            ``{split: {source: (start, stop[, indices[, comment]])}}``;
            ``indices`` is ``None`` or a reference to (or an HDF5 dataset of)
            the example indices of the split, used instead of
            ``start:stop``. A source missing from a split is marked
            unavailable for it.

        Returns
        -------
        numpy.ndarray
            A structured array with fields ``split``, ``source``, ``start``,
            ``stop``, ``indices``, ``available`` and ``comment``.

        Examples
        --------
        >>> array = H5PYDataset.create_split_array(
        ...     {'train': {'features': (0, 10), 'targets': (0, 10)},
        ...      'test': {'features': (10, 12)}})
        >>> array['source'].tolist()
        [b'features', b'targets', b'features', b'targets']
        >>> array['available'].tolist()
        [True, True, True, False]
        """
        if not split_dict:
            raise ValueError('split_dict must describe at least one split')
        sources = sorted(set(source for split in split_dict.values()
                             for source in split))
        if not sources:
            raise ValueError('split_dict must name at least one source')
        rows = []
        for split in split_dict:
            for source in sources:
                entry = split_dict[split].get(source)
                if entry is None:
                    rows.append((split, source, 0, 0, None, False, '.'))
                    continue
                if len(entry) < 2 or len(entry) > 4:
                    raise ValueError(
                        'split_dict[{!r}][{!r}] must be (start, stop[, indices'
                        '[, comment]]), got {!r}'.format(split, source, entry))
                start, stop = entry[:2]
                indices = entry[2] if len(entry) > 2 else None
                comment = (entry[3] if len(entry) > 3 else '') or '.'
                rows.append((split, source, start, stop, indices, True, comment))

        def longest(column):
            return max(1, max(len(row[column].encode('utf8')) for row in rows))
        dtype = numpy.dtype([
            ('split', 'S{}'.format(longest(0))),
            ('source', 'S{}'.format(longest(1))),
            ('start', numpy.int64), ('stop', numpy.int64),
            ('indices', h5py.ref_dtype), ('available', numpy.bool_),
            ('comment', 'S{}'.format(longest(6)))])
        array = numpy.empty(len(rows), dtype=dtype)
        for i, (split, source, start, stop, indices, available,
                comment) in enumerate(rows):
            if indices is None:
                indices = h5py.Reference()
            elif isinstance(indices, h5py.Dataset):
                indices = indices.ref
            array[i] = (split.encode('utf8'), source.encode('utf8'), start, stop,
                        indices, available, comment.encode('utf8'))
        return array

    @staticmethod
    def get_split_dict(h5file):
        """Read the split table of an open file.

        Returns
        -------
        dict
            ``{split: {source: (start, stop, indices, comment)}}`` for the
            available sources of each split; ``indices`` is an array or
            ``None``.
        """
        if SPLIT_ATTRIBUTE not in h5file.attrs:
            raise ValueError(
                "{} is not a Fuel HDF5 file: it has no 'split' attribute (see "
                'H5PYDataset.create_split_array)'.format(h5file.filename))
        split_dict = {}
        for row in h5file.attrs[SPLIT_ATTRIBUTE]:
            split = row['split'].decode('utf8')
            split_dict.setdefault(split, {})
            if not row['available']:
                continue
            reference = row['indices']
            indices = h5file[reference][...] if reference else None
            comment = row['comment'].decode('utf8')
            split_dict[split][row['source'].decode('utf8')] = (
                int(row['start']), int(row['stop']), indices,
                '' if comment == '.' else comment)
        return split_dict

    @staticmethod
    def get_all_splits(h5file):
        """The names of all the splits of an open file."""
        return tuple(H5PYDataset.get_split_dict(h5file))

    @staticmethod
    def get_all_sources(h5file):
        """The names of all the sources of an open file."""
        return tuple(sorted(set(row['source'].decode('utf8')
                                for row in h5file.attrs[SPLIT_ATTRIBUTE])))

    @staticmethod
    def get_provided_sources(h5file, split):
        """The sources available for ``split``."""
        return tuple(sorted(H5PYDataset.get_split_dict(h5file)[split]))

    @staticmethod
    def get_vlen_sources(h5file):
        """The variable-length sources of an open file."""
        vlen_sources = []
        for source in H5PYDataset.get_all_sources(h5file):
            dims = h5file[source].dims
            if len(dims) > 0 and 'shapes' in dims[0]:
                if len(dims) > 1:
                    raise ValueError('variable-length source {!r} must have one '
                                     'dimension, it has {}'.format(source,
                                                                   len(dims)))
                vlen_sources.append(source)
        return tuple(vlen_sources)

    @staticmethod
    def get_axis_labels(h5file):
        """The axis labels of each source of an open file (``None`` when unlabelled)."""
        axis_labels = {}
        vlen_sources = H5PYDataset.get_vlen_sources(h5file)
        for source in H5PYDataset.get_all_sources(h5file):
            dims = h5file[source].dims
            if source in vlen_sources:
                labels = (dims[0].label,)
                if 'shape_labels' in dims[0]:
                    labels += tuple(
                        label.decode('utf8') if isinstance(label, bytes)
                        else str(label) for label in dims[0]['shape_labels'][...])
            else:
                labels = tuple(dim.label for dim in dims)
            axis_labels[source] = labels if any(labels) else None
        return axis_labels

    @staticmethod
    def get_subsets(h5file, splits, sources):
        """The examples of ``splits`` in each of ``sources``, as one subset each.

        Parameters
        ----------
        h5file : :class:`h5py.File`
            An open Fuel HDF5 file.
        splits : tuple of str
            The splits, merged in this order.
        sources : tuple of str
            The sources.

        Returns
        -------
        list of :class:`~fuel.utils.Subset`
            One per source, indices into the whole HDF5 dataset.

        Raises
        ------
        ValueError
            When the split table declares examples past the end of a source
            (the file is damaged or was written wrongly), or a source is not
            available for a split.
        """
        split_dict = H5PYDataset.get_split_dict(h5file)
        subsets = []
        for source in sources:
            rows = len(h5file[source])
            subset = Subset.empty_subset(rows)
            for split in splits:
                if source not in split_dict.get(split, {}):
                    raise ValueError('source {!r} is not available for split {!r}'
                                     ' in {}'.format(source, split,
                                                     h5file.filename))
                start, stop, indices, _ = split_dict[split][source]
                if indices is not None:
                    indices = numpy.asarray(indices).ravel()
                    if indices.size and (indices.min() < 0 or
                                         indices.max() >= rows):
                        raise ValueError(
                            '{}: split {!r} of source {!r} lists example '
                            'indices from {} to {}, but the source has {} rows '
                            '(indices 0 to {}); the split table does not fit '
                            'the data'.format(h5file.filename, split, source,
                                              indices.min(), indices.max(),
                                              rows, rows - 1))
                    part = Subset(indices.tolist(), rows)
                else:
                    if not 0 <= start <= stop <= rows:
                        raise ValueError(
                            '{}: split {!r} of source {!r} declares examples '
                            '{}:{}, but the source has {} rows (expected 0 <= '
                            'start <= stop <= {}); the split table does not '
                            'fit the data'.format(h5file.filename, split,
                                                  source, start, stop, rows,
                                                  rows))
                    part = Subset(slice(start, stop), rows)
                subset = subset + part
            subsets.append(subset)
        return subsets

    def _parse_dataset_info(self):
        handle = self._file_handle
        split_dict = self.get_split_dict(handle)
        provided = None
        for split in self.which_sets:
            if split not in split_dict:
                raise ValueError("split {!r} is not in {}; its splits are "
                                 '{}'.format(split, self.path,
                                             ', '.join(split_dict)))
            sources = set(split_dict[split])
            provided = sources if provided is None else provided & sources
        if not provided:
            raise ValueError('the splits {} of {} have no source in common'
                             .format(self.which_sets, self.path))
        self.provides_sources = tuple(sorted(provided))
        self.vlen_sources = tuple(source for source in self.get_vlen_sources(handle)
                                  if source in provided)
        self.default_axis_labels = {
            source: labels for source, labels in
            self.get_axis_labels(handle).items() if source in provided}
        self._subsets = {}
        merged_subsets = self.get_subsets(handle, self.which_sets,
                                          self.provides_sources)
        for source, merged in zip(self.provides_sources, merged_subsets):
            try:
                self._subsets[source] = Subset.subset_of(
                    merged, self.user_given_subset)
            except (IndexError, ValueError, TypeError) as error:
                raise ValueError('subset {!r} does not fit the {} examples of '
                                 'the splits {} of {}: {}'.format(
                                     self.user_given_subset,
                                     merged.num_examples, self.which_sets,
                                     self.path, error)) from error
        lengths = set(subset.num_examples for subset in self._subsets.values())
        if len(lengths) > 1:
            raise ValueError('the sources of {} in {} have different numbers of '
                             'examples: {}'.format(self.which_sets, self.path, {
                                 source: subset.num_examples
                                 for source, subset in self._subsets.items()}))

    @property
    def subsets(self):
        """The :class:`~fuel.utils.Subset` of each source, in ``sources`` order."""
        return [self._subsets[source] for source in self.sources]

    @property
    def num_examples(self):
        """The number of examples of the selected splits and subset."""
        return next(iter(self._subsets.values())).num_examples

    # --- the file handle -----------------------------------------------------

    @property
    def _file_handle(self):
        if self._external_file_handle is not None:
            return self._external_file_handle
        if self._handle is None:
            if not os.path.isfile(self.path):
                self.path = self._relocated_path()
            self._handle = open_hdf5(self.path, self.driver)
        return self._handle

    def _relocated_path(self):
        """Where the file is now, when it is no longer at ``self.path``.

        A built-in dataset (one with a ``locate`` method) looks for its file
        in the data path again, e.g. when a pickled stream is loaded on another
        machine; others stay with their path.
        """
        locate = getattr(self, 'locate', None)
        return locate() if locate is not None else self.path

    @property
    def external_file_handle(self):
        """The :class:`h5py.File` the dataset was given, or ``None``."""
        return self._external_file_handle

    @external_file_handle.setter
    def external_file_handle(self, value):
        self._external_file_handle = value

    def open(self):
        return None

    def close(self, state):
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _out_of_memory_open(self, *args, **kwargs):
        """Open the file (as the original's method of this name); returns ``None``."""
        # Reading the property opens the file.
        self._file_handle
        return None

    def _out_of_memory_close(self, *args, **kwargs):
        """Close the file the dataset opened itself (not an external handle)."""
        self.close(None)

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_handle'] = None
        state['_external_file_handle'] = None
        if os.path.isfile(self.path):
            state['_in_memory_data'] = {}
        return state

    # --- reading -------------------------------------------------------------

    def load(self):
        """Read the selected examples of every source into memory."""
        for source in self.sources:
            self._load_source(source)

    def _load_source(self, source):
        if source not in self._in_memory_data:
            data = self._read(source, self._subsets[source].absolute_indices(
                slice(None)))
            self._in_memory_data[source] = data
        return self._in_memory_data[source]

    @property
    def data_sources(self):
        """The in-memory data of each source, or ``None`` without ``load_in_memory``
        (as in the original)."""
        if not self.load_in_memory:
            return None
        return tuple(self._load_source(source) for source in self.sources)

    def _read(self, source, indices):
        """Read the examples at ``indices`` (a range or an array) of the file."""
        dataset = self._file_handle[source]
        data = read_examples(dataset, indices, self.sort_indices)
        if source in self.vlen_sources:
            shapes = read_examples(dataset.dims[0]['shapes'], indices,
                                   self.sort_indices)
            data = reshape_examples(data, shapes)
        return data

    def get_data(self, state=None, request=None):
        if request is None:
            raise ValueError('H5PYDataset needs a request (a slice or a list of '
                             'indices); give the DataStream an iteration_scheme '
                             'such as SequentialScheme(dataset.num_examples, '
                             'batch_size)')
        if not isinstance(request, (int, numpy.integer, slice, list, tuple,
                                    range, numpy.ndarray)) or \
                isinstance(request, bool):
            # The original's ValueError for a request of the wrong type.
            raise ValueError('a request of H5PYDataset must be an index, a slice '
                             'or a list of indices, got {!r}'.format(request))
        if self.load_in_memory:
            try:
                return tuple(self._load_source(source)[request]
                             for source in self.sources)
            except IndexError as error:
                raise request_out_of_range(self, request) from error
        single = isinstance(request, (int, numpy.integer))
        data = []
        for source in self.sources:
            subset = self._subsets[source]
            try:
                indices = subset.absolute_indices([request] if single else request)
            except IndexError as error:
                raise request_out_of_range(self, request) from error
            source_data = self._read(source, indices)
            data.append(source_data[0] if single else source_data)
        return tuple(data)


class _BuiltinH5PYDataset(H5PYDataset):
    """A built-in dataset: its file is found in the data path; it loads in memory.

    A subclass names its file in ``filename``, or overrides :meth:`locate`.
    """
    filename = None

    def __init__(self, which_sets, **kwargs):
        kwargs.setdefault('load_in_memory', True)
        super().__init__(file_or_path=self.locate(), which_sets=which_sets,
                         **kwargs)

    def locate(self):
        """The path of the dataset's file in the data path."""
        return find_in_data_path(self.filename)


def open_hdf5(path, driver=None):
    """Open an HDF5 file for reading; errors name the path and what was expected."""
    if not os.path.exists(path):
        raise FileNotFoundError('H5PYDataset: there is no file at {}'.format(path))
    try:
        return h5py.File(path, 'r', driver=driver)
    except OSError as error:
        if os.path.isfile(path) and not h5py.is_hdf5(path):
            raise OSError(
                '{} is not an HDF5 file (its first bytes are {!r}); H5PYDataset '
                'reads the HDF5 files that fuel-convert writes'.format(
                    path, _first_bytes(path))) from error
        raise OSError('cannot open the HDF5 file {}: {}'.format(path, error)) \
            from error


def _first_bytes(path, count=8):
    with open(path, 'rb') as file_:
        return file_.read(count)


def read_examples(dataset, indices, sort_indices=True):
    """Read the examples at ``indices`` (a range or an integer array) of an HDF5 dataset.

    HDF5 reads only increasing indices; unsorted or repeated indices are read
    sorted and put back in order. When the indices are dense, one contiguous
    block is read and indexed in memory, which is much faster.
    """
    if isinstance(indices, range):
        if not len(indices):
            return dataset[0:0]
        stop = indices[-1] + 1
        if indices.step == 1:
            return dataset[indices.start:stop]
        return dataset[indices.start:stop:indices.step]
    indices = numpy.asarray(indices, dtype=numpy.int64)
    if not indices.size:
        return dataset[0:0]
    if not sort_indices:
        return dataset[indices]
    low, high = int(indices.min()), int(indices.max()) + 1
    if high - low <= 4 * indices.size:
        return dataset[low:high][indices - low]
    unique, inverse = numpy.unique(indices, return_inverse=True)
    data = dataset[unique]
    if len(unique) == len(indices) and numpy.array_equal(unique, indices):
        return data
    return data[inverse]


def reshape_examples(flat_examples, shapes):
    """Give each flattened example of a variable-length source its shape.

    >>> flat = numpy.empty(2, dtype=object)
    >>> flat[0], flat[1] = numpy.arange(4), numpy.arange(2)
    >>> [example.shape for example in reshape_examples(flat, [[2, 2], [1, 2]])]
    [(2, 2), (1, 2)]
    """
    examples = numpy.empty(len(flat_examples), dtype=object)
    for i, (example, shape) in enumerate(zip(flat_examples, shapes)):
        examples[i] = numpy.asarray(example).reshape(tuple(int(n) for n in shape))
    return examples
