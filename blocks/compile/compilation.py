"""The one place where Blocks compiles PyTensor functions.

:func:`compile_function` applies the configured mode (see
:func:`resolve_mode`, which accepts PyTensor's mode names in any case) and
says, on the ``blocks.compile.compilation`` logger, what it compiles and
how long it took when the caller names the function.

Importing this module does no work beyond defining things: the rewrite
that inlines symbolic ops is registered in PyTensor's rewrite database the
first time the ``CVM`` mode is built (once per process), and the BLAS
trampoline (:mod:`blocks.compile.blas`) is built the first time a function
is rewritten in a C-linker mode.

"""
import functools
import logging
import time

import pytensor
from pytensor.compile.mode import Mode, get_mode
from pytensor.graph.rewriting.basic import node_rewriter
from pytensor.link.c.basic import CLinker
from pytensor.link.vm import VMLinker

from blocks.config import ConfigurationError, config
from blocks.compile import pytensor_internals as internals
from blocks.compile.blas import configure_blas
from blocks.compile.jax_support import compile_jax_function, is_jax_mode
from blocks.compile.linker import ParallelCVMLinker

logger = logging.getLogger(__name__)


#: The mode Blocks compiles in when ``compile_mode`` is not configured: the
#: C VM, linked against OpenBLAS (see :mod:`blocks.compile.blas`). It is the
#: fastest CPU mode PyTensor offers here; see ``docs/compile_modes.rst`` for
#: the measurements. Without a C compiler, the Python VM.
DEFAULT_MODE = 'CVM'
FALLBACK_MODE = 'FAST_COMPILE'


def default_mode():
    """The mode used when ``config.compile_mode`` is not set."""
    return DEFAULT_MODE if pytensor.config.cxx else FALLBACK_MODE


#: PyTensor's mode names besides its ``predefined_modes``, as its
#: ``config.mode`` spells them.
_OTHER_MODE_NAMES = ('FAST_RUN', 'DebugMode', 'DEBUG_MODE', 'NanGuardMode')


def mode_names():
    """The mode names Blocks accepts (in any case), as PyTensor spells them.

    >>> 'CVM' in mode_names() and 'FAST_RUN' in mode_names()
    True

    """
    from pytensor.compile.mode import predefined_modes
    names = list(predefined_modes) + list(_OTHER_MODE_NAMES)
    return sorted(set(names), key=lambda name: name.upper())


def canonical_mode_name(name):
    """PyTensor's spelling of the mode `name` (any case), or ``None``.

    >>> canonical_mode_name('fast_run'), canonical_mode_name('cvm')
    ('FAST_RUN', 'CVM')
    >>> canonical_mode_name('nanguardmode'), canonical_mode_name('fast')
    ('NanGuardMode', None)

    """
    if not isinstance(name, str):
        return None
    wanted = name.strip().upper()
    for known in mode_names():
        if known.upper() == wanted:
            return known
    return None


def _invalid_mode(value, where):
    return ("invalid compile mode {!r} ({}); expected a Mode or one of "
            "PyTensor's mode names, in any case: {}".format(
                value, where, ', '.join(mode_names())))


def _configured_mode_source():
    try:
        return config._lookup('compile_mode')[1]
    except Exception:  # the configuration's bookkeeping changed
        return 'the configuration'


def resolve_mode(mode=None):
    """Return the PyTensor mode a Blocks function compiles with.

    An explicit `mode` wins; otherwise :attr:`blocks.config.config.compile_mode`
    is used; when that is unset too, :func:`default_mode` (the C VM). A
    name is accepted in any case and returned as PyTensor spells it.

    Raises
    ------
    ValueError
        If `mode` is a string that names no PyTensor mode.
    blocks.config.ConfigurationError
        If the configured ``compile_mode`` names no PyTensor mode; the
        message names the option, where the value came from (the
        environment variable ``BLOCKS_COMPILE_MODE``, the configuration
        file, or Python) and the accepted names.

    Examples
    --------
    >>> resolve_mode('numba')
    'NUMBA'
    >>> resolve_mode('fastrun')
    Traceback (most recent call last):
      ...
    ValueError: invalid compile mode 'fastrun' (the mode argument, e.g. of theano_func_kwargs); ...

    """
    if mode is not None:
        if not isinstance(mode, str):
            return mode
        canonical = canonical_mode_name(mode)
        if canonical is None:
            raise ValueError(_invalid_mode(
                mode, 'the mode argument, e.g. of theano_func_kwargs'))
        return canonical
    configured = config.compile_mode
    if configured is None:
        return default_mode()
    canonical = canonical_mode_name(configured)
    if canonical is None:
        raise ConfigurationError(_invalid_mode(
            configured, 'the configuration option compile_mode, from {}'.format(
                _configured_mode_source())))
    return canonical


def inline_symbolic_ops(fgraph, node):
    """Replace a symbolic op (``Softmax``, ``LogSoftmax``, ...) by its graph.

    PyTensor 3 represents softmax and friends as ops holding an inner graph.
    The C VM runs such an op by calling a nested function, compiled on its
    first call; inlined, the graph is fused and compiled with the rest.

    """
    return internals.inline_ofg_node(node)


def _register_rewrites():
    """Register Blocks' rewrites in PyTensor's database (idempotent).

    They carry the tag ``blocks_cvm``, which only Blocks' ``CVM`` mode
    includes, so other modes are unaffected.

    """
    # A convolution and its filter gradient share one im2col.
    from blocks.ops.conv import Conv2dGradWeights
    from blocks.ops.conv_columns import share_columns
    internals.register_rewrite(
        'specialize', 'blocks_share_conv_columns',
        node_rewriter([Conv2dGradWeights])(share_columns), 'blocks_cvm')
    if internals.TensorSymbolicOp is None or \
            internals.inline_ofg_node is None:
        return False
    rewrite = node_rewriter([internals.TensorSymbolicOp])(inline_symbolic_ops)
    internals.register_rewrite('specialize', 'blocks_inline_symbolic_ops',
                               rewrite, 'blocks_cvm')
    return True


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


class BlocksCVMMode(Mode):
    """PyTensor's mode, setting up the C BLAS before its first rewrite.

    PyTensor's BLAS rewrites read ``blas__ldflags``, so it must be set
    before a graph is rewritten; :func:`~blocks.compile.blas.configure_blas`
    (building the trampoline library once per compile directory) runs the
    first time this mode rewrites a graph, not when Blocks is imported.

    """
    @property
    def optimizer(self):
        configure_blas()
        return super().optimizer


@functools.lru_cache(maxsize=None)
def _cvm_mode():
    # On a PyTensor version the internals were not checked with, the C VM
    # exactly as PyTensor links it.
    if internals.fast_path_available() and _register_rewrites():
        mode = BlocksCVMMode(linker=ParallelCVMLinker(), optimizer='fast_run')
        return mode.including('blocks_cvm')
    return BlocksCVMMode(linker='cvm', optimizer='fast_run')


_made_default = []


def make_default_for_pytensor():
    """Make Blocks' compile mode PyTensor's default mode too.

    Called when :mod:`blocks` is imported, so that ``pytensor.function`` and
    ``Variable.eval`` in a Blocks script compile like Blocks' own functions
    (Theano, which Blocks was written for, compiled with its C VM by
    default; PyTensor's own default is Numba, whose first call of every new
    graph takes tens of seconds to JIT-compile). Nothing changes when
    PyTensor's ``mode`` or ``linker`` were configured by the user
    (``PYTENSOR_FLAGS`` or ``.pytensorrc``), nor when the configured
    ``compile_mode`` is not a mode name (:func:`compile_function` raises
    the error then). It compiles nothing: the C BLAS is set up by the first
    compilation that needs it (:class:`BlocksCVMMode`).

    Only the first call does anything, so that a later change of
    ``pytensor.config.mode`` by the user is never undone.

    Returns
    -------
    bool
        Whether PyTensor's default mode was set (on the first call).

    """
    if _made_default:
        return False
    _made_default.append(True)
    if internals.user_configured('mode') or \
            internals.user_configured('linker'):
        return False
    try:
        mode = resolve_mode()
    except ConfigurationError:
        return False
    pytensor.config.mode = pytensor_mode(mode)
    return True


def compile_function(inputs, outputs=None, mode=None, description=None,
                     **kwargs):
    r"""Compile a PyTensor function in the configured mode.

    Every function that Blocks compiles goes through here, so that the
    compile mode is one switch (:attr:`blocks.config.config.compile_mode`,
    ``BLOCKS_COMPILE_MODE``). A `mode` passed explicitly (for instance
    through ``theano_func_kwargs``) overrides it. With a `description`,
    one line on the ``blocks.compile.compilation`` logger (level ``INFO``)
    says what is compiled and how long it took
    (``Compiling the training function... 4.5 s``).

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
        A mode name is accepted in any case (see :func:`resolve_mode`).
    description : str, optional
        What is compiled, for the log (``'the training function'``).
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
    if description:
        logger.info("Compiling %s...", description,
                    extra={'blocks_line': 'open'})
    start = time.perf_counter()
    outcome = 'failed after '
    try:
        if uses_c_linker(mode):
            configure_blas()
        if is_jax_mode(mode):
            function = compile_jax_function(inputs, outputs, mode=mode,
                                            **kwargs)
        else:
            function = pytensor.function(inputs, outputs, mode=mode,
                                         **kwargs)
        outcome = ''
        return function
    finally:
        elapsed = time.perf_counter() - start
        _compile_time[0] += elapsed
        if description:
            logger.info("Compiling %s... %s%.1f s", description, outcome,
                        elapsed, extra={'blocks_line': 'close'})


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
