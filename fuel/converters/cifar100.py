"""Convert CIFAR-100 (the Python version) to Fuel's HDF5 format.

The input directory holds ``cifar-100-python.tar.gz``, whose
``cifar-100-python`` folder has the pickled sets ``train`` and ``test``, each
a dict with ``data`` (uint8, ``(N, 3072)``), ``coarse_labels`` and
``fine_labels``. The output has splits ``train`` (50,000) and ``test``
(10,000), ``features`` uint8 of shape ``(N, 3, 32, 32)``, and
``coarse_labels`` and ``fine_labels`` uint8 of shape ``(N, 1)``.
"""
import os
import tarfile

from fuel.converters.base import check_exists, write_converted_file
from fuel.converters.cifar10 import images, labels, load_pickled_batch

DISTRIBUTION_FILE = 'cifar-100-python.tar.gz'
FOLDER = 'cifar-100-python'


@check_exists(required_files=[DISTRIBUTION_FILE])
def convert_cifar100(directory, output_directory,
                     output_filename='cifar100.hdf5'):
    """Convert CIFAR-100 to HDF5.

    Parameters
    ----------
    directory : str
        The directory of ``cifar-100-python.tar.gz``.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'cifar100.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    with tarfile.open(os.path.join(directory, DISTRIBUTION_FILE), 'r:gz') as archive:
        sets = {name: load_pickled_batch(archive, '{}/{}'.format(FOLDER, name))
                for name in ('train', 'test')}
    data = []
    for name, batch in sets.items():
        data.append((name, 'features', images(batch)))
        data.append((name, 'coarse_labels', labels(batch, 'coarse_labels')))
        data.append((name, 'fine_labels', labels(batch, 'fine_labels')))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'channel', 'height', 'width'),
        'coarse_labels': ('batch', 'index'),
        'fine_labels': ('batch', 'index')})


def fill_subparser(subparser):
    """Set up the ``cifar100`` subcommand of ``fuel-convert``."""
    return convert_cifar100
