"""Small C kernels, compiled on first use and called through :mod:`ctypes`.

Some of Blocks' NumPy thunks spend their time in loops that NumPy runs as
many short passes: the im2col and col2im of :mod:`blocks.ops.conv`, the
pointwise gate arithmetic of the fused recurrent bricks. A few lines of C
do each of those in one pass. :func:`load_kernels` compiles such a source
with the C++ compiler PyTensor uses (``pytensor.config.cxx``) into a shared
library kept in PyTensor's compile directory, named by a hash of the
source, the flags and the compiler, and returns it loaded with
:mod:`ctypes`; a later process finds it there and compiles nothing.

Without a compiler, when the build fails, or when ``BLOCKS_C_KERNELS=0`` is
set in the environment, :func:`load_kernels` returns ``None`` (and says why
once, at the ``WARNING`` level for a failed build): callers keep a NumPy
path that computes the same thing, and the tests run both.

Kernels take raw pointers, sizes and strides counted in elements; they must
not call back into Python, so the GIL is released while they run.

"""
import ctypes
import hashlib
import logging
import os
import subprocess
import tempfile
import threading

import numpy
import pytensor

logger = logging.getLogger(__name__)

#: Compiler flags: optimized for this processor (as PyTensor's own C
#: modules are: the compile directory is per processor), IEEE semantics
#: kept (no ``-ffast-math``, and no contraction of ``a * b + c`` into a
#: fused multiply-add, which g++ does by default), so that the kernels
#: round as NumPy does.
FLAGS = ('-O3', '-march=native', '-fPIC', '-shared', '-fno-math-errno',
         '-ffp-contract=off', '-std=c++11')

#: The environment variable that switches the kernels off (``0``).
ENVIRONMENT_VARIABLE = 'BLOCKS_C_KERNELS'

_loaded = {}
_lock = threading.Lock()


def enabled():
    """Whether C kernels may be used (a compiler, and not switched off)."""
    setting = os.environ.get(ENVIRONMENT_VARIABLE, '1').strip().lower()
    if setting in ('0', 'false', 'no', 'off'):
        return False
    if setting not in ('1', 'true', 'yes', 'on', ''):
        raise ValueError('{} must be 0 or 1, got {!r}'.format(
            ENVIRONMENT_VARIABLE, os.environ[ENVIRONMENT_VARIABLE]))
    return bool(pytensor.config.cxx)


def load_kernels(name, source):
    """The compiled library of C++ `source`, or ``None`` without one.

    Parameters
    ----------
    name : str
        A short name for the library (used in its file name and messages).
    source : str
        C++ source whose kernels are declared ``extern "C"``.

    Returns
    -------
    :class:`ctypes.CDLL` or None
        The library (the same object on every call with the same source),
        or ``None`` when C kernels are disabled or could not be built.

    Examples
    --------
    >>> import numpy
    >>> library = load_kernels('doctest_add', '''
    ... extern "C" void add(const double *a, const double *b, double *out,
    ...                     long n) {
    ...     for (long i = 0; i < n; ++i) out[i] = a[i] + b[i];
    ... }''')
    >>> if library is not None:
    ...     add = library.add
    ...     add.restype = None
    ...     a, b = numpy.arange(3.), numpy.ones(3)
    ...     out = numpy.empty(3)
    ...     add(pointer(a), pointer(b), pointer(out), ctypes.c_long(3))
    ...     print(out)
    ... else:
    ...     print(numpy.arange(3.) + 1)
    [1. 2. 3.]

    """
    if not enabled():
        return None
    signature = '\n'.join([pytensor.config.cxx, ' '.join(FLAGS), source])
    key = hashlib.sha256(signature.encode()).hexdigest()[:16]
    with _lock:
        if key in _loaded:
            return _loaded[key]
        try:
            library = ctypes.CDLL(_build(name, key, source))
        except (OSError, subprocess.SubprocessError) as error:
            logger.warning('could not build the C kernels %r (%s); the NumPy '
                           'code is used instead', name, error)
            library = None
        _loaded[key] = library
        return library


#: The C type of each dtype kernels are written for (the suffix of their
#: functions' names in :func:`typed_kernel`).
C_TYPES = {numpy.dtype('float32'): 'float', numpy.dtype('float64'): 'double'}

_functions = {}


def typed_kernel(name, source, function, dtype, restype=None):
    """The function ``{function}_{C type of dtype}`` of a kernel library.

    Parameters
    ----------
    name, source
        As for :func:`load_kernels`.
    function : str
        The function's name without its type suffix (``'im2col'`` for
        ``im2col_float`` and ``im2col_double``).
    dtype : str or numpy.dtype
    restype : ctypes type, optional
        What the function returns (``None``: nothing).

    Returns
    -------
    ctypes function or None
        ``None`` for a dtype without a C type in :data:`C_TYPES`, or when
        :func:`load_kernels` gives no library.

    """
    suffix = C_TYPES.get(numpy.dtype(dtype))
    if suffix is None or not enabled():
        return None
    key = (name, function, suffix)
    if key not in _functions:
        library = load_kernels(name, source)
        found = None
        if library is not None:
            found = getattr(library, '{}_{}'.format(function, suffix))
            found.restype = restype
        _functions[key] = found
    return _functions[key]


def _build(name, key, source):
    """Compile `source` into the compile directory (atomically); the path."""
    directory = os.path.join(pytensor.config.compiledir, 'blocks_kernels')
    target = os.path.join(directory, 'lib{}_{}.so'.format(name, key))
    if os.path.exists(target):
        return target
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as build:
        source_path = os.path.join(build, name + '.cpp')
        with open(source_path, 'w') as f:
            f.write(source)
        output = os.path.join(build, os.path.basename(target))
        result = subprocess.run(
            [pytensor.config.cxx] + list(FLAGS) +
            ['-o', output, source_path],
            capture_output=True, text=True)
        if result.returncode:
            raise subprocess.SubprocessError(
                '{} exited with {}: {}'.format(
                    pytensor.config.cxx, result.returncode,
                    result.stderr.strip()[-2000:]))
        # Another process may have built it meanwhile: both are the same.
        os.replace(output, target)
    logger.debug('built the C kernels %s into %s', name, target)
    return target


def pointer(array):
    """The address of `array`'s first element, for a kernel argument."""
    return ctypes.c_void_p(array.ctypes.data)


def strides_in_elements(array):
    """`array`'s strides counted in elements (kernels index that way).

    >>> import numpy
    >>> strides_in_elements(numpy.zeros((2, 3), dtype='float32').T)
    (1, 3)
    """
    itemsize = array.dtype.itemsize
    if any(stride % itemsize for stride in array.strides):
        raise ValueError('the strides {} of the array are not multiples of '
                         'its item size {}'.format(array.strides, itemsize))
    return tuple(stride // itemsize for stride in array.strides)


__all__ = ['enabled', 'load_kernels', 'pointer', 'strides_in_elements']
