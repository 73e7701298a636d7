"""Converters: the ``fuel-convert`` subcommands, one module per dataset.

Each module's ``fill_subparser(subparser)`` adds the dataset's options to an
:mod:`argparse` subparser and returns the conversion function, which takes
``directory`` (the input files), ``output_directory`` and optionally
``output_filename``, and returns the paths of the files it wrote.

>>> [name for name, _ in all_converters][:4]
['adult', 'binarized_mnist', 'caltech101_silhouettes', 'celeba']
"""
from fuel.converters import (adult, binarized_mnist, caltech101_silhouettes,
                             celeba, cifar10, cifar100, dogs_vs_cats,
                             ilsvrc2010, ilsvrc2012, iris, mnist, svhn,
                             youtube_audio)
from fuel.converters.base import CONVERTERS_VERSION as __version__  # noqa: F401

all_converters = (
    ('adult', adult.fill_subparser),
    ('binarized_mnist', binarized_mnist.fill_subparser),
    ('caltech101_silhouettes', caltech101_silhouettes.fill_subparser),
    ('celeba', celeba.fill_subparser),
    ('cifar10', cifar10.fill_subparser),
    ('cifar100', cifar100.fill_subparser),
    ('dogs_vs_cats', dogs_vs_cats.fill_subparser),
    ('iris', iris.fill_subparser),
    ('mnist', mnist.fill_subparser),
    ('svhn', svhn.fill_subparser),
    ('ilsvrc2010', ilsvrc2010.fill_subparser),
    ('ilsvrc2012', ilsvrc2012.fill_subparser),
    ('youtube_audio', youtube_audio.fill_subparser),
)
