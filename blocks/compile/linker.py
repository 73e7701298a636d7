"""Link PyTensor functions with the C VM, compiling less and in parallel.

PyTensor's C VM compiles one C++ module per distinct operation of a graph
and caches it in its compilation directory. On a cold cache the training
function of a small MLP needs a couple of dozen of them, at about half a
second of ``g++`` each, one after the other.

:class:`ParallelCVMLinker` is the C VM with one step added before the
thunks are made: the modules missing from the cache are compiled in
parallel (:func:`blocks.compile.c_modules.precompile_c_modules`), so that the
thunks the C VM then makes find every module in the cache.

It also compiles less: a node whose C module would buy nothing runs as a
Python thunk in the C VM, exactly as PyTensor runs operations that have no C
code. These are the views and shape bookkeeping (``Shape_i``,
``DimShuffle``, ``Reshape``, ``Assert``, ``MakeVector``, basic indexing,
...) and computations on scalars only (the arithmetic on shapes that
broadcasting checks and means need), see :func:`runs_in_python`: NumPy does
their work as fast as the C code would, a Python thunk costs about a
microsecond more per call, and each module not compiled saves half a second
of ``g++`` the first time. And elementwise nodes on arrays that involve
``tanh``, ``exp``, ``log``, ... run with NumPy's vectorized functions, which
are several times faster than the C library's that PyTensor's C code calls
(:mod:`blocks.compile.numpy_elemwise`).

"""
import threading
from contextlib import contextmanager

from pytensor.compile.ops import DeepCopyOp, ViewOp
from pytensor.link.vm import VMLinker
from pytensor.raise_op import CheckAndRaise
from pytensor.scalar.basic import ScalarOp
from pytensor.tensor.basic import (ARange, MakeVector, ScalarFromTensor,
                                   TensorFromScalar)
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.shape import Reshape, Shape, Shape_i, SpecifyShape
from pytensor.tensor.subtensor import Subtensor

from blocks.compile import pytensor_internals as internals
from blocks.compile.c_modules import precompile_c_modules
from blocks.compile.numpy_elemwise import make_numpy_thunk, runs_in_numpy


class ParallelCVMLinker(VMLinker):
    r"""PyTensor's C VM linker, compiling missing C modules in parallel.

    Parameters
    ----------
    workers : int, optional
        How many compiler processes run at once; by default, one per CPU
        this process may use.
    numpy_thunks : bool, optional
        Run views, shape bookkeeping and scalar-only nodes as Python thunks
        (see :func:`runs_in_python`) and transcendental elementwise nodes
        with NumPy (see :func:`~blocks.compile.numpy_elemwise.runs_in_numpy`)
        instead of compiling C modules for them. ``True`` by default.
    \*\*kwargs
        Passed on to :class:`pytensor.link.vm.VMLinker`; ``use_cloop``
        defaults to ``True`` (the C VM).

    Examples
    --------
    >>> import pytensor
    >>> from pytensor import tensor
    >>> from pytensor.compile.mode import Mode
    >>> x = tensor.vector('x')
    >>> mode = Mode(linker=ParallelCVMLinker(), optimizer='fast_run')
    >>> f = pytensor.function([x], tensor.exp(x).sum(), mode=mode)
    >>> float(f([0., 0.]))
    2.0

    """
    def __init__(self, workers=None, numpy_thunks=True,
                 use_cloop=True, **kwargs):
        if workers is not None and (not isinstance(workers, int) or
                                    isinstance(workers, bool) or
                                    workers < 1):
            raise ValueError("workers must be a positive integer, got "
                             "{!r}".format(workers))
        self.workers = workers
        self.numpy_thunks = numpy_thunks
        super().__init__(use_cloop=use_cloop, **kwargs)

    def accept(self, fgraph, no_recycling=None, profile=None):
        linker = super().accept(fgraph, no_recycling, profile)
        # VMLinker may rebuild itself here, without knowing our arguments.
        linker.workers = self.workers
        linker.numpy_thunks = self.numpy_thunks
        return linker

    def __setstate__(self, state):
        state.setdefault('workers', None)
        state.setdefault('numpy_thunks', True)
        super().__setstate__(state)

    def make_all(self, profiler=None, input_storage=None,
                 output_storage=None, storage_map=None):
        if not self.c_thunks or not internals.fast_path_available():
            return super().make_all(profiler, input_storage, output_storage,
                                    storage_map)
        order = self.schedule(self.fgraph)
        implementations = {}
        if self.numpy_thunks:
            for node in order:
                if runs_in_python(node):
                    implementations[node] = 'py'
                elif runs_in_numpy(node):
                    implementations[node] = 'numpy'
        try:
            precompile_c_modules(
                [node for node in order if node not in implementations],
                workers=self.workers, warm_up_cvm=self.use_cloop)
        except Exception as error:  # PyTensor compiles them when linking
            internals.warn_once("Blocks could not compile the C modules "
                                "in parallel", error)
        with thunk_implementations(implementations):
            return super().make_all(profiler, input_storage, output_storage,
                                    storage_map)


#: Operations whose C code buys nothing over their Python implementation:
#: views, shape bookkeeping, and checks.
BOOKKEEPING_OPS = (Shape, Shape_i, SpecifyShape, Reshape, DimShuffle,
                   Subtensor, MakeVector, ScalarFromTensor, TensorFromScalar,
                   ARange, CheckAndRaise, DeepCopyOp, ViewOp)


def runs_in_python(node):
    """Whether :class:`ParallelCVMLinker` runs `node` as a Python thunk.

    True for the operations in :data:`BOOKKEEPING_OPS` (views and shape
    bookkeeping, which compute nothing) and for other nodes whose inputs and
    outputs are all scalars (0-d), except elementwise and scalar operations:
    PyTensor's Python implementations of those compute with NumPy's type
    rules, not the C code's (``int32 + float32`` adds in ``float64`` there,
    in ``float32`` in C). The C VM runs single ones with the NumPy thunk of
    :mod:`blocks.compile.numpy_elemwise` when that computes as the C code
    does (:func:`~blocks.compile.numpy_elemwise.runs_in_numpy`), others with
    the C code.

    >>> from pytensor import tensor
    >>> x = tensor.matrix('x')
    >>> runs_in_python(x.shape[0].owner), runs_in_python(x.T.owner)
    (True, True)
    >>> runs_in_python(tensor.exp(x).owner)
    False
    >>> n = x.shape[0]
    >>> runs_in_python((n * 2).owner), runs_in_numpy((n * 2).owner)
    (False, True)

    """
    if isinstance(node.op, BOOKKEEPING_OPS):
        return True
    if isinstance(node.op, (Elemwise, ScalarOp)):
        return False
    return all(getattr(variable.type, 'ndim', None) == 0
               for variable in node.inputs + node.outputs)


_implementations = threading.local()
_shadowed_ops = {}
_shadow_lock = threading.Lock()


class _MakeThunk(object):
    """Stands in for an op's ``make_thunk`` while a function is linked,
    making the thunks of the nodes given another implementation."""
    def __init__(self, op):
        self.op = op

    def __call__(self, node, storage_map, compute_map, no_recycling,
                 impl=None):
        chosen = getattr(_implementations, 'chosen', {}).get(node)
        if chosen == 'numpy':
            return make_numpy_thunk(node, storage_map, compute_map)
        if chosen == 'py':
            impl = 'py'
        return internals.class_make_thunk(self.op, node, storage_map,
                                          compute_map, no_recycling,
                                          impl=impl)


@contextmanager
def thunk_implementations(implementations):
    """Within the context, linking uses the given implementations.

    Parameters
    ----------
    implementations : dict
        Maps nodes to ``'py'`` (PyTensor's Python implementation) or
        ``'numpy'`` (:func:`~blocks.compile.numpy_elemwise.make_numpy_thunk`).

    Notes
    -----
    PyTensor's VM asks each node's op for a thunk, with no way to choose the
    implementation per node; so, for the duration, the ops of these nodes
    get an instance attribute ``make_thunk`` that makes the chosen thunk for
    these nodes (other nodes of the same op are unaffected). It is removed
    on exit, when no other thread still links with that op.

    """
    ops = {id(node.op): node.op for node in implementations
           if hasattr(node.op, '__dict__')}
    outer = getattr(_implementations, 'chosen', {})
    _implementations.chosen = {**outer, **implementations}
    with _shadow_lock:
        for key, op in ops.items():
            if key not in _shadowed_ops:
                _shadowed_ops[key] = [op, 0]
                internals.shadow_make_thunk(op, _MakeThunk(op))
            _shadowed_ops[key][1] += 1
    try:
        yield
    finally:
        with _shadow_lock:
            for key in ops:
                entry = _shadowed_ops[key]
                entry[1] -= 1
                if not entry[1]:
                    del _shadowed_ops[key]
                    internals.unshadow_make_thunk(entry[0])
        _implementations.chosen = outer
