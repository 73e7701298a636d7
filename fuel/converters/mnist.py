"""Convert the MNIST IDX files to Fuel's HDF5 format.

The input directory holds the four gzipped IDX files of the MNIST page
(``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``); Fuel ships a
copy of them. The output has splits ``train`` (60,000 examples) and ``test``
(10,000), source ``features`` of shape ``(N, 1, 28, 28)`` (uint8 unless
``dtype`` says otherwise) and source ``targets`` of shape ``(N, 1)``, uint8.
"""
import gzip
import os
import shlex
import struct

import numpy

from fuel.converters.base import (build_in_data_path, check_exists,
                                  write_converted_file)

MNIST_IMAGE_MAGIC = 2051
MNIST_LABEL_MAGIC = 2049
TRAIN_IMAGES = 'train-images-idx3-ubyte.gz'
TRAIN_LABELS = 'train-labels-idx1-ubyte.gz'
TEST_IMAGES = 't10k-images-idx3-ubyte.gz'
TEST_LABELS = 't10k-labels-idx1-ubyte.gz'
ALL_FILES = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS]


def shipped_directory():
    """The directory inside the ``fuel`` package that holds the MNIST files."""
    import fuel
    return os.path.join(os.path.dirname(os.path.abspath(fuel.__file__)),
                        'data', 'mnist')


@check_exists(required_files=ALL_FILES)
def convert_mnist(directory, output_directory, output_filename=None,
                  dtype=None):
    """Convert MNIST to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the four gzipped IDX files.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'mnist.hdf5'``, or ``'mnist_DTYPE.hdf5'`` with a ``dtype``.
    dtype : {None, 'float32', 'float64', 'bool'}
        Store the images as uint8 (default), as floats in [0, 1], or as
        booleans thresholded at 128.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    if not output_filename:
        output_filename = 'mnist_{}.hdf5'.format(dtype) if dtype else 'mnist.hdf5'
    train_features = read_mnist_images(os.path.join(directory, TRAIN_IMAGES), dtype)
    train_targets = read_mnist_labels(os.path.join(directory, TRAIN_LABELS))
    test_features = read_mnist_images(os.path.join(directory, TEST_IMAGES), dtype)
    test_targets = read_mnist_labels(os.path.join(directory, TEST_LABELS))
    data = (('train', 'features', train_features),
            ('train', 'targets', train_targets),
            ('test', 'features', test_features),
            ('test', 'targets', test_targets))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'channel', 'height', 'width'),
        'targets': ('batch', 'index')})


def fill_subparser(subparser):
    """Add the ``mnist`` options to a ``fuel-convert`` subparser."""
    subparser.add_argument(
        '--dtype', choices=('float32', 'float64', 'bool'), default=None,
        help='store the images in this dtype; by default they keep their '
             'original unsigned bytes')
    return convert_mnist


def read_mnist_images(filename, dtype=None):
    """Read the images of a gzipped MNIST IDX file.

    Parameters
    ----------
    filename : str
        The path of the file.
    dtype : {None, 'float32', 'float64', 'bool'}
        Return uint8 (default), floats in [0, 1] or booleans (pixel >= 128).

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 1, rows, columns)``.
    """
    with gzip.open(filename, 'rb') as file_:
        header = file_.read(16)
        if len(header) < 16:
            raise ValueError('{} is too short to be an MNIST image file'.format(
                filename))
        magic, number, rows, columns = struct.unpack('>iiii', header)
        if magic != MNIST_IMAGE_MAGIC:
            raise ValueError('{} is not an MNIST image file: magic number {}, '
                             'expected {}'.format(filename, magic,
                                                  MNIST_IMAGE_MAGIC))
        array = numpy.frombuffer(file_.read(), dtype=numpy.uint8)
    if array.size != number * rows * columns:
        raise ValueError('{} should hold {} images of {}x{} pixels but holds {} '
                         'bytes'.format(filename, number, rows, columns,
                                        array.size))
    array = array.reshape((number, 1, rows, columns))
    if dtype:
        try:
            dtype = numpy.dtype(dtype)
        except TypeError:
            raise ValueError("dtype must be None, 'float32', 'float64' or 'bool', "
                             'got {!r}'.format(dtype)) from None
        if dtype.kind == 'b':
            return array >= 128
        if dtype.kind == 'f':
            return (array / 255.).astype(dtype)
        raise ValueError("dtype must be None, 'float32', 'float64' or 'bool', "
                         'got {!r}'.format(dtype))
    return array


def read_mnist_labels(filename):
    """Read the labels of a gzipped MNIST IDX file, as uint8 of shape ``(N, 1)``."""
    with gzip.open(filename, 'rb') as file_:
        header = file_.read(8)
        if len(header) < 8:
            raise ValueError('{} is too short to be an MNIST label file'.format(
                filename))
        magic, number = struct.unpack('>ii', header)
        if magic != MNIST_LABEL_MAGIC:
            raise ValueError('{} is not an MNIST label file: magic number {}, '
                             'expected {}'.format(filename, magic,
                                                  MNIST_LABEL_MAGIC))
        array = numpy.frombuffer(file_.read(), dtype=numpy.uint8)
    if array.size != number:
        raise ValueError('{} should hold {} labels but holds {}'.format(
            filename, number, array.size))
    return array.reshape((number, 1))


def build_shipped_mnist():
    """Build ``mnist.hdf5`` from the shipped files in the first writable data path.

    Returns
    -------
    str
        The path of the new file.
    """
    directory = shipped_directory()

    def convert(output_directory, output_filename):
        return convert_mnist(directory, output_directory, output_filename)
    return build_in_data_path(
        'mnist.hdf5', convert,
        'fuel-convert mnist -d {} -o {{output_directory}}'.format(
            shlex.quote(directory)))
