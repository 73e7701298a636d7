"""CalTech 101 Silhouettes, from Benjamin Marlin's page."""
from fuel.downloaders.base import default_downloader

BASE_URL = 'https://people.cs.umass.edu/~marlin/data/'
FILENAME = 'caltech101_silhouettes_{}_split1.mat'


def silhouettes_downloader(size, **kwargs):
    """Download the MATLAB file of the images of ``size`` (16 or 28) pixels a side.

    Other keyword arguments (``directory``, ``clear``) go to
    :func:`~fuel.downloaders.base.default_downloader`.
    """
    if size not in (16, 28):
        raise ValueError('size must be 16 or 28, got {!r}'.format(size))
    filename = FILENAME.format(size)
    default_downloader(urls=[BASE_URL + filename], filenames=[filename],
                       **kwargs)


def fill_subparser(subparser):
    """Set up the ``caltech101_silhouettes`` subcommand of ``fuel-download``."""
    subparser.add_argument('size', type=int, choices=(16, 28),
                           help='the side of the images')
    return silhouettes_downloader
