"""Iris, from the UCI Machine Learning Repository."""
from fuel.downloaders.base import default_downloader

URL = 'https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data'


def fill_subparser(subparser):
    """Set up the ``iris`` subcommand of ``fuel-download``.

    UCI publishes no checksum for this file, so it is not verified.
    """
    subparser.set_defaults(urls=[URL], filenames=['iris.data'], checksums=[None])
    return default_downloader
