"""CIFAR-10, from Alex Krizhevsky's page."""
from fuel.downloaders.base import default_downloader

URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
MD5 = 'c58f30108f718f92721af3b95e74349a'


def fill_subparser(subparser):
    """Set up the ``cifar10`` subcommand of ``fuel-download``."""
    subparser.set_defaults(urls=[URL], filenames=['cifar-10-python.tar.gz'],
                           checksums=[MD5])
    return default_downloader
