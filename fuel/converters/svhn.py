"""Convert SVHN format 2 (32x32 crops, MATLAB files) to Fuel's HDF5 format.

The input directory holds ``train_32x32.mat``, ``test_32x32.mat`` and
``extra_32x32.mat``, each with ``X`` (uint8, ``(32, 32, 3, N)``) and ``y``
(``(N, 1)``, digit 0 labelled 10). The output, ``svhn_format_2.hdf5``, has
splits ``train``, ``test`` and ``extra``, ``features`` uint8 of shape
``(N, 3, 32, 32)`` and ``targets`` uint8 of shape ``(N, 1)`` with digit 0
labelled 0.
"""
import os

import numpy

from fuel.converters.base import check_exists, write_converted_file

SETS = ('train', 'test', 'extra')
FORMAT_2_FILES = ['{}_32x32.mat'.format(name) for name in SETS]


def read_format_2(path):
    """Read a format-2 ``.mat`` file: features ``(N, 3, 32, 32)`` and targets ``(N, 1)``."""
    from scipy.io import loadmat
    content = loadmat(path)
    features = numpy.asarray(content['X'], dtype=numpy.uint8).transpose(3, 2, 0, 1)
    targets = numpy.asarray(content['y'], dtype=numpy.uint8).reshape((-1, 1))
    targets = numpy.where(targets == 10, 0, targets).astype(numpy.uint8)
    return numpy.ascontiguousarray(features), targets


@check_exists(required_files=FORMAT_2_FILES)
def convert_svhn_format_2(directory, output_directory,
                          output_filename='svhn_format_2.hdf5'):
    """Convert SVHN format 2 to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the three ``.mat`` files.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'svhn_format_2.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    data = []
    for name, filename in zip(SETS, FORMAT_2_FILES):
        features, targets = read_format_2(os.path.join(directory, filename))
        data.append((name, 'features', features))
        data.append((name, 'targets', targets))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'channel', 'height', 'width'),
        'targets': ('batch', 'index')})


def convert_svhn(which_format, directory, output_directory,
                 output_filename=None):
    """Convert SVHN to HDF5 (format 2 only).

    Parameters
    ----------
    which_format : int
        The format; only 2 (the 32x32 crops) can be converted.
    directory, output_directory, output_filename
        See :func:`convert_svhn_format_2`.
    """
    if which_format != 2:
        raise ValueError('only SVHN format 2 (32x32 crops) can be converted, got '
                         'which_format={!r}'.format(which_format))
    return convert_svhn_format_2(directory, output_directory,
                                 output_filename or 'svhn_format_2.hdf5')


def fill_subparser(subparser):
    """Set up the ``svhn`` subcommand of ``fuel-convert``."""
    subparser.add_argument('which_format', type=int, choices=(2,),
                           help='which format of the dataset to convert (only '
                                '2, the 32x32 crops, is supported)')
    return convert_svhn
