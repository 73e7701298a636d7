"""Binarized MNIST, from Hugo Larochelle's page."""
from fuel.downloaders.base import default_downloader

URL = ('http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/'
       'binarized_mnist_{}.amat')
SETS = ('train', 'valid', 'test')


def fill_subparser(subparser):
    """Set up the ``binarized_mnist`` subcommand of ``fuel-download``.

    No official checksums exist for these files, so they are not verified.
    """
    subparser.set_defaults(
        urls=[URL.format(name) for name in SETS],
        filenames=['binarized_mnist_{}.amat'.format(name) for name in SETS],
        checksums=[None, None, None])
    return default_downloader
