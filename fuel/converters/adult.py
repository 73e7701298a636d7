"""Convert the Adult dataset (UCI's ``adult.data`` and ``adult.test``) to HDF5.

Each line of the input files is an example: 14 attributes and the income
class (``<=50K`` or ``>50K``, with a trailing dot in ``adult.test``),
separated by ``', '``; ``adult.test`` starts with a comment line. Examples with
a missing value (``?``) are left out. The output, ``adult.hdf5``, has splits
``train`` and ``test``; ``features``, float64 of shape ``(N, 104)``: the
continuous attributes as they are, the categorical ones one-hot encoded with
the categories of the training set in sorted order (a category seen only in
the test set encodes as zeros); ``targets``, uint8 of shape ``(N, 1)``, 1 for
``>50K``.
"""
import os

import numpy

from fuel.converters.base import check_exists, write_converted_file

TRAIN_FILE = 'adult.data'
TEST_FILE = 'adult.test'
VARIABLES = ('age', 'workclass', 'fnlwgt', 'education', 'education-num',
             'marital-status', 'occupation', 'relationship', 'race', 'sex',
             'capital-gain', 'capital-loss', 'hours-per-week', 'native-country')
CONTINUOUS = ('age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss',
              'hours-per-week')


def convert_to_one_hot(y):
    """One-hot encode integer labels; columns from ``min(y)`` to ``max(y)``.

    >>> convert_to_one_hot([1, 3, 2]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    y = numpy.asarray(y, dtype=numpy.int64)
    one_hot = numpy.zeros((len(y), y.max() - y.min() + 1))
    one_hot[numpy.arange(len(y)), y - y.min()] = 1
    return one_hot


def read_adult(path):
    """The attribute values and the targets of the complete examples of a file."""
    rows, targets = [], []
    with open(path) as file_:
        for number, line in enumerate(file_, 1):
            line = line.strip()
            if not line or line.startswith('|'):
                continue
            fields = [field.strip() for field in line.split(',')]
            if len(fields) != len(VARIABLES) + 1:
                raise ValueError('{}, line {}: expected {} comma-separated '
                                 'fields, got {}'.format(path, number,
                                                         len(VARIABLES) + 1,
                                                         len(fields)))
            if '?' in fields:
                continue
            rows.append(fields[:-1])
            targets.append(fields[-1].rstrip('.') == '>50K')
    return rows, numpy.array(targets, dtype=numpy.uint8).reshape((-1, 1))


def encode(rows, categories):
    """The feature matrix of ``rows``, with one-hot ``categories`` per attribute."""
    columns = []
    for i, variable in enumerate(VARIABLES):
        values = [row[i] for row in rows]
        if variable in CONTINUOUS:
            columns.append(numpy.array(values, dtype=numpy.float64)[:, None])
            continue
        index = {category: j for j, category in enumerate(categories[variable])}
        one_hot = numpy.zeros((len(rows), len(index)))
        for k, value in enumerate(values):
            if value in index:
                one_hot[k, index[value]] = 1
        columns.append(one_hot)
    return numpy.concatenate(columns, axis=1)


@check_exists(required_files=[TRAIN_FILE, TEST_FILE])
def convert_adult(directory, output_directory, output_filename='adult.hdf5'):
    """Convert the Adult dataset to HDF5.

    Parameters
    ----------
    directory : str
        The directory of ``adult.data`` and ``adult.test``.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'adult.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    train_rows, train_targets = read_adult(os.path.join(directory, TRAIN_FILE))
    test_rows, test_targets = read_adult(os.path.join(directory, TEST_FILE))
    categories = {variable: sorted(set(row[i] for row in train_rows))
                  for i, variable in enumerate(VARIABLES)
                  if variable not in CONTINUOUS}
    data = (('train', 'features', encode(train_rows, categories)),
            ('train', 'targets', train_targets),
            ('test', 'features', encode(test_rows, categories)),
            ('test', 'targets', test_targets))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'feature'), 'targets': ('batch', 'index')})


def fill_subparser(subparser):
    """Set up the ``adult`` subcommand of ``fuel-convert``."""
    return convert_adult
