"""Elementwise nodes computed with NumPy's vectorized transcendental functions.

PyTensor's C code for an elementwise node (fused or not) loops over the
elements and calls the C library's ``tanh``, ``exp``, ``log``, ... once per
element. NumPy computes these functions with SIMD instructions, several
times faster (``tanh`` of a 128 x 1024 float64 array: 1.5 ms in PyTensor's
C loop, 0.15 ms in NumPy on the development machines). The C VM as Blocks
links it (:class:`~blocks.utils.linker.ParallelCVMLinker`) therefore runs the
elementwise nodes on arrays that involve such a function with NumPy: one
ufunc call per operation of the fused graph, on whole arrays.

The results agree with the C code's to the last bit or two (the two
compute these functions with different algorithms).

"""
import functools

import numpy
from pytensor.scalar import basic as scalar
from pytensor.scalar.basic import Cast, Composite, ScalarConstant
from pytensor.tensor.elemwise import Elemwise

#: The scalar operations NumPy computes much faster than the C library.
TRANSCENDENTAL = (scalar.Tanh, scalar.Exp, scalar.Log, scalar.Log1p,
                  scalar.Expm1)

#: Operations of any arity that fold over their inputs.
_FOLDING = ('add', 'multiply', 'maximum', 'minimum')


def runs_in_numpy(node):
    """Whether `node` is an elementwise node NumPy computes faster.

    True for :class:`~pytensor.tensor.elemwise.Elemwise` nodes on arrays
    whose scalar operation (fused or not) involves one of
    :data:`TRANSCENDENTAL` and is made of operations that NumPy has ufuncs
    for.

    >>> from pytensor import tensor
    >>> x, b = tensor.matrix('x'), tensor.vector('b')
    >>> runs_in_numpy(tensor.tanh(x).owner)
    True
    >>> runs_in_numpy((x * 2).owner)
    False

    """
    if not isinstance(node.op, Elemwise):
        return False
    if all(output.type.ndim == 0 for output in node.outputs):
        return False
    steps = _scalar_steps(node.op.scalar_op)
    return (steps is not None and
            any(isinstance(op, TRANSCENDENTAL) for op, _, _ in steps))


def _scalar_steps(scalar_op):
    """The scalar operations of `scalar_op` in order, as ``(op, inputs,
    outputs)``; ``None`` if one of them has no NumPy equivalent."""
    if isinstance(scalar_op, Composite):
        nodes = scalar_op.fgraph.toposort()
        steps = [(node.op, node.inputs, node.outputs) for node in nodes]
    else:
        steps = [(scalar_op, None, None)]
    for op, inputs, _ in steps:
        if _numpy_function(op, inputs) is None:
            return None
    return steps


def _numpy_function(op, inputs):
    """A function of arrays computing `op`, or ``None``."""
    if isinstance(op, Cast):
        return functools.partial(_cast, dtype=op.o_type.dtype)
    spec = getattr(op, 'nfunc_spec', None)
    if spec is None or not hasattr(numpy, spec[0]) or spec[2] != 1:
        return None
    function = getattr(numpy, spec[0])
    if inputs is None or len(inputs) == spec[1]:
        return function
    if spec[0] in _FOLDING and len(inputs) > spec[1]:
        return functools.partial(_fold, function)
    return None


def _cast(value, dtype):
    return numpy.asarray(value).astype(dtype, copy=False)


def _fold(function, *values):
    return functools.reduce(function, values)


def make_numpy_thunk(node, storage_map, compute_map):
    """A thunk computing the elementwise `node` with NumPy.

    It has the interface of PyTensor's Python thunks (see
    :meth:`pytensor.graph.op.Op.make_py_thunk`).

    """
    op = node.op.scalar_op
    if isinstance(op, Composite):
        scalar_inputs = op.fgraph.inputs
        scalar_outputs = op.fgraph.outputs
        steps = [(_numpy_function(step_op, inputs), inputs, outputs[0])
                 for step_op, inputs, outputs in _scalar_steps(op)]
    else:
        scalar_inputs = list(range(len(node.inputs)))
        scalar_outputs = ['output']
        steps = [(_numpy_function(op, None), scalar_inputs, 'output')]
    input_storage = [storage_map[variable] for variable in node.inputs]
    output_storage = [storage_map[variable] for variable in node.outputs]
    output_dtypes = [variable.type.dtype for variable in node.outputs]
    output_computed = [compute_map[variable] for variable in node.outputs]

    def thunk():
        arrays = [storage[0] for storage in input_storage]
        values = dict(zip(scalar_inputs, arrays))

        def value_of(variable):
            if isinstance(variable, ScalarConstant):
                return variable.data
            return values[variable]

        for function, inputs, output in steps:
            values[output] = function(*map(value_of, inputs))
        shape = numpy.broadcast_shapes(*[array.shape for array in arrays])
        for storage, variable, dtype in zip(output_storage, scalar_outputs,
                                            output_dtypes):
            value = numpy.asarray(value_of(variable), dtype=dtype)
            if value.shape != shape:
                value = numpy.broadcast_to(value, shape)
            if value.base is not None or any(value is array
                                             for array in arrays):
                value = value.copy()
            storage[0] = value
        for computed in output_computed:
            computed[0] = True

    thunk.inputs = input_storage
    thunk.outputs = output_storage
    thunk.lazy = False
    return thunk
