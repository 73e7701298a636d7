"""MNIST: copy the files that Fuel ships, after checking them.

Fuel ships the four MNIST files inside its package, so ``fuel-download
mnist`` needs no network: it copies them into the output directory.
"""
import os
import shutil

from fuel.converters.mnist import ALL_FILES, shipped_directory
from fuel.downloaders.base import file_md5

#: The official MD5 sums of the uncompressed files.
MD5_UNCOMPRESSED = {
    'train-images-idx3-ubyte.gz': '6bbc9ace898e44ae57da46a324031adb',
    'train-labels-idx1-ubyte.gz': 'a25bea736e30d166cdddb491f175f624',
    't10k-images-idx3-ubyte.gz': '2646ac647ad5339dbf082846283269ea',
    't10k-labels-idx1-ubyte.gz': '27ae3e4e09519cfbb04c329615203637',
}


def copy_shipped_mnist(directory, clear=False, source_directory=None):
    """Copy the shipped MNIST files into ``directory``, checking their MD5 sums.

    Parameters
    ----------
    directory : str
        Where to put the files.
    clear : bool, optional
        Delete the files from ``directory`` instead.
    source_directory : str, optional
        Where to copy from. Default: the copy inside the ``fuel`` package.
    """
    source_directory = source_directory or shipped_directory()
    if clear:
        for filename in ALL_FILES:
            path = os.path.join(directory, filename)
            if os.path.isfile(path):
                os.remove(path)
        return
    os.makedirs(directory, exist_ok=True)
    for filename in ALL_FILES:
        source = os.path.join(source_directory, filename)
        actual = file_md5(source, gunzip=True)
        if actual != MD5_UNCOMPRESSED[filename]:
            raise ValueError('{} is corrupted: the MD5 sum of its content is {}, '
                             'expected {}'.format(source, actual,
                                                  MD5_UNCOMPRESSED[filename]))
        target = os.path.join(directory, filename)
        if os.path.abspath(source) != os.path.abspath(target):
            print('Copying {} (shipped with Fuel)'.format(filename))
            shutil.copyfile(source, target)


def fill_subparser(subparser):
    """Set up the ``mnist`` subcommand of ``fuel-download``."""
    return copy_shipped_mnist
