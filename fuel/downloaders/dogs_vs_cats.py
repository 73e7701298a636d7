"""Dogs vs. Cats (Kaggle's 2013 competition), from a public mirror."""
from fuel.downloaders.base import default_downloader

URLS = ['https://www.dropbox.com/s/s3u30quvpxqdbz6/train.zip?dl=1',
        'https://www.dropbox.com/s/21rwu6drnplsbkb/test1.zip?dl=1']
FILENAMES = ['dogs_vs_cats.train.zip', 'dogs_vs_cats.test1.zip']


def fill_subparser(subparser):
    """Set up the ``dogs_vs_cats`` subcommand of ``fuel-download``.

    No checksums are published for these archives, so they are not verified.
    """
    subparser.set_defaults(urls=list(URLS), filenames=list(FILENAMES),
                           checksums=[None, None])
    return default_downloader
