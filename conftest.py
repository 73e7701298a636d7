"""Test-session settings: a fast compile mode and a private Fuel data path.

Compilation dominates test time (the Numba mode JIT-compiles every new graph
on its first call), so unit tests and doctests compile with PyTensor's
``FAST_COMPILE`` mode through Blocks' own ``compile_mode`` setting; set
``BLOCKS_COMPILE_MODE`` to run the suite in another mode. Tests that must
run a real mode say so explicitly.

"""
import atexit
import os
import shutil
import tempfile

os.environ.setdefault('BLOCKS_COMPILE_MODE', 'FAST_COMPILE')
if 'FUEL_DATA_PATH' not in os.environ:
    _data_path = tempfile.mkdtemp(prefix='fuel-test-data-')
    os.environ['FUEL_DATA_PATH'] = _data_path
    atexit.register(shutil.rmtree, _data_path, ignore_errors=True)

import pytensor  # noqa: E402

# Doctests evaluate graphs with ``Variable.eval``, which uses PyTensor's
# default mode rather than Blocks' compile_mode.
pytensor.config.mode = os.environ['BLOCKS_COMPILE_MODE']

# The old import paths of the compile backend are aliases of the modules in
# blocks/compile/, whose doctests run from there.
collect_ignore = ['blocks/utils/{}.py'.format(name) for name in (
    'blas', 'c_modules', 'compilation', 'jax_support', 'linker',
    'numpy_elemwise')]
