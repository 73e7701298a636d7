"""Datasets: the interface to the data.

>>> from fuel.datasets import IterableDataset
>>> IterableDataset({'x': [1, 2, 3]}).num_examples
3
"""
from fuel.datasets.base import Dataset, IndexableDataset, IterableDataset
from fuel.datasets.binarized_mnist import BinarizedMNIST
from fuel.datasets.cifar10 import CIFAR10
from fuel.datasets.cifar100 import CIFAR100
from fuel.datasets.hdf5 import H5PYDataset
from fuel.datasets.mnist import MNIST
from fuel.datasets.svhn import SVHN
from fuel.datasets.text import TextFile
from fuel.datasets.toy import Spiral, SwissRoll

__all__ = ['BinarizedMNIST', 'CIFAR10', 'CIFAR100', 'Dataset', 'H5PYDataset',
           'IndexableDataset', 'IterableDataset', 'MNIST', 'SVHN', 'Spiral',
           'SwissRoll', 'TextFile']
