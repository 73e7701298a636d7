"""``fuel-download``: download the original files of a built-in dataset.

``fuel-download mnist`` copies the MNIST files shipped with Fuel (no network
needed); the other datasets are downloaded and checked against their MD5
sums where these are known.
"""
import argparse
import os
import sys

from fuel import config
from fuel.bin.fuel_convert import (build_subcommand_parser, existing_directory,
                                   load_subcommands)
from fuel.exceptions import NeedURLPrefix


url_prefix_message = """
Some files for this dataset do not have a download URL.

Provide a URL prefix with --url-prefix to prepend to the filenames,
e.g. http://path.to/files/
""".strip()


def build_parser():
    """The argument parser; returns ``(parser, download_functions)``."""
    from fuel.downloaders import all_downloaders
    downloaders = load_subcommands(all_downloaders, config.extra_downloaders,
                                   'all_downloaders')
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument('-d', '--directory', type=existing_directory,
                        default=os.getcwd(),
                        help='where to save the files (default: here)')
    parent.add_argument('--clear', action='store_true',
                        help='delete the files instead of downloading them')
    return build_subcommand_parser(
        'fuel-download', 'Download the files of a built-in dataset.',
        'download', downloaders, parent)


def main(args=None):
    """Run ``fuel-download`` with ``args`` (default: the command line)."""
    parser, functions = build_parser()
    options = vars(parser.parse_args(sys.argv[1:] if args is None else args))
    download = functions[options.pop('which_')]
    try:
        download(**options)
    except NeedURLPrefix as error:
        parser.error('{}\n\n{}'.format(error, url_prefix_message))


if __name__ == '__main__':
    main()
