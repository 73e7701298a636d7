"""Downloaders: the ``fuel-download`` subcommands, one module per dataset.

Each module's ``fill_subparser(subparser)`` adds the dataset's options to an
:mod:`argparse` subparser and returns the function that does the download.

>>> [name for name, _ in all_downloaders][:4]
['adult', 'binarized_mnist', 'caltech101_silhouettes', 'celeba']
"""
from fuel.downloaders import (adult, binarized_mnist, caltech101_silhouettes,
                              celeba, cifar10, cifar100, dogs_vs_cats,
                              ilsvrc2010, ilsvrc2012, iris, mnist, svhn,
                              youtube_audio)

all_downloaders = (
    ('adult', adult.fill_subparser),
    ('binarized_mnist', binarized_mnist.fill_subparser),
    ('caltech101_silhouettes', caltech101_silhouettes.fill_subparser),
    ('celeba', celeba.fill_subparser),
    ('cifar10', cifar10.fill_subparser),
    ('cifar100', cifar100.fill_subparser),
    ('iris', iris.fill_subparser),
    ('mnist', mnist.fill_subparser),
    ('svhn', svhn.fill_subparser),
    ('ilsvrc2010', ilsvrc2010.fill_subparser),
    ('ilsvrc2012', ilsvrc2012.fill_subparser),
    ('youtube_audio', youtube_audio.fill_subparser),
    ('dogs_vs_cats', dogs_vs_cats.fill_subparser),
)
