"""The one place where Blocks compiles PyTensor functions."""
import functools
import time

import pytensor
from pytensor.compile import optdb
from pytensor.compile.mode import Mode, get_mode
from pytensor.graph.rewriting.basic import node_rewriter
from pytensor.tensor.rewriting.ofg import inline_ofg_node
from pytensor.tensor.symbolic import TensorSymbolicOp
from pytensor.link.c.basic import CLinker
from pytensor.link.vm import VMLinker

from blocks.config import config
from blocks.compile.blas import configure_blas
from blocks.compile.jax_support import compile_jax_function, is_jax_mode
from blocks.compile.linker import ParallelCVMLinker


#: The mode Blocks compiles in when ``compile_mode`` is not configured: the
#: C VM, linked against OpenBLAS (see :mod:`blocks.compile.blas`). It is the
#: fastest CPU mode PyTensor offers here; see ``docs/compile_modes.rst`` for
#: the measurements. Without a C compiler, the Python VM.
DEFAULT_MODE = 'CVM'
FALLBACK_MODE = 'FAST_COMPILE'


def default_mode():
    """The mode used when ``config.compile_mode`` is not set."""
    return DEFAULT_MODE if pytensor.config.cxx else FALLBACK_MODE


def resolve_mode(mode=None):
    """Return the PyTensor mode a Blocks function compiles with.

    An explicit `mode` wins; otherwise :attr:`blocks.config.config.compile_mode`
    is used; when that is unset too, :func:`default_mode` (the C VM).

    """
    if mode is not None:
        return mode
    configured = config.compile_mode
    return configured if configured is not None else default_mode()


@node_rewriter([TensorSymbolicOp])
def inline_symbolic_ops(fgraph, node):
    """Replace a symbolic op (``Softmax``, ``LogSoftmax``, ...) by its graph.

    PyTensor 3 represents softmax and friends as ops holding an inner graph.
    The C VM runs such an op by calling a nested function, compiled on its
    first call; inlined, the graph is fused and compiled with the rest.

    """
    return inline_ofg_node(node)


optdb['specialize'].register('blocks_inline_symbolic_ops',
                             inline_symbolic_ops, 'blocks_cvm')


def pytensor_mode(mode):
    """The PyTensor mode that Blocks compiles with for `mode`.

    The name ``'CVM'`` stands for PyTensor's C VM as Blocks links it
    (:class:`~blocks.compile.linker.ParallelCVMLinker`): C modules missing
    from the cache compile in parallel, and views, shape bookkeeping and
    scalar-only nodes run as Python thunks instead of compiling C modules.
    The rewrites are those of PyTensor's ``CVM`` mode, plus one that inlines
    the graphs of symbolic ops such as ``Softmax`` (see
    :func:`inline_symbolic_ops`). Any other mode is returned as it is.

    >>> type(pytensor_mode('CVM').linker).__name__
    'ParallelCVMLinker'
    >>> pytensor_mode('FAST_COMPILE')
    'FAST_COMPILE'

    """
    if isinstance(mode, str) and mode.upper() == 'CVM':
        return _cvm_mode()
    return mode


@functools.lru_cache(maxsize=None)
def _cvm_mode():
    return Mode(linker=ParallelCVMLinker(),
                optimizer='fast_run').including('blocks_cvm')


def _pytensor_configured(*names):
    """Whether the user set one of PyTensor's options (flags or .pytensorrc)."""
    for name in names:
        parameter = pytensor.config._config_var_dict.get(name)
        if parameter is not None and hasattr(parameter, 'val'):
            if not parameter.is_default:
                return True
            continue
        try:
            pytensor.config.fetch_val_for_key(name)
        except KeyError:
            continue
        return True
    return False


def make_default_for_pytensor():
    """Make Blocks' compile mode PyTensor's default mode too.

    Called when :mod:`blocks` is imported, so that ``pytensor.function`` and
    ``Variable.eval`` in a Blocks script compile like Blocks' own functions
    (Theano, which Blocks was written for, compiled with its C VM by
    default; PyTensor's own default is Numba, whose first call of every new
    graph takes tens of seconds to JIT-compile). Nothing changes when
    PyTensor's ``mode`` or ``linker`` were configured by the user
    (``PYTENSOR_FLAGS`` or ``.pytensorrc``).

    """
    if _pytensor_configured('mode', 'linker'):
        return
    mode = resolve_mode()
    if uses_c_linker(mode):
        configure_blas()
    pytensor.config.mode = pytensor_mode(mode)


def compile_function(inputs, outputs=None, mode=None, **kwargs):
    r"""Compile a PyTensor function in the configured mode.

    Every function that Blocks compiles goes through here, so that the
    compile mode is one switch (:attr:`blocks.config.config.compile_mode`,
    ``BLOCKS_COMPILE_MODE``). A `mode` passed explicitly (for instance
    through ``theano_func_kwargs``) overrides it.

    A mode with a JAX linker (``'JAX'``) goes through
    :func:`blocks.compile.jax_support.compile_jax_function`, which raises an
    :class:`ImportError` saying how to install JAX when it is missing,
    and makes the graphs of Blocks (shape checks, ``arange``, random
    streams) work in it.

    Parameters
    ----------
    inputs : list of :class:`~pytensor.graph.basic.Variable`
    outputs : variable or list of variables, optional
    mode : str or :class:`pytensor.compile.mode.Mode`, optional
    \*\*kwargs
        Passed on to :func:`pytensor.function`.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x = tensor.scalar('x')
    >>> f = compile_function([x], 2 * x)
    >>> float(f(3.))
    6.0

    """
    mode = pytensor_mode(resolve_mode(mode))
    start = time.perf_counter()
    try:
        if uses_c_linker(mode):
            configure_blas()
        if is_jax_mode(mode):
            return compile_jax_function(inputs, outputs, mode=mode, **kwargs)
        return pytensor.function(inputs, outputs, mode=mode, **kwargs)
    finally:
        _compile_time[0] += time.perf_counter() - start


_compile_time = [0.]


def total_compile_time():
    """Seconds this process spent in :func:`compile_function` so far.

    The :class:`~blocks.extensions.Timing` extension logs it as
    ``time_compile_total``. It counts graph rewriting, linking and C
    compilation; the Numba and JAX modes compile more on a function's first
    call, which counts as the call's time.

    """
    return _compile_time[0]


def uses_c_linker(mode):
    """Whether a mode compiles C code (and so can use a C BLAS)."""
    try:
        linker = get_mode(mode).linker
    except Exception:
        return False
    return (isinstance(linker, CLinker) or
            (isinstance(linker, VMLinker) and linker.c_thunks))
