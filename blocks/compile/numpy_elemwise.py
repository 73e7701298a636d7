"""Elementwise nodes computed with NumPy's vectorized transcendental functions.

PyTensor's C code for an elementwise node (fused or not) loops over the
elements and calls the C library's ``tanh``, ``exp``, ``log``, ... once per
element. NumPy computes these functions with SIMD instructions, several
times faster (``tanh`` of a 128 x 1024 float64 array: 1.5 ms in PyTensor's
C loop, 0.15 ms in NumPy on the development machines). The C VM as Blocks
links it (:class:`~blocks.compile.linker.ParallelCVMLinker`) therefore runs the
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
    >>> x = tensor.matrix('x')
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
        return _cast
    spec = getattr(op, 'nfunc_spec', None)
    if spec is None or not hasattr(numpy, spec[0]) or spec[2] != 1:
        return None
    function = getattr(numpy, spec[0])
    if not isinstance(function, numpy.ufunc):  # numpy.where, ...
        return None
    if inputs is None or len(inputs) == spec[1]:
        return function
    if spec[0] in _FOLDING and len(inputs) > spec[1]:
        return functools.partial(_fold, function)
    return None


def _cast(value, out, casting):
    numpy.copyto(out, value, casting=casting)  # `out` has the new dtype


def _fold(function, *values, out, casting):
    function(values[0], values[1], out=out, casting=casting)
    for value in values[2:]:
        function(out, value, out=out, casting=casting)
    return out


def make_numpy_thunk(node, storage_map, compute_map):
    """A thunk computing the elementwise `node` with NumPy.

    It has the interface of PyTensor's Python thunks (see
    :meth:`pytensor.graph.op.Op.make_py_thunk`). Intermediate results go to
    buffers the thunk keeps from call to call, and an output array left in
    the storage by the previous call is written over when its shape and type
    fit, as PyTensor's C code does: allocating fresh arrays of a megabyte
    on every call costs more than the computation.

    """
    op = node.op.scalar_op
    if isinstance(op, Composite):
        scalar_inputs = op.fgraph.inputs
        scalar_outputs = op.fgraph.outputs
        steps = _scalar_steps(op)
    else:
        scalar_inputs = [node.inputs[0].type.to_scalar_type()() for _ in
                         node.inputs]
        scalar_outputs = [node.outputs[0].type.to_scalar_type()()]
        steps = [(op, scalar_inputs, scalar_outputs)]
    # Every scalar variable gets a slot in `values`: inputs first, so that
    # the thunk fills slots 0..n-1; constants hold their value for good.
    slots = {variable: index for index, variable in enumerate(scalar_inputs)}
    values = [None] * len(scalar_inputs)

    def slot_of(variable):
        if variable not in slots:
            slots[variable] = len(values)
            values.append(variable.data if isinstance(
                variable, ScalarConstant) else None)
        return slots[variable]

    plan = [(_numpy_function(step_op, inputs), [slot_of(v) for v in inputs],
             slot_of(outputs[0]), outputs[0].type.dtype)
            for step_op, inputs, outputs in steps]
    buffers = {}
    input_storage = [storage_map[variable] for variable in node.inputs]
    output_storage = [storage_map[variable] for variable in node.outputs]
    outputs = [(storage, slot_of(variable), result.type.dtype)
               for storage, variable, result in zip(
                   output_storage, scalar_outputs, node.outputs)]
    output_computed = [compute_map[variable] for variable in node.outputs]
    count = len(input_storage)

    def thunk():
        for index in range(count):
            values[index] = input_storage[index][0]
        for function, references, result, dtype in plan:
            arguments = [values[reference] for reference in references]
            shape = numpy.broadcast_shapes(*map(numpy.shape, arguments))
            buffer = buffers.get(result)
            if buffer is None or buffer.shape != shape:
                buffer = buffers[result] = numpy.empty(shape, dtype)
            function(*arguments, out=buffer, casting='unsafe')
            values[result] = buffer
        shape = numpy.broadcast_shapes(
            *[numpy.shape(values[index]) for index in range(count)])
        for storage, result, dtype in outputs:
            target = storage[0]
            if (target is None or target.shape != shape or
                    target.dtype != dtype):
                target = numpy.empty(shape, dtype)
            numpy.copyto(target, values[result], casting='unsafe')
            storage[0] = target
        for computed in output_computed:
            computed[0] = True

    thunk.inputs = input_storage
    thunk.outputs = output_storage
    thunk.lazy = False
    return thunk
