"""Adult, from the UCI Machine Learning Repository."""
from fuel.downloaders.base import default_downloader

URL_PREFIX = 'https://archive.ics.uci.edu/ml/machine-learning-databases/adult/'
FILENAMES = ['adult.data', 'adult.test']


def fill_subparser(subparser):
    """Set up the ``adult`` subcommand of ``fuel-download``.

    UCI publishes no checksums for these files, so they are not verified.
    """
    subparser.set_defaults(urls=[URL_PREFIX + name for name in FILENAMES],
                           filenames=list(FILENAMES), checksums=[None, None])
    return default_downloader
