"""Converters: the ``fuel-convert`` subcommands, one module per dataset.

Each module's ``fill_subparser(subparser)`` adds the dataset's options to an
:mod:`argparse` subparser and returns the conversion function, which takes
``directory`` (the input files), ``output_directory`` and optionally
``output_filename``, and returns the paths of the files it wrote.

>>> [name for name, _ in all_converters]
['binarized_mnist', 'cifar10', 'cifar100', 'mnist', 'svhn']
"""
from fuel.converters import binarized_mnist, cifar10, cifar100, mnist, svhn
from fuel.converters.base import CONVERTERS_VERSION as __version__  # noqa: F401

all_converters = (
    ('binarized_mnist', binarized_mnist.fill_subparser),
    ('cifar10', cifar10.fill_subparser),
    ('cifar100', cifar100.fill_subparser),
    ('mnist', mnist.fill_subparser),
    ('svhn', svhn.fill_subparser),
)
