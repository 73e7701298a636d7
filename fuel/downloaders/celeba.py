"""CelebA (aligned and cropped images, and attributes), from the authors' Dropbox."""
from fuel.downloaders.base import default_downloader

URLS = ['https://www.dropbox.com/sh/8oqt9vytwxb3s4r/AADIKlz8PR9zr6Y20qbkunrba/'
        'Img/img_align_celeba.zip?dl=1',
        'https://www.dropbox.com/sh/8oqt9vytwxb3s4r/AAA8YmAHNNU6BEfWMPMfM6r9a/'
        'Anno/list_attr_celeba.txt?dl=1']
FILENAMES = ['img_align_celeba.zip', 'list_attr_celeba.txt']
MD5 = ['00d2c5bc6d35e252742224ab0c1e8fcb', '75e246fa4810816ffd6ee81facbd244c']


def fill_subparser(subparser):
    """Set up the ``celeba`` subcommand of ``fuel-download``."""
    subparser.set_defaults(urls=list(URLS), filenames=list(FILENAMES),
                           checksums=list(MD5))
    return default_downloader
