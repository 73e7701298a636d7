"""Elementwise nodes computed with NumPy, exactly as PyTensor's C code would.

PyTensor's C code for an elementwise node (fused or not) loops over the
elements and calls the C library's ``tanh``, ``exp``, ``log``, ... once per
element. NumPy computes these functions with SIMD instructions, several
times faster (``tanh`` of a 128 x 1024 float64 array: 1.5 ms in PyTensor's
C loop, 0.15 ms in NumPy on the development machines). The C VM as Blocks
links it (:class:`~blocks.compile.linker.ParallelCVMLinker`) therefore runs the
elementwise nodes on arrays that involve such a function with NumPy: one
ufunc call per operation of the fused graph, on whole arrays. It also runs
single (not fused) operations on scalars (0-d) this way, in place of
PyTensor's Python implementations, which compute with NumPy's type rules
rather than the C code's; fused graphs on scalars are compiled.

The C code is the reference: a node runs with NumPy only when every
operation of it is in a whitelist of (scalar operation, dtypes) that NumPy
computes as the C code does (:func:`computes_like_c`); any other node is left
to PyTensor's C code. Within the whitelist, the thunk reproduces the C code:

* each operation computes in the type C computes it in: ``exp(x)`` casts
  ``x`` to the output type first (``exp`` of ``uint8`` is ``expf`` of a
  ``float``, not NumPy's ``float16`` loop), binary operations convert their
  operands by C's usual arithmetic conversions (``int32 + float32`` adds in
  ``float32``; ``int8 + int8`` adds in ``int``; booleans add as integers),
  variadic sums and products fold from the left as ``a + b + c`` does,
  ``reciprocal`` divides ``1.0`` (a ``double``) by its operand, and the
  constants of a fused graph have the type of their C literals (a ``float32``
  constant ``0.1`` is the ``double`` 0.1 in the C code);
* ``maximum``, ``minimum``, ``switch`` and casts are written as the C
  expressions PyTensor generates (``maximum(-0., 0.)`` is ``-0.``; a NaN
  argument gives NaN);
* inputs whose length is 1 on an axis not marked broadcastable raise
  ``ValueError: Runtime broadcasting not allowed``, as ``Elemwise`` does;
* NumPy's floating-point warnings are silenced, as PyTensor's compiled
  functions are silent.

Declined (the C code runs them): integer and float ``//`` and ``%``, powers,
rounding, casts from floats to integers (undefined in C outside the integer
range), ``maximum``/``minimum`` of 64-bit unsigned integers, fused graphs in
which a floating-point product feeds a sum or difference (GCC contracts
``a * b + c`` to a fused multiply-add, which NumPy cannot reproduce), and
every operation not listed in :data:`WHITELIST`.

What remains different is the last bit or two of the transcendental
functions (``tanh``, ``exp``, ``log``, ``log1p``, ``expm1``, ``sqrt`` is
exact): NumPy's SIMD versions and the C library's round differently. The
differential test ``tests/test_default_mode_differential.py`` compares the
default mode with PyTensor's own C VM on random graphs;
``python -m tests.fuzz_default_mode --minutes N`` runs it longer.

"""
import numpy
from pytensor.scalar import basic as scalar
from pytensor.scalar.basic import Composite, ScalarConstant, ScalarOp
from pytensor.tensor.elemwise import Elemwise

#: The scalar operations NumPy computes much faster than the C library.
TRANSCENDENTAL = (scalar.Tanh, scalar.Exp, scalar.Log, scalar.Log1p,
                  scalar.Expm1)

#: The dtypes the thunk handles (no float16, no complex).
DTYPES = frozenset(('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                    'uint16', 'uint32', 'uint64', 'float32', 'float64'))
FLOATS = frozenset(('float32', 'float64'))
_SIZE = {'int32': 4, 'uint32': 4, 'int64': 8, 'uint64': 8}


def c_arithmetic_type(*dtypes):
    """The dtype C computes a binary operation on operands of `dtypes` in.

    C's usual arithmetic conversions: a ``double`` operand makes the
    operation ``double``, else a ``float`` one ``float``; integers narrower
    than ``int`` (booleans included) are promoted to ``int``, and a signed
    and an unsigned integer of the same width give the unsigned one.

    >>> c_arithmetic_type('int8', 'int8'), c_arithmetic_type('bool')
    ('int32', 'int32')
    >>> c_arithmetic_type('int32', 'uint32'), c_arithmetic_type('int64', 'float32')
    ('uint32', 'float32')

    """
    if 'float64' in dtypes:
        return 'float64'
    if 'float32' in dtypes:
        return 'float32'
    result = None
    for dtype in dtypes:
        dtype = dtype if dtype in _SIZE else 'int32'
        result = dtype if result is None else _common_integer(result, dtype)
    return result


def _common_integer(first, second):
    if first == second:
        return first
    if first.startswith('u') == second.startswith('u'):
        return first if _SIZE[first] > _SIZE[second] else second
    unsigned, signed = ((first, second) if first.startswith('u')
                        else (second, first))
    return unsigned if _SIZE[unsigned] >= _SIZE[signed] else signed


# Each step maker takes the C types of the operands and the declared dtype
# of the result, and returns ``step(arguments, out)`` writing the result
# into `out` (an array of that dtype), or None when NumPy cannot promise the
# C code's result.

def _ufunc_step(ufunc, compute, arity):
    signature = (compute,) * (arity + 1)

    def step(arguments, out):
        ufunc(*arguments, out=out, signature=signature, casting='unsafe')
    return step


def _in_output_type(ufunc):
    """``f(x)`` with ``x`` cast to the output type first, as ``exp``, ``log``,
    ``tanh``, ``sqrt`` ... do in PyTensor's C code."""
    def make(types, result):
        return _ufunc_step(ufunc, result, 1) if result in FLOATS else None
    return make


def _arithmetic(ufunc, both_discrete=None):
    """A binary operator: operands converted to C's common type."""
    def make(types, result):
        if len(types) != 2:
            return None
        if both_discrete and not (set(types) & FLOATS):
            compute = both_discrete
        else:
            compute = c_arithmetic_type(*types)
        return _ufunc_step(ufunc, compute, 2)
    return make


def _folding(ufunc):
    """``a + b + c + ...``: left to right, each addition in C's type."""
    def make(types, result):
        if len(types) < 2:
            return None
        computes = [c_arithmetic_type(*types[:2])]
        for dtype in types[2:]:
            computes.append(c_arithmetic_type(computes[-1], dtype))
        if len(computes) == 1:
            return _ufunc_step(ufunc, computes[0], 2)
        signatures = [(compute,) * 3 for compute in computes]
        if set(computes) == {result}:
            # One type throughout: fold within the output array.
            def step(arguments, out):
                ufunc(arguments[0], arguments[1], out=out,
                      signature=signatures[0], casting='unsafe')
                for argument in arguments[2:]:
                    ufunc(out, argument, out=out, signature=signatures[0],
                          casting='unsafe')
            return step

        def step(arguments, out):
            total = arguments[0]
            for argument, signature in zip(arguments[1:-1], signatures):
                total = ufunc(total, argument, signature=signature,
                              casting='unsafe')
            ufunc(total, arguments[-1], out=out, signature=signatures[-1],
                  casting='unsafe')
        return step
    return make


def _unary_arithmetic(ufunc, square=False):
    """``-x`` or ``x * x`` on the promoted operand."""
    def make(types, result):
        compute = c_arithmetic_type(types[0])
        if square:
            signature = (compute,) * 3

            def step(arguments, out):
                ufunc(arguments[0], arguments[0], out=out,
                      signature=signature, casting='unsafe')
            return step
        return _ufunc_step(ufunc, compute, 1)
    return make


def _reciprocal(types, result):
    # ``1.0 / x``: the literal is a double.
    def step(arguments, out):
        numpy.divide(1.0, arguments[0], out=out,
                     signature=('float64',) * 3, casting='unsafe')
    return step if result in FLOATS else None


def _absolute(types, result):
    if types[0] in FLOATS or not types[0].startswith(('u', 'b')):
        return _ufunc_step(numpy.absolute, c_arithmetic_type(types[0]), 1)
    return _copy(types, result)  # unsigned: ``z = x``; bool: ``x ? 1 : 0``


def _comparison(ufunc):
    def make(types, result):
        if len(types) != 2:
            return None
        compute = c_arithmetic_type(*types)
        signature = (compute, compute, 'bool')

        def step(arguments, out):
            ufunc(*arguments, out=out, signature=signature, casting='unsafe')
        return step
    return make


def _extremum(greater):
    """``maximum``/``minimum`` as PyTensor writes them in C:
    ``y > x ? y : (x >= y ? x : nan(""))`` (``<`` and ``<=`` for the
    minimum): the comparisons in C's common type of the operands, the
    chosen operand converted to ``double`` (the type of the expression)."""
    def make(types, result):
        if len(types) != 2:
            return None
        compute = c_arithmetic_type(*types)
        if compute == 'uint64':  # doubles past 2 ** 64 - 1: undefined in C
            return None
        strict, loose = ((numpy.greater, numpy.greater_equal) if greater
                         else (numpy.less, numpy.less_equal))

        def step(arguments, out):
            x, y = (numpy.asarray(argument) for argument in arguments)
            x_compute, y_compute = (value.astype(compute, copy=False)
                                    for value in (x, y))
            chosen = numpy.where(
                strict(y_compute, x_compute), y.astype('float64'),
                numpy.where(loose(x_compute, y_compute), x.astype('float64'),
                            numpy.nan))
            numpy.copyto(out, chosen, casting='unsafe')
        return step
    return make


def _switch(types, result):
    # ``cond ? a : b``: the branches converted to their common C type.
    compute = c_arithmetic_type(*types[1:])

    def step(arguments, out):
        condition, first, second = arguments
        numpy.copyto(out, numpy.where(
            numpy.asarray(condition).astype(bool, copy=False),
            numpy.asarray(first).astype(compute, copy=False),
            numpy.asarray(second).astype(compute, copy=False)),
            casting='unsafe')
    return step


def _cast(types, result):
    if types[0] in FLOATS and result not in FLOATS and result != 'bool':
        return None  # undefined in C out of range; NumPy may differ
    return _copy(types, result)


def _copy(types, result):
    def step(arguments, out):
        numpy.copyto(out, arguments[-1], casting='unsafe')
    return step


#: The scalar operations the thunk computes, each with the function that
#: makes its step for given operand types (or declines them).
WHITELIST = {
    scalar.Tanh: _in_output_type(numpy.tanh),
    scalar.Exp: _in_output_type(numpy.exp),
    scalar.Log: _in_output_type(numpy.log),
    scalar.Log1p: _in_output_type(numpy.log1p),
    scalar.Expm1: _in_output_type(numpy.expm1),
    scalar.Sqrt: _in_output_type(numpy.sqrt),
    scalar.Reciprocal: _reciprocal,
    scalar.Add: _folding(numpy.add),
    scalar.Mul: _folding(numpy.multiply),
    scalar.Sub: _arithmetic(numpy.subtract),
    scalar.TrueDiv: _arithmetic(numpy.true_divide, both_discrete='float64'),
    scalar.Neg: _unary_arithmetic(numpy.negative),
    scalar.Sqr: _unary_arithmetic(numpy.multiply, square=True),
    scalar.Abs: _absolute,
    scalar.LT: _comparison(numpy.less),
    scalar.GT: _comparison(numpy.greater),
    scalar.LE: _comparison(numpy.less_equal),
    scalar.GE: _comparison(numpy.greater_equal),
    scalar.EQ: _comparison(numpy.equal),
    scalar.NEQ: _comparison(numpy.not_equal),
    scalar.Maximum: _extremum(greater=True),
    scalar.Minimum: _extremum(greater=False),
    scalar.Switch: _switch,
    scalar.Cast: _cast,
    scalar.Identity: _copy,
    scalar.Second: _copy,
}

_PRODUCTS = (scalar.Mul, scalar.Sqr)
_SUMS = (scalar.Add, scalar.Sub)


def _literal(constant):
    """The value and C type of a constant as PyTensor writes it in C.

    Floats are written with :func:`str`, a ``double`` literal (infinities and
    NaN as ``INFINITY`` and ``NAN``, of type ``float``); integers and
    booleans are ``int`` literals, or ``long`` when they need 64 bits.
    ``None`` for what has no such literal.

    """
    data, dtype = constant.data, constant.type.dtype
    if dtype in FLOATS:
        if not numpy.isfinite(data):
            return numpy.float32(data), 'float32'
        return numpy.float64(float(str(data))), 'float64'
    magnitude = abs(int(data))
    if magnitude < 2 ** 31:
        return numpy.int32(int(data)), 'int32'
    if magnitude < 2 ** 63:
        return numpy.int64(int(data)), 'int64'
    return None


class _Plan(object):
    """How to compute a scalar operation (fused or not) with NumPy.

    ``steps`` holds ``(step, input slots, output slot, dtype)``; slots
    ``0 .. n-1`` are the node's inputs, then come the constants
    (``constants`` maps slots to values) and the intermediate results.
    ``outputs`` are the slots of the outputs.

    """
    def __init__(self, steps, constants, outputs, transcendental):
        self.steps = steps
        self.constants = constants
        self.outputs = outputs
        self.transcendental = transcendental


def _scaling(op, operands, constants, slots):
    """Whether `op` multiplies by a constant power of two: exact (but for
    subnormal results), so that a fused multiply-add rounds the same."""
    if not isinstance(op, scalar.Mul) or len(operands) != 2:
        return False
    for operand in operands:
        value = constants.get(slots[operand])
        if value is not None and numpy.isfinite(value) and value != 0:
            if numpy.frexp(value)[0] in (0.5, -0.5):
                return True
    return False


def plan(scalar_op, input_dtypes, output_dtypes):
    """The :class:`_Plan` computing `scalar_op` like the C code, or None.

    None when one of its operations, on the dtypes it gets, is not in the
    whitelist (see :func:`computes_like_c`).

    """
    if not set(input_dtypes) | set(output_dtypes) <= DTYPES:
        return None
    if isinstance(scalar_op, Composite):
        inputs = scalar_op.fgraph.inputs
        outputs = scalar_op.fgraph.outputs
        nodes = [(node.op, node.inputs, node.outputs[0])
                 for node in scalar_op.fgraph.toposort()]
        if any(len(node.outputs) != 1
               for node in scalar_op.fgraph.toposort()):
            return None
    else:
        inputs = [scalar.get_scalar_type(dtype)() for dtype in input_dtypes]
        if len(output_dtypes) != 1:
            return None
        outputs = [scalar.get_scalar_type(output_dtypes[0])()]
        nodes = [(scalar_op, inputs, outputs[0])]
    slots = {variable: index for index, variable in enumerate(inputs)}
    types = list(input_dtypes)
    constants = {}
    products = set()
    steps = []
    for op, operands, result in nodes:
        for operand in operands:
            if operand not in slots:
                if not isinstance(operand, ScalarConstant):
                    return None
                literal = _literal(operand)
                if literal is None:
                    return None
                slots[operand] = len(types)
                constants[len(types)] = literal[0]
                types.append(literal[1])
        maker = WHITELIST.get(type(op))
        if maker is None or result.type.dtype not in DTYPES:
            return None
        operand_types = [types[slots[operand]] for operand in operands]
        step = maker(operand_types, result.type.dtype)
        if step is None:
            return None
        floating = c_arithmetic_type(*operand_types) in FLOATS
        if floating and isinstance(op, _SUMS) and products & set(operands):
            return None  # GCC would fuse the multiply-add
        if floating and (isinstance(op, _PRODUCTS) or (
                isinstance(op, scalar.Neg) and products & set(operands))):
            if not _scaling(op, operands, constants, slots):
                products.add(result)
        slots[result] = len(types)
        types.append(result.type.dtype)
        steps.append((step, [slots[operand] for operand in operands],
                      slots[result], result.type.dtype))
    for output in outputs:
        if output not in slots:
            return None
    transcendental = any(isinstance(op, TRANSCENDENTAL)
                         for op, _, _ in nodes)
    return _Plan(steps, constants, [slots[output] for output in outputs],
                 transcendental)


def _node_plan(node):
    if isinstance(node.op, Elemwise):
        scalar_op = node.op.scalar_op
    elif isinstance(node.op, ScalarOp):
        scalar_op = node.op
    else:
        return None
    return plan(scalar_op, [variable.type.dtype for variable in node.inputs],
                [variable.type.dtype for variable in node.outputs])


def _all_scalars(node):
    return all(getattr(variable.type, 'ndim', None) == 0
               for variable in node.inputs + node.outputs)


def computes_like_c(node):
    """Whether NumPy computes the elementwise or scalar `node` exactly as
    PyTensor's C code, but for the last bits of transcendental functions.

    True when every scalar operation of the node (fused or not), on the
    dtypes it gets, is in :data:`WHITELIST` and accepted there.

    >>> from pytensor import tensor
    >>> x, n = tensor.matrix('x'), tensor.imatrix('n')
    >>> computes_like_c(tensor.exp(n).owner)
    True
    >>> computes_like_c((x // 2).owner), computes_like_c((n ** n).owner)
    (False, False)

    """
    return _node_plan(node) is not None


def runs_in_numpy(node):
    """Whether the C VM as Blocks links it runs `node` with NumPy.

    True for :class:`~pytensor.tensor.elemwise.Elemwise` nodes whose scalar
    operation (fused or not) involves one of :data:`TRANSCENDENTAL`, and for
    single (not fused) elementwise and scalar operations on scalars (0-d),
    provided that :func:`computes_like_c` holds.

    >>> from pytensor import tensor
    >>> x = tensor.matrix('x')
    >>> runs_in_numpy(tensor.tanh(x).owner)
    True
    >>> runs_in_numpy((x * 2).owner), runs_in_numpy((x.shape[0] * 2).owner)
    (False, True)

    """
    if not isinstance(node.op, (Elemwise, ScalarOp)):
        return False
    node_plan = _node_plan(node)
    if node_plan is None:
        return False
    if node_plan.transcendental:
        return True
    # One operation on scalars costs NumPy about what PyTensor's Python
    # implementation costs (microseconds); a fused graph of several costs
    # ten times what its C code costs per call, so it is compiled.
    return _all_scalars(node) and len(node_plan.steps) == 1


def runtime_shape(values, broadcastable):
    """The shape of an elementwise node's outputs for input `values`.

    Raises the :class:`ValueError` ``Elemwise`` raises when an input has
    length 1 on an axis not marked broadcastable while another input is
    longer (or empty) there, or when the lengths differ otherwise.

    """
    shape = []
    for axis, lengths in enumerate(zip(*[value.shape for value in values])):
        length = 1
        for size in lengths:
            if size != 1:
                if length != 1 and size != length:
                    raise ValueError(
                        "Input dimension mismatch: lengths {} on axis "
                        "{}".format(lengths, axis))
                length = size
        if length != 1:
            for size, pattern in zip(lengths, broadcastable):
                if size == 1 and not pattern[axis]:
                    raise ValueError(
                        "Runtime broadcasting not allowed. One input had a "
                        "distinct dimension length of 1, but was not marked "
                        "as broadcastable: lengths {} on axis {}. If "
                        "broadcasting was intended, use "
                        "`specify_broadcastable` on the relevant "
                        "input.".format(lengths, axis))
        shape.append(length)
    return tuple(shape)


def make_numpy_thunk(node, storage_map, compute_map):
    """A thunk computing the elementwise or scalar `node` with NumPy.

    It has the interface of PyTensor's Python thunks (see
    :meth:`pytensor.graph.op.Op.make_py_thunk`). Intermediate results go to
    buffers the thunk keeps from call to call, and an output array left in
    the storage by the previous call is written over when its shape and type
    fit, as PyTensor's C code does: allocating fresh arrays of a megabyte
    on every call costs more than the computation.

    """
    node_plan = _node_plan(node)
    if node_plan is None:
        raise ValueError("NumPy cannot compute {} as the C code does (see "
                         "computes_like_c)".format(node))
    tensors = isinstance(node.op, Elemwise)
    broadcastable = [getattr(variable.type, 'broadcastable', ())
                     for variable in node.inputs]
    input_storage = [storage_map[variable] for variable in node.inputs]
    output_storage = [storage_map[variable] for variable in node.outputs]
    output_computed = [compute_map[variable] for variable in node.outputs]
    count = len(input_storage)
    values = [None] * (count + len(node_plan.constants) +
                       len(node_plan.steps))
    for slot, value in node_plan.constants.items():
        values[slot] = value
    # A step whose result is an output writes into the output's array.
    output_of = {}
    for index, slot in enumerate(node_plan.outputs):
        output_of.setdefault(slot, index)
    steps = [(step, references, result, dtype, output_of.get(result))
             for step, references, result, dtype in node_plan.steps]
    copies = [(index, slot) for index, slot in enumerate(node_plan.outputs)
              if output_of.get(slot) != index or
              not any(result == slot for _, _, result, _, _ in steps)]
    dtypes = [variable.type.dtype for variable in node.outputs]
    buffers = {}

    def thunk():
        for index in range(count):
            values[index] = input_storage[index][0]
        if tensors:
            shape = runtime_shape(values[:count], broadcastable)
        else:
            shape = ()
        with numpy.errstate(all='ignore'):
            for step, references, result, dtype, output in steps:
                if output is not None and tensors:
                    buffer = output_storage[output][0]
                    if (buffer is None or buffer.shape != shape or
                            buffer.dtype != dtype):
                        buffer = numpy.empty(shape, dtype)
                    output_storage[output][0] = buffer
                else:
                    buffer = buffers.get(result)
                    if buffer is None or buffer.shape != shape:
                        buffer = buffers[result] = numpy.empty(shape, dtype)
                step([values[reference] for reference in references],
                     buffer)
                values[result] = buffer
            for index, slot in copies:
                target = numpy.empty(shape, dtypes[index])
                numpy.copyto(target, values[slot], casting='unsafe')
                output_storage[index][0] = target
        if not tensors:
            for index, slot in enumerate(node_plan.outputs):
                output_storage[index][0] = values[slot][()]
        for computed in output_computed:
            computed[0] = True

    thunk.inputs = input_storage
    thunk.outputs = output_storage
    thunk.lazy = False
    return thunk
