"""Convert binarized MNIST (``.amat`` text files) to Fuel's HDF5 format.

The input directory holds ``binarized_mnist_train.amat``,
``binarized_mnist_valid.amat`` and ``binarized_mnist_test.amat``: one image
per line, 784 zeros and ones separated by spaces. The output has splits
``train`` (50,000), ``valid`` and ``test`` (10,000 each) and one source,
``features``, uint8 of shape ``(N, 1, 28, 28)``.
"""
import os

import numpy

from fuel.converters.base import check_exists, write_converted_file

SETS = ('train', 'valid', 'test')
TRAIN_FILE = 'binarized_mnist_train.amat'
VALID_FILE = 'binarized_mnist_valid.amat'
TEST_FILE = 'binarized_mnist_test.amat'
ALL_FILES = [TRAIN_FILE, VALID_FILE, TEST_FILE]
FILENAMES = ALL_FILES


def read_amat(path):
    """Read an ``.amat`` file of binary images as uint8 of shape ``(N, 1, 28, 28)``.

    The values may be written as integers (``0 1``, the published files) or
    as floats (``0.000e+00``, what ``numpy.savetxt`` writes), as the
    original's ``numpy.loadtxt`` read both.
    """
    with open(path, 'rb') as file_:
        content = file_.read()
    words = content.split()
    try:
        values = numpy.array(words, dtype=numpy.uint8)
    except ValueError:
        values = numpy.array(words, dtype=numpy.float64).astype(numpy.uint8)
    if values.size % 784:
        raise ValueError('{} holds {} values, which is not a whole number of '
                         '28x28 images'.format(path, values.size))
    return values.reshape((-1, 1, 28, 28))


@check_exists(required_files=ALL_FILES)
def convert_binarized_mnist(directory, output_directory,
                            output_filename='binarized_mnist.hdf5'):
    """Convert binarized MNIST to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the three ``.amat`` files.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'binarized_mnist.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    data = [(name, 'features', read_amat(os.path.join(directory, filename)))
            for name, filename in zip(SETS, FILENAMES)]
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'channel', 'height', 'width')})


def fill_subparser(subparser):
    """Set up the ``binarized_mnist`` subcommand of ``fuel-convert``."""
    return convert_binarized_mnist
