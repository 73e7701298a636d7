"""The ``blocks-continue`` command: resume a checkpointed main loop."""
import argparse
import importlib
import logging
import sys


def main(args=None):
    """Resume training from a checkpoint written by ``Checkpoint``."""
    parser = argparse.ArgumentParser(
        prog='blocks-continue',
        description="Continue training from a checkpoint (a tar archive "
                    "written by blocks.extensions.saveload.Checkpoint).")
    parser.add_argument('checkpoint', help='path to the checkpoint')
    parser.add_argument(
        '--import', dest='modules', action='append', default=[],
        metavar='MODULE',
        help='import this module first (the one that defines functions or '
             'classes the pickled main loop refers to); repeatable')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='log at the INFO level')
    arguments = parser.parse_args(args)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING)
    sys.path.insert(0, '')
    for module in arguments.modules:
        importlib.import_module(module)
    from blocks.serialization import continue_training
    continue_training(arguments.checkpoint)


if __name__ == '__main__':
    main()
