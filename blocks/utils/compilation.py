"""The one place where Blocks compiles PyTensor functions."""
import pytensor
from pytensor.compile.mode import get_mode
from pytensor.link.c.basic import CLinker
from pytensor.link.vm import VMLinker

from blocks.config import config
from blocks.utils.blas import configure_blas


def resolve_mode(mode=None):
    """Return the PyTensor mode a Blocks function compiles with.

    An explicit `mode` wins; otherwise :attr:`blocks.config.config.compile_mode`
    is used; when that is unset too, PyTensor's own default
    (``pytensor.config.mode``).

    """
    if mode is not None:
        return mode
    configured = config.compile_mode
    return configured if configured is not None else pytensor.config.mode


def compile_function(inputs, outputs=None, mode=None, **kwargs):
    r"""Compile a PyTensor function in the configured mode.

    Every function that Blocks compiles goes through here, so that the
    compile mode is one switch (:attr:`blocks.config.config.compile_mode`,
    ``BLOCKS_COMPILE_MODE``). A `mode` passed explicitly (for instance
    through ``theano_func_kwargs``) overrides it.

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
    mode = resolve_mode(mode)
    if uses_c_linker(mode):
        configure_blas()
    return pytensor.function(inputs, outputs, mode=mode, **kwargs)


def uses_c_linker(mode):
    """Whether a mode compiles C code (and so can use a C BLAS)."""
    try:
        linker = get_mode(mode).linker
    except Exception:
        return False
    return (isinstance(linker, CLinker) or
            (isinstance(linker, VMLinker) and linker.c_thunks))
