"""Every library the project declares imports in the installed set."""
import importlib
import warnings

import pytest


@pytest.mark.parametrize('module', [
    'h5py', 'numba', 'numpy', 'PIL.Image', 'progressbar', 'pytensor',
    'requests', 'scipy.signal', 'tables', 'toolz', 'yaml', 'zmq',
    # Imports pkg_resources: needs setuptools < 82 (declared).
    'picklable_itertools', 'picklable_itertools.extras',
])
def test_declared_dependency_imports(module):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # pkg_resources' deprecation
        importlib.import_module(module)


def test_picklable_itertools_works():
    from picklable_itertools.extras import equizip
    assert list(equizip([1, 2], 'ab')) == [(1, 'a'), (2, 'b')]
    with pytest.raises(ValueError):
        list(equizip([1, 2], 'a'))
