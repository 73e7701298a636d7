"""The mode of the inner functions of scans built by Blocks' recurrent bricks.

:func:`pytensor.scan` compiles its inner function (one step of the loop) in
the mode the Scan op was built with; without one, PyTensor uses its own C
VM (``Mode("cvm", "fast_run")``) whatever mode compiles the outer function.
So the step of a recurrent brick missed what Blocks' C VM does for the outer
function (:class:`~blocks.compile.linker.ParallelCVMLinker`: the C modules
missing from the cache compiled in parallel, views and shape bookkeeping as
Python thunks, transcendental elementwise nodes with NumPy), and in the
fast-compiling mode of the unit tests each step was still compiled to C.

:func:`inner_mode` gives :func:`~blocks.bricks.recurrent.recurrent` the mode
for the scans it builds, from Blocks' configured ``compile_mode``: Blocks'
C VM for ``CVM`` (registered with PyTensor under the name
:data:`BLOCKS_CVM`, so that the Scan op records a name and graphs keep
pickling), ``FAST_COMPILE`` for ``FAST_COMPILE``, and PyTensor's default
otherwise (the Numba and JAX backends compile the step with the rest of the
function and ignore it).

"""
from pytensor.compile.mode import predefined_modes, register_mode

from blocks.compile import pytensor_internals as internals
from blocks.compile.compilation import pytensor_mode, resolve_mode

#: The name of Blocks' C VM mode among PyTensor's predefined modes.
BLOCKS_CVM = 'BLOCKS_CVM'


def register_blocks_cvm():
    """Register Blocks' C VM with PyTensor as :data:`BLOCKS_CVM` (once)."""
    if BLOCKS_CVM not in predefined_modes:
        register_mode(BLOCKS_CVM, pytensor_mode('CVM'))
    return BLOCKS_CVM


def inner_mode():
    """The mode for the inner function of a scan built now.

    From PyTensor 3.3 on there is none to give: the inner graph compiles in
    the mode of the function the scan is part of.

    >>> inner_mode() in (None, 'FAST_COMPILE', BLOCKS_CVM)
    True

    """
    if internals.scan_inherits_outer_mode():
        return None
    mode = resolve_mode()
    if mode == 'CVM':
        return register_blocks_cvm()
    if mode == 'FAST_COMPILE':
        return 'FAST_COMPILE'
    return None


# Unpickled graphs name the mode; it must exist before they are compiled.
register_blocks_cvm()
