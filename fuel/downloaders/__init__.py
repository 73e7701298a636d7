"""Downloaders: the ``fuel-download`` subcommands, one module per dataset.

Each module's ``fill_subparser(subparser)`` adds the dataset's options to an
:mod:`argparse` subparser and returns the function that does the download.

>>> [name for name, _ in all_downloaders]
['binarized_mnist', 'cifar10', 'cifar100', 'mnist', 'svhn']
"""
from fuel.downloaders import binarized_mnist, cifar10, cifar100, mnist, svhn

all_downloaders = (
    ('binarized_mnist', binarized_mnist.fill_subparser),
    ('cifar10', cifar10.fill_subparser),
    ('cifar100', cifar100.fill_subparser),
    ('mnist', mnist.fill_subparser),
    ('svhn', svhn.fill_subparser),
)
