"""Test-session settings: the compile mode and a private Fuel data path.

Compilation dominates test time, so unit tests and doctests compile with
PyTensor's ``FAST_COMPILE`` mode through Blocks' own ``compile_mode`` setting;
set ``BLOCKS_COMPILE_MODE`` to run the suite in another mode. Tests that must
run a real mode say so explicitly.

``pytest --default-mode`` runs the core training tests (:data:`CORE_TESTS`:
bricks, step rules and algorithms, the main loop and its extensions,
monitoring, serialization and resumption, the tutorials in ``docs/``) in the
mode a user's script gets: Blocks' default (the C VM with NumPy thunks), with
PyTensor's default mode left as ``import blocks`` sets it. Given paths, it runs
those instead of the list.

The quick run of the benchmark suite is marked ``benchmarks`` and left out of
``pytest`` (see ``addopts`` in ``pyproject.toml``); ``pytest -m benchmarks``
runs it.

"""
import atexit
import os
import shutil
import tempfile

import pytest

#: What ``pytest --default-mode`` runs, relative to the repository root.
CORE_TESTS = (
    'blocks/algorithms', 'tests/algorithms',
    'blocks/bricks', 'tests/bricks',
    'blocks/extensions', 'tests/extensions',
    'blocks/main_loop.py', 'tests/test_main_loop.py',
    'blocks/monitoring', 'tests/monitoring',
    'blocks/serialization.py', 'tests/test_serialization.py',
    'tests/test_resumption.py', 'tests/reliability/test_checkpoints.py',
    'tests/test_example_mnist.py',
    'docs',
)

if 'FUEL_DATA_PATH' not in os.environ:
    _data_path = tempfile.mkdtemp(prefix='fuel-test-data-')
    os.environ['FUEL_DATA_PATH'] = _data_path
    atexit.register(shutil.rmtree, _data_path, ignore_errors=True)

# The old import paths of the compile backend are aliases of the modules in
# blocks/compile/, whose doctests run from there.
collect_ignore = ['blocks/utils/{}.py'.format(name) for name in (
    'blas', 'c_modules', 'compilation', 'jax_support', 'linker',
    'numpy_elemwise')]


def pytest_addoption(parser):
    parser.addoption(
        '--default-mode', action='store_true',
        help="compile in Blocks' default mode instead of FAST_COMPILE, and "
             "run the core training tests (conftest.CORE_TESTS) unless paths "
             "are given")


def pytest_configure(config):
    if config.getoption('default_mode'):
        os.environ.pop('BLOCKS_COMPILE_MODE', None)
    else:
        os.environ.setdefault('BLOCKS_COMPILE_MODE', 'FAST_COMPILE')
    # Importing Blocks makes its compile mode PyTensor's default mode too,
    # which doctests use through ``Variable.eval``; any spelling of a mode
    # name is accepted (``cvm``, ``fast_compile``).
    import blocks  # noqa: F401


def pytest_ignore_collect(collection_path, config):
    if not (config.getoption('default_mode') and
            config.args_source == pytest.Config.ArgsSource.TESTPATHS):
        return None
    for core in CORE_TESTS:
        core = config.rootpath / core
        if (collection_path == core or core in collection_path.parents or
                collection_path in core.parents):
            return None
    return True
