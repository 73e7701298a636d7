"""The one place where Blocks compiles PyTensor functions."""
import pytensor

from blocks.config import config


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
    return pytensor.function(inputs, outputs, mode=resolve_mode(mode),
                             **kwargs)
