"""``fuel-convert``: convert downloaded dataset files to Fuel's HDF5 format.

Every file it creates is tagged with the versions of the HDF5 interface and of
the converters, and with the exact command that created it (see
``fuel-info``)::

    fuel-download mnist
    fuel-convert mnist -d . -o .
    fuel-info mnist.hdf5
"""
import argparse
import importlib
import os
import shlex
import sys

from fuel import config
from fuel.converters.base import tag_file
from fuel.exceptions import MissingInputFiles

HDF5_EXTENSIONS = ('.hdf5', '.hdf', '.h5')


class CheckDirectoryAction(argparse.Action):
    """An argparse action that accepts only an existing directory."""
    def __call__(self, parser, namespace, values, option_string=None):
        if os.path.isdir(values):
            setattr(namespace, self.dest, values)
        else:
            raise ValueError('{} is not an existing directory'.format(values))


def existing_directory(path):
    """An argparse type: a directory that exists."""
    if not os.path.isdir(path):
        raise argparse.ArgumentTypeError('{} is not an existing directory'.format(
            path))
    return path


def load_subcommands(builtin, extra_modules, attribute):
    """The built-in ``(name, fill_subparser)`` pairs plus those of extra modules."""
    subcommands = dict(builtin)
    for module_name in extra_modules:
        module = importlib.import_module(module_name)
        subcommands.update(dict(getattr(module, attribute)))
    return subcommands


def build_subcommand_parser(prog, description, verb, subcommands, parent):
    """A parser with one ``DATASET`` subcommand per ``(name, fill_subparser)`` pair.

    Parameters
    ----------
    prog, description : str
        The program's name and description.
    verb : str
        The verb of each subcommand's help, ``'VERB the NAME dataset'``.
    subcommands : dict
        ``fill_subparser(subparser)`` of each dataset name; it adds the
        dataset's options and returns the function that does the work.
    parent : :class:`argparse.ArgumentParser`
        The options that every subcommand takes.

    Returns
    -------
    tuple
        The parser and the dict of the functions of the subcommands.

    Examples
    --------
    >>> def fill_subparser(subparser):
    ...     subparser.add_argument('--size', type=int, default=1)
    ...     return print
    >>> parser, functions = build_subcommand_parser(
    ...     'fuel-demo', 'A demo.', 'show', {'toy': fill_subparser},
    ...     argparse.ArgumentParser(add_help=False))
    >>> vars(parser.parse_args(['toy', '--size', '2'])), functions['toy']
    ({'which_': 'toy', 'size': 2}, <built-in function print>)
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subparsers = parser.add_subparsers(dest='which_', metavar='DATASET')
    subparsers.required = True
    functions = {}
    for name, fill_subparser in sorted(subcommands.items()):
        subparser = subparsers.add_parser(
            name, parents=[parent], help='{} the {} dataset'.format(verb, name))
        functions[name] = fill_subparser(subparser)
    return parser, functions


def build_parser():
    """The argument parser; returns ``(parser, convert_functions)``."""
    from fuel.converters import all_converters
    converters = load_subcommands(all_converters, config.extra_converters,
                                  'all_converters')
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument('-d', '--directory', type=existing_directory,
                        default=os.getcwd(),
                        help='the directory of the input files (default: here)')
    parent.add_argument('-o', '--output-directory', type=existing_directory,
                        default=os.getcwd(),
                        help='where to save the HDF5 file (default: here)')
    parent.add_argument('-r', '--output-filename', type=str, default=None,
                        help='the name of the HDF5 file')
    return build_subcommand_parser(
        'fuel-convert', 'Convert the files of a built-in dataset to HDF5.',
        'convert', converters, parent)


def main(args=None):
    """Run ``fuel-convert`` with ``args`` (default: the command line)."""
    run(args)


def run(args=None):
    """Do what ``fuel-convert`` does and return the paths of the files written."""
    parser, functions = build_parser()
    command_args = sys.argv[1:] if args is None else list(args)
    options = vars(parser.parse_args(command_args))
    convert = functions[options.pop('which_')]
    filename = options.get('output_filename')
    if filename is None:
        options.pop('output_filename')
    elif os.path.splitext(filename)[1] not in HDF5_EXTENSIONS:
        options['output_filename'] = filename + '.hdf5'
    try:
        output_paths = convert(**options)
    except MissingInputFiles as error:
        parser.error('these input files were not found:\n{}\n\nDid you forget '
                     'to run fuel-download?'.format('\n'.join(
                         '    ' + path for path in error.filenames)))
    command = ' '.join(['fuel-convert'] + [shlex.quote(arg) for arg in command_args])
    for path in output_paths:
        tag_file(path, command)
        print('Wrote {}'.format(path))
    return output_paths


if __name__ == '__main__':
    main()
