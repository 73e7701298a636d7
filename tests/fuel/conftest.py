"""Fixtures of the Fuel tests.

Every Fuel test runs with ``FUEL_DATA_PATH`` pointing at a temporary
directory, so that the user's data path (``~/.local/share/fuel``) is never
touched; ``mnist.hdf5`` is built there once per session from the files that
Fuel ships.
"""
import os

import numpy
import pytest


@pytest.fixture(scope='session', autouse=True)
def fuel_data_path(tmp_path_factory):
    """A session-wide temporary data path."""
    path = tmp_path_factory.mktemp('fuel_data')
    saved = os.environ.get('FUEL_DATA_PATH')
    os.environ['FUEL_DATA_PATH'] = str(path)
    yield path
    if saved is None:
        os.environ.pop('FUEL_DATA_PATH', None)
    else:
        os.environ['FUEL_DATA_PATH'] = saved


@pytest.fixture(scope='session')
def mnist_train(fuel_data_path):
    from fuel.datasets import MNIST
    return MNIST(('train',))


@pytest.fixture(scope='session')
def mnist_test(fuel_data_path):
    from fuel.datasets import MNIST
    return MNIST(('test',))


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)
