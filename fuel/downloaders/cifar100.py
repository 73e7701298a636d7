"""CIFAR-100, from Alex Krizhevsky's page."""
from fuel.downloaders.base import default_downloader

URL = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
MD5 = 'eb9058c3a382ffc7106e4002c42a8d85'


def fill_subparser(subparser):
    """Set up the ``cifar100`` subcommand of ``fuel-download``."""
    subparser.set_defaults(urls=[URL], filenames=['cifar-100-python.tar.gz'],
                           checksums=[MD5])
    return default_downloader
