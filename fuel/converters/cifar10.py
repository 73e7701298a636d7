"""Convert CIFAR-10 (the Python version) to Fuel's HDF5 format.

The input directory holds ``cifar-10-python.tar.gz``, whose
``cifar-10-batches-py`` folder has the pickled batches ``data_batch_1`` to
``data_batch_5`` (training) and ``test_batch``, each a dict with ``data``
(uint8, ``(N, 3072)``) and ``labels``. The output has splits ``train``
(50,000) and ``test`` (10,000), ``features`` uint8 of shape
``(N, 3, 32, 32)`` and ``targets`` uint8 of shape ``(N, 1)``.
"""
import os
import pickle
import tarfile

import numpy

from fuel.converters.base import check_exists, write_converted_file

DISTRIBUTION_FILE = 'cifar-10-python.tar.gz'
FOLDER = 'cifar-10-batches-py'
TRAIN_BATCHES = ['data_batch_{}'.format(i) for i in range(1, 6)]


def load_pickled_batch(archive, member):
    """Read a pickled CIFAR batch (written by Python 2) from an open tar archive."""
    with archive.extractfile(member) as file_:
        batch = pickle.load(file_, encoding='latin1')
    return {key.decode('latin1') if isinstance(key, bytes) else key: value
            for key, value in batch.items()}


def images(batch):
    """The images of a batch, as uint8 of shape ``(N, 3, 32, 32)``."""
    data = numpy.asarray(batch['data'], dtype=numpy.uint8)
    return data.reshape((data.shape[0], 3, 32, 32))


def labels(batch, key):
    """The labels ``key`` of a batch, as uint8 of shape ``(N, 1)``."""
    return numpy.asarray(batch[key], dtype=numpy.uint8).reshape((-1, 1))


@check_exists(required_files=[DISTRIBUTION_FILE])
def convert_cifar10(directory, output_directory, output_filename='cifar10.hdf5'):
    """Convert CIFAR-10 to HDF5.

    Parameters
    ----------
    directory : str
        The directory of ``cifar-10-python.tar.gz``.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'cifar10.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    with tarfile.open(os.path.join(directory, DISTRIBUTION_FILE), 'r:gz') as archive:
        train = [load_pickled_batch(archive, '{}/{}'.format(FOLDER, name))
                 for name in TRAIN_BATCHES]
        test = load_pickled_batch(archive, '{}/test_batch'.format(FOLDER))
    train_features = numpy.concatenate([images(batch) for batch in train])
    train_targets = numpy.concatenate([labels(batch, 'labels') for batch in train])
    data = (('train', 'features', train_features),
            ('train', 'targets', train_targets),
            ('test', 'features', images(test)),
            ('test', 'targets', labels(test, 'labels')))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'channel', 'height', 'width'),
        'targets': ('batch', 'index')})


def fill_subparser(subparser):
    """Set up the ``cifar10`` subcommand of ``fuel-convert``."""
    return convert_cifar10
