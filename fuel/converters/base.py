"""What the converters share: checking inputs, writing and tagging HDF5 files."""
import os
import secrets
import shlex
import sys
from contextlib import contextmanager
from functools import wraps

import h5py
import numpy

from fuel.datasets.hdf5 import H5PYDataset
from fuel.exceptions import MissingInputFiles

#: The version of the converters, written into every file they create.
CONVERTERS_VERSION = '0.2'


def check_exists(required_files):
    """Make a converter fail early when one of its input files is missing.

    The converter's first argument must be the input directory.

    Parameters
    ----------
    required_files : list of str
        The names of the files, relative to the input directory.

    Examples
    --------
    >>> @check_exists(required_files=['data.txt'])
    ... def convert(directory, output_directory):
    ...     return ()
    >>> try:
    ...     convert('/nonexistent', '.')
    ... except MissingInputFiles as error:
    ...     print(error.filenames)
    ['/nonexistent/data.txt']
    """
    def decorator(function):
        @wraps(function)
        def wrapped(directory, *args, **kwargs):
            missing = [os.path.join(directory, filename)
                       for filename in required_files
                       if not os.path.isfile(os.path.join(directory, filename))]
            if missing:
                raise MissingInputFiles('required input files are missing',
                                        missing)
            return function(directory, *args, **kwargs)
        return wrapped
    return decorator


class CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of each write.

    progressbar2 replaces ``sys.stdout`` by the standard output it saw when
    it was first imported; this keeps the bars where the user (or a test
    capturing the output) points ``sys.stdout`` now.
    """
    def write(self, text):
        return sys.stdout.write(text)

    def flush(self):
        sys.stdout.flush()

    def isatty(self):
        return sys.stdout.isatty()

    def fileno(self):
        return sys.stdout.fileno()


@contextmanager
def progress_bar(name, maxval, prefix='Converting'):
    """A progress bar on standard output for a conversion of ``maxval`` items.

    Parameters
    ----------
    name : str
        What is converted.
    maxval : int
        The number of items.
    prefix : str, optional
        The verb before ``name``. Default ``'Converting'``.

    Yields
    ------
    progressbar.ProgressBar
        Call its ``update(done)``; it is set to ``maxval`` and finished when
        the block ends.

    >>> import io, contextlib
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     with progress_bar('toy.zip', 3) as bar:
    ...         bar.update(1)
    """
    import progressbar
    widgets = ['{} {}: '.format(prefix, name), progressbar.Percentage(), ' ',
               progressbar.Bar(marker='=', left='[', right=']'), ' ',
               progressbar.ETA()]
    bar = progressbar.ProgressBar(widgets=widgets, max_value=maxval,
                                  fd=CurrentStdout()).start()
    try:
        yield bar
    finally:
        bar.update(maxval)
        bar.finish()


def temporary_path(path):
    """A unique, hidden name next to ``path`` for writing it atomically."""
    directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(directory, '.{}.{}-{}.tmp'.format(
        name, os.getpid(), secrets.token_hex(4)))


@contextmanager
def atomic_hdf5(path):
    """Open a new HDF5 file that appears at ``path`` only once complete.

    The file is written under a temporary name in the same directory and
    renamed to ``path`` when the block ends without an error; on an error the
    temporary file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'data.hdf5')
    >>> with atomic_hdf5(path) as h5file:
    ...     h5file['x'] = [1, 2]
    ...     os.path.exists(path)
    False
    >>> os.path.exists(path)
    True
    """
    temporary = temporary_path(path)
    h5file = h5py.File(temporary, 'w-')
    try:
        yield h5file
        h5file.flush()
        h5file.close()
        os.replace(temporary, path)
    except BaseException:
        h5file.close()
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def fill_hdf5_file(h5file, data):
    """Write the splits of the sources into an HDF5 file, with the split table.

    Parameters
    ----------
    h5file : :class:`h5py.File`
        The file, open for writing.
    data : iterable of tuples
        ``(split, source, array)`` or ``(split, source, array, comment)``;
        the splits of a source are stored one after the other, in the
        order given. All sources of a split must have the same length, all
        splits of a source the same dtype and example shape.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), 'toy.hdf5')
    >>> with h5py.File(path, 'w') as h5file:
    ...     fill_hdf5_file(h5file, (
    ...         ('train', 'features', numpy.zeros((3, 2))),
    ...         ('test', 'features', numpy.ones((1, 2)))))
    >>> H5PYDataset(path, which_sets=('test',)).num_examples
    1
    """
    data = list(data)
    splits = []
    for entry in data:
        if len(entry) not in (3, 4):
            raise ValueError('each entry of data must be (split, source, array'
                             '[, comment]), got {!r}'.format(entry[:2]))
        if entry[0] not in splits:
            splits.append(entry[0])
    for split in splits:
        lengths = set(len(entry[2]) for entry in data if entry[0] == split)
        if len(lengths) > 1:
            raise ValueError('the sources of split {!r} have different lengths: '
                             '{}'.format(split, sorted(lengths)))
    split_dict = {split: {} for split in splits}
    sources = []
    for entry in data:
        if entry[1] not in sources:
            sources.append(entry[1])
    for source in sources:
        parts = [entry for entry in data if entry[1] == source]
        first = numpy.asarray(parts[0][2])
        for part in parts[1:]:
            array = part[2]
            if numpy.dtype(array.dtype) != first.dtype:
                raise ValueError('the splits of source {!r} have different '
                                 'dtypes: {} and {}'.format(source, first.dtype,
                                                            array.dtype))
            if tuple(array.shape[1:]) != first.shape[1:]:
                raise ValueError('the splits of source {!r} have examples of '
                                 'different shapes: {} and {}'.format(
                                     source, first.shape[1:], array.shape[1:]))
        total = sum(len(part[2]) for part in parts)
        dataset = h5file.create_dataset(source, (total,) + first.shape[1:],
                                        dtype=first.dtype)
        start = 0
        for part in parts:
            stop = start + len(part[2])
            if stop > start:
                dataset[start:stop] = part[2]
            comment = part[3] if len(part) == 4 else ''
            split_dict[part[0]][source] = (start, stop, None, comment)
            start = stop
    h5file.attrs['split'] = H5PYDataset.create_split_array(split_dict)


def tag_file(path, command):
    """Record the versions and the exact command that created a file.

    Sets the attributes ``h5py_interface_version``, ``fuel_convert_version``,
    ``fuel_version`` and ``fuel_convert_command``, which ``fuel-info``
    prints.
    """
    import fuel
    with h5py.File(path, 'a') as h5file:
        h5file.attrs['h5py_interface_version'] = H5PYDataset.interface_version
        h5file.attrs['fuel_convert_version'] = CONVERTERS_VERSION
        h5file.attrs['fuel_version'] = fuel.__version__
        h5file.attrs['fuel_convert_command'] = command


def set_axis_labels(h5file, axis_labels):
    """Label the axes of the sources of a file.

    Parameters
    ----------
    h5file : :class:`h5py.File`
        The file, open for writing.
    axis_labels : dict
        For each source, a tuple of labels, one per axis.
    """
    for source, labels in axis_labels.items():
        dims = h5file[source].dims
        if len(labels) != len(dims):
            raise ValueError('source {!r} has {} axes but {} labels were given: '
                             '{}'.format(source, len(dims), len(labels), labels))
        for dim, label in zip(dims, labels):
            dim.label = label


def write_converted_file(output_directory, output_filename, data, axis_labels):
    """Write a converter's HDF5 file, atomically: its data, then its axis labels.

    Parameters
    ----------
    output_directory, output_filename : str
        Where to write the file.
    data : iterable of tuples
        The splits of the sources; see :func:`fill_hdf5_file`.
    axis_labels : dict
        The labels of the axes of each source; see :func:`set_axis_labels`.

    Returns
    -------
    tuple of str
        The path of the file written, as a converter returns it.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_converted_file(
    ...     tempfile.mkdtemp(), 'toy.hdf5',
    ...     [('train', 'features', numpy.zeros((3, 2)))],
    ...     {'features': ('batch', 'feature')})
    >>> H5PYDataset(paths[0], which_sets=('train',)).axis_labels
    {'features': ('batch', 'feature')}
    """
    output_path = os.path.join(output_directory, output_filename)
    with atomic_hdf5(output_path) as h5file:
        fill_hdf5_file(h5file, data)
        set_axis_labels(h5file, axis_labels)
    return (output_path,)


def build_in_data_path(filename, convert, command):
    """Create a dataset file in the first writable directory of the data path.

    Directories that cannot be created or written to are skipped. The file
    is written under a temporary name, tagged as ``fuel-convert`` tags its
    files, and renamed into place, so that a reader never sees half a file.

    Parameters
    ----------
    filename : str
        The file to create, e.g. ``'mnist.hdf5'``.
    convert : callable
        ``convert(output_directory, output_filename)`` writes the file.
    command : str
        The equivalent command line, with ``{output_directory}`` in it,
        recorded in the file.

    Returns
    -------
    str
        The path of the created file.
    """
    from fuel.utils import data_path_directories
    problems = []
    for directory in data_path_directories():
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as error:
            problems.append('{} ({})'.format(directory, error.strerror or error))
            continue
        if not os.access(directory, os.W_OK | os.X_OK):
            problems.append('{} (not writable)'.format(directory))
            continue
        final = os.path.join(directory, filename)
        temporary = os.path.basename(temporary_path(final))
        sys.stderr.write('fuel: {} is not in the data path yet; building it in '
                         '{} (once)\n'.format(filename, directory))
        try:
            convert(output_directory=directory, output_filename=temporary)
            tag_file(os.path.join(directory, temporary),
                     command.replace('{output_directory}',
                                     shlex.quote(directory)))
            os.replace(os.path.join(directory, temporary), final)
        except OSError as error:
            if os.path.exists(os.path.join(directory, temporary)):
                os.remove(os.path.join(directory, temporary))
            problems.append('{} ({})'.format(directory, error))
            continue
        return final
    raise OSError('cannot create {}: no directory of Fuel\'s data path is '
                  'writable: {}. Point FUEL_DATA_PATH (or data_path in '
                  '~/.fuelrc) at a writable directory.'.format(
                      filename, '; '.join(problems) or 'the data path is empty'))


def create_vlen_source(h5file, source, length, shape_labels, dtype='uint8'):
    """Create a variable-length source: each example flattened, with its shape.

    Parameters
    ----------
    h5file : :class:`h5py.File`
        The file, open for writing.
    source : str
        The source's name.
    length : int
        The number of examples.
    shape_labels : tuple of str
        The labels of the axes of each example, e.g. ``('channel',
        'height', 'width')``; an example has as many axes.
    dtype : str, optional
        The dtype of the values. Default ``'uint8'``.

    Returns
    -------
    tuple
        The HDF5 dataset of the flattened examples and the one of their
        shapes; write example ``i`` with ``data[i] = array.ravel()`` and
        ``shapes[i] = array.shape``.
    """
    data = h5file.create_dataset(source, (length,),
                                 dtype=h5py.vlen_dtype(numpy.dtype(dtype)))
    shapes = h5file.create_dataset('{}_shapes'.format(source),
                                   (length, len(shape_labels)), dtype='int32')
    shapes.make_scale('shapes')
    data.dims[0].attach_scale(shapes)
    labels = h5file.create_dataset(
        '{}_shape_labels'.format(source), (len(shape_labels),),
        dtype='S{}'.format(max(len(label) for label in shape_labels)))
    labels[...] = [label.encode('utf8') for label in shape_labels]
    labels.make_scale('shape_labels')
    data.dims[0].attach_scale(labels)
    data.dims[0].label = 'batch'
    return data, shapes
