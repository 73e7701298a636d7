"""ILSVRC 2012, from a mirror given with ``--url-prefix`` (the files are not public)."""
from fuel.converters.ilsvrc2012 import ALL_FILES
from fuel.downloaders.base import default_downloader

#: The MD5 sums of the files, where they are published.
MD5 = {'ILSVRC2012_devkit_t12.tar.gz': 'fa75699e90414af021442c21a62c3abf',
       'ILSVRC2012_img_train.tar': '1d675b47d978889d74fa0da5fadfb00e',
       'ILSVRC2012_img_val.tar': '29b22e2961454d5413ddabcf34fc5622'}


def fill_subparser(subparser):
    """Set up the ``ilsvrc2012`` subcommand of ``fuel-download``."""
    subparser.set_defaults(urls=[None] * len(ALL_FILES), filenames=list(ALL_FILES),
                           checksums=[MD5.get(name) for name in ALL_FILES])
    subparser.add_argument('-P', '--url-prefix', type=str, default=None,
                           help='the URL of the directory of the files')
    return default_downloader
