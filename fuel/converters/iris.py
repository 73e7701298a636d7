"""Convert Fisher's Iris data (UCI's ``iris.data``) to HDF5.

``iris.data`` has one flower per line: four measurements and the species,
separated by commas. The output, ``iris.hdf5``, has one split, ``all``;
``features``, float32 of shape ``(150, 4)``; ``targets``, uint8 of shape
``(150, 1)``: 0 setosa, 1 versicolor, 2 virginica.
"""
import os

import numpy

from fuel.converters.base import check_exists, write_converted_file

FILENAME = 'iris.data'
CLASSES = {'Iris-setosa': 0, 'Iris-versicolor': 1, 'Iris-virginica': 2}


@check_exists(required_files=[FILENAME])
def convert_iris(directory, output_directory, output_filename='iris.hdf5'):
    """Convert the Iris dataset to HDF5.

    Parameters
    ----------
    directory : str
        The directory of ``iris.data``.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'iris.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    path = os.path.join(directory, FILENAME)
    features, targets = [], []
    with open(path) as file_:
        for number, line in enumerate(file_, 1):
            fields = line.strip().split(',')
            if fields == ['']:
                continue
            if len(fields) != 5 or fields[4] not in CLASSES:
                raise ValueError('{}, line {}: expected four numbers and one of '
                                 '{}, got {!r}'.format(path, number,
                                                       ', '.join(CLASSES),
                                                       line.strip()))
            features.append([float(value) for value in fields[:4]])
            targets.append(CLASSES[fields[4]])
    data = (('all', 'features', numpy.array(features, dtype=numpy.float32)),
            ('all', 'targets', numpy.array(targets, dtype=numpy.uint8)
             .reshape((-1, 1))))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'feature'), 'targets': ('batch', 'index')})


def fill_subparser(subparser):
    """Set up the ``iris`` subcommand of ``fuel-convert``."""
    return convert_iris
