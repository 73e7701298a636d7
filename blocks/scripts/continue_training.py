"""The ``blocks-continue`` command: resume a checkpointed main loop.

The checkpoint is unpickled, and unpickling runs code: continue only from
checkpoints you trust. The current directory is searched for modules after
the installed ones (never ahead of them), so that a file in it named like a
library (``numpy.py``, ``blocks.py``) cannot replace that library.

"""
import argparse
import importlib
import logging
import os
import sys


def current_directory_last(path=None):
    """Move the current directory to the end of the module search path.

    ``python -m`` and some launchers put the current directory (``''`` or
    its absolute path) first in ``sys.path``, ahead of the installed
    packages. It stays searchable, last, for the modules that define what
    the pickled main loop refers to.

    >>> current_directory_last(['', '/usr/lib/python3/site-packages'])[-1] \\
    ...     == os.getcwd()
    True

    """
    path = sys.path if path is None else path
    current = os.getcwd()
    path[:] = [entry for entry in path
               if entry not in ('', '.') and
               os.path.abspath(entry) != current]
    path.append(current)
    return path


def main(args=None):
    """Resume training from a checkpoint written by ``Checkpoint``."""
    parser = argparse.ArgumentParser(
        prog='blocks-continue',
        description="Continue training from a checkpoint (a tar archive "
                    "written by blocks.extensions.saveload.Checkpoint). The "
                    "checkpoint is unpickled, which runs code: continue "
                    "only from checkpoints you trust.")
    parser.add_argument('checkpoint', help='path to the checkpoint')
    parser.add_argument(
        '--import', dest='modules', action='append', default=[],
        metavar='MODULE',
        help='import this module first (the one that defines functions or '
             'classes the pickled main loop refers to); repeatable; the '
             'current directory is searched after the installed packages')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='log at the INFO level')
    arguments = parser.parse_args(args)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING)
    current_directory_last()
    for module in arguments.modules:
        importlib.import_module(module)
    from blocks.serialization import continue_training
    continue_training(arguments.checkpoint)


if __name__ == '__main__':
    main()
