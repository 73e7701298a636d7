"""A C BLAS for PyTensor's C linker, found without any system package.

PyTensor's C backend (the ``CVM`` and ``C`` modes) calls the Fortran BLAS
(``dgemm_``, ...) when ``pytensor.config.blas__ldflags`` names a library;
without one, it falls back to slower NumPy-based code and warns. A pip
install of PyTensor finds no BLAS on most machines. The ``scipy-openblas32``
wheel, a dependency of Blocks, ships OpenBLAS, but with every symbol
prefixed (``scipy_dgemm_``). :func:`configure_blas` builds, once per
PyTensor compile directory, a tiny shared library of jump instructions that
export the standard names and lands on the prefixed ones, and points
``blas__ldflags`` at it.

The configuration is left alone when the user configured
``blas__ldflags`` (``PYTENSOR_FLAGS`` or ``.pytensorrc``), when no C
compiler is available, or on a processor other than x86-64 and ARM64.
Call :func:`configure_blas` before compiling the first C-linker function;
Blocks does so when it compiles a function in a C-linker mode.

"""
import ctypes
import logging
import os
import platform
import subprocess
import tempfile

import pytensor

logger = logging.getLogger(__name__)

#: The BLAS routines (without precision prefix) that get a trampoline.
_ROUTINES = ('gemm', 'gemv', 'ger', 'dot', 'axpy', 'copy', 'scal', 'swap',
             'symm', 'syrk', 'syr2k', 'trsm', 'trmm', 'trmv', 'trsv',
             'symv', 'syr', 'syr2', 'nrm2', 'asum', 'rot', 'rotg', 'gbmv',
             'sbmv', 'spmv', 'spr', 'spr2', 'tbmv', 'tbsv', 'tpmv', 'tpsv')
_JUMPS = {'x86_64': 'jmp {target}@PLT', 'amd64': 'jmp {target}@PLT',
          'aarch64': 'b {target}', 'arm64': 'b {target}'}
_SHIM_NAME = 'blocks_openblas_shim'

_configured = None


def _openblas():
    """The directory and loaded handle of scipy-openblas32's library."""
    import scipy_openblas32
    directory = scipy_openblas32.get_lib_dir()
    library = os.path.join(directory,
                           'lib{}.so'.format(scipy_openblas32.get_library()))
    return directory, ctypes.CDLL(library), scipy_openblas32.__version__


def _shim_source(handle, jump):
    lines = []
    for precision in 'sd':
        for routine in _ROUTINES:
            for name in ('{}{}_'.format(precision, routine),
                         'cblas_{}{}'.format(precision, routine)):
                target = 'scipy_' + name
                if not hasattr(handle, target):
                    continue
                lines.append(
                    '__asm__(".globl {name}\\n.type {name}, @function\\n'
                    '{name}:\\n\\t{jump}\\n");'.format(
                        name=name, jump=jump.format(target=target)))
    return '\n'.join(lines) + '\n'


def _build_shim(directory, openblas_dir, handle, version, jump):
    """Build the trampoline library into `directory` (atomically)."""
    target = os.path.join(directory, 'lib{}.so'.format(_SHIM_NAME))
    stamp = os.path.join(directory, 'version')
    if os.path.exists(target) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == version:
                return target
    os.makedirs(directory, exist_ok=True)
    compiler = pytensor.config.cxx or 'gcc'
    with tempfile.TemporaryDirectory(dir=directory) as build:
        source = os.path.join(build, 'shim.c')
        with open(source, 'w') as f:
            f.write(_shim_source(handle, jump))
        output = os.path.join(build, 'lib{}.so'.format(_SHIM_NAME))
        subprocess.run(
            [compiler, '-x', 'c', '-shared', '-fPIC', '-o', output, source,
             '-L' + openblas_dir, '-lscipy_openblas',
             '-Wl,-rpath,' + openblas_dir],
            check=True, capture_output=True)
        os.replace(output, target)
    with open(stamp, 'w') as f:
        f.write(version)
    return target


def _user_configured():
    parameter = pytensor.config._config_var_dict['blas__ldflags']
    if hasattr(parameter, 'val'):
        return not parameter.is_default
    try:
        pytensor.config.fetch_val_for_key('blas__ldflags')
    except KeyError:
        return False
    return True


def configure_blas():
    """Point PyTensor's ``blas__ldflags`` at the OpenBLAS of scipy-openblas32.

    Returns
    -------
    str or None
        The flags now in use, or ``None`` when nothing was changed (the
        user configured BLAS, or no compiler, library or supported
        processor was found).

    """
    global _configured
    if _configured is not None:
        return _configured or None
    _configured = ''
    if _user_configured():
        return None
    jump = _JUMPS.get(platform.machine().lower())
    if jump is None or not pytensor.config.cxx:
        return None
    try:
        openblas_dir, handle, version = _openblas()
        directory = os.path.join(pytensor.config.compiledir, _SHIM_NAME)
        _build_shim(directory, openblas_dir, handle, version, jump)
    except (ImportError, OSError, subprocess.CalledProcessError) as error:
        logger.warning("could not set up OpenBLAS for PyTensor's C linker "
                       "(%s); C-linker functions use NumPy's slower "
                       "fallback", error)
        return None
    flags = '-L{0} -l{1} -Wl,-rpath,{0}'.format(directory, _SHIM_NAME)
    pytensor.config.blas__ldflags = flags
    _configured = flags
    return flags
