"""SVHN, from the Stanford page of the dataset."""
from fuel.downloaders.base import default_downloader

URL_PREFIX = 'http://ufldl.stanford.edu/housenumbers/'
FILES = {
    1: [('train.tar.gz', None), ('test.tar.gz', None), ('extra.tar.gz', None)],
    2: [('train_32x32.mat', 'e26dedcc434d2e4c54c9b2d4a06d8373'),
        ('test_32x32.mat', 'eb5a983be6a315427106f1b164d9cef3'),
        ('extra_32x32.mat', 'a93ce644f1a588dc4d68dda5feec44a7')],
}


def svhn_downloader(which_format, directory, clear=False):
    """Download the files of one format of SVHN.

    Parameters
    ----------
    which_format : {1, 2}
        Format 1: the full house-number pictures; format 2: 32x32 crops.
    directory : str
        Where to put the files.
    clear : bool, optional
        Delete the files instead.
    """
    if which_format not in FILES:
        raise ValueError('which_format must be 1 or 2, got {!r}'.format(
            which_format))
    filenames = [name for name, _ in FILES[which_format]]
    default_downloader(directory, [URL_PREFIX + name for name in filenames],
                       filenames, clear=clear,
                       checksums=[md5 for _, md5 in FILES[which_format]])


def fill_subparser(subparser):
    """Set up the ``svhn`` subcommand of ``fuel-download``."""
    subparser.add_argument('which_format', type=int, choices=(1, 2),
                           help='which format of the dataset to download')
    return svhn_downloader
