"""ILSVRC 2010: the public files, and the images from a mirror (``--url-prefix``).

The images are not public: ImageNet gives registered researchers their own
download links. Pass the URL of the directory that holds the archives with
``--url-prefix``.
"""
from fuel.converters.ilsvrc2010 import IMAGE_TARS, PUBLIC_FILES
from fuel.downloaders.base import default_downloader

PUBLIC_URL_PREFIX = 'http://www.image-net.org/challenges/LSVRC/2010/'
PUBLIC_URLS = {
    'ILSVRC2010_test_ground_truth.txt':
        PUBLIC_URL_PREFIX + 'ILSVRC2010_test_ground_truth.txt',
    'ILSVRC2010_devkit-1.0.tar.gz':
        PUBLIC_URL_PREFIX + 'download/ILSVRC2010_devkit-1.0.tar.gz',
}


def fill_subparser(subparser):
    """Set up the ``ilsvrc2010`` subcommand of ``fuel-download``."""
    filenames = list(PUBLIC_FILES) + list(IMAGE_TARS)
    subparser.set_defaults(
        urls=[PUBLIC_URLS[name] for name in PUBLIC_FILES] + [None] * len(IMAGE_TARS),
        filenames=filenames, checksums=[None] * len(filenames))
    subparser.add_argument('-P', '--url-prefix', type=str, default=None,
                           help='the URL of the directory of the non-public '
                                'files (the image archives)')
    return default_downloader
