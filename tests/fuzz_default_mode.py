"""Differential fuzzing: the default mode against PyTensor's own C VM.

Blocks' default mode (``CVM``: :class:`~blocks.compile.linker.ParallelCVMLinker`)
computes some nodes with NumPy instead of PyTensor's C code (elementwise
nodes with transcendental functions, scalar arithmetic; see
:mod:`blocks.compile.numpy_elemwise`), runs views and shape bookkeeping as
Python thunks, and inlines ``Softmax``. This module builds random graphs
from a seed and compares, call by call, the default mode with PyTensor's C
VM (``Mode(linker=VMLinker(use_cloop=True), optimizer='fast_run')``):

* graphs: 1-3 inputs of dtypes ``bool``, ``int8`` to ``int64``, ``uint8``,
  ``float32``, ``float64``, of 0 to 3 dimensions with random broadcastable
  patterns; elementwise operations (transcendental, arithmetic, comparisons,
  ``switch``, casts, variadic sums and products, and operations the default
  mode leaves to C such as ``//``, ``%`` and ``**``), constants (``0.1``,
  infinities, NaN, ``-0.``), reductions, reversals, reshapes and arithmetic
  on shapes (``x * x.shape[-1]``, means), one to three outputs;
* calls: three per graph, with changing shapes (empty axes and 0-d inputs
  included), non-contiguous and reversed inputs, special values, and now and
  then an input of length 1 on an axis not marked broadcastable;
* checks: the same exception type (or none), the same warnings, and for each
  output the same dtype, shape, NaN and infinity positions, and values; no
  input modified, and no output of an earlier call overwritten.

Values must agree exactly unless they depend on a transcendental function
(``tanh``, ``exp``, ``log``, ``log1p``, ``expm1``), whose NumPy and C-library
versions differ in the last bits (measured on the development machine: at
most 3 units in the last place in float32, 2 in float64). For those, each
element gets a bound propagated through the graph (:func:`error_bounds`):
every transcendental may differ by :data:`ULPS` units in the last place of
its result, and every later floating-point operation may add as much again;
the difference propagates with the derivative of each operation (a
division by a value near zero, a comparison of values within the bound, a
cast to integer across an integer: that element is not compared).

The test suite runs a fixed-seed subset
(``tests/test_default_mode_differential.py``); a longer run::

    python -m tests.fuzz_default_mode --minutes 10 [--seed N] [--calls 3]

prints the number of graphs, calls and compared elements, and every
mismatch with the seed that reproduces it (``--seed N --graphs 1``).

"""
import argparse
import time
import warnings

import numpy
import pytensor
from pytensor import tensor
from pytensor.compile.mode import Mode
from pytensor.link.vm import VMLinker

from blocks.compile.compilation import compile_function
from blocks.compile.numpy_elemwise import runs_in_numpy

DTYPES = ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'float32',
          'float64')
DTYPE_WEIGHTS = (0.08, 0.06, 0.04, 0.1, 0.1, 0.07, 0.25, 0.3)
#: Units in the last place a transcendental function may differ by, and
#: every floating-point operation after one.
ULPS = 4
TRANSCENDENTAL = ('tanh', 'exp', 'log', 'log1p', 'expm1')
UNARY = TRANSCENDENTAL + ('sqrt', 'neg', 'abs', 'sqr', 'reciprocal', 'cast')
BINARY = ('add', 'sub', 'mul', 'true_div', 'maximum', 'minimum', 'lt', 'gt',
          'le', 'ge', 'eq', 'neq', 'int_div', 'mod', 'pow')
OTHER = ('switch', 'add3', 'mul3', 'sum', 'max', 'reverse', 'reshape',
         'times_length', 'mean')


def reference_mode():
    """PyTensor's own C VM, the reference of the default mode."""
    return Mode(linker=VMLinker(use_cloop=True), optimizer='fast_run')


class Expression(object):
    """A node of a generated graph: its operation, children and variable."""
    def __init__(self, name, children, variable, parameter=None):
        self.name = name
        self.children = children
        self.variable = variable
        self.parameter = parameter


def _build(name, children, parameter):
    values = [child.variable for child in children]
    if name in ('tanh', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'sqr',
                'reciprocal', 'maximum', 'minimum', 'lt', 'gt', 'le', 'ge',
                'eq', 'neq', 'switch'):
        return getattr(tensor, name)(*values)
    if name == 'neg':
        return -values[0]
    if name == 'abs':
        return abs(values[0])
    if name == 'cast':
        return tensor.cast(values[0], parameter)
    if name in ('add', 'add3'):
        return tensor.add(*values)
    if name in ('mul', 'mul3'):
        return tensor.mul(*values)
    if name == 'sub':
        return values[0] - values[1]
    if name == 'true_div':
        return tensor.true_div(*values)
    if name == 'int_div':
        return values[0] // values[1]
    if name == 'mod':
        return values[0] % values[1]
    if name == 'pow':
        return values[0] ** values[1]
    axis = parameter
    if name == 'sum':
        return values[0].sum(axis=axis, keepdims=True)
    if name == 'max':
        return values[0].max(axis=axis, keepdims=True)
    if name == 'mean':
        return values[0].mean(axis=axis, keepdims=True)
    if name == 'reverse':
        return values[0][(slice(None),) * axis + (slice(None, None, -1),)]
    if name == 'reshape':
        return values[0].flatten().reshape(values[0].shape,
                                           ndim=values[0].ndim)
    if name == 'times_length':
        return values[0] * values[0].shape[axis]
    raise ValueError(name)


class GraphGenerator(object):
    """Random graphs and input values, from a :class:`numpy.random.Generator`."""
    def __init__(self, rng):
        self.rng = rng

    def choice(self, options, weights=None):
        if weights is not None:
            weights = numpy.asarray(weights, dtype=float)
            weights = weights / weights.sum()
        return options[self.rng.choice(len(options), p=weights)]

    def graph(self):
        """Inputs, outputs and all expressions of a new random graph."""
        self.ndim = self.choice((0, 1, 2, 3), (0.1, 0.3, 0.45, 0.15))
        self.inputs = []
        for index in range(self.rng.integers(1, 4)):
            ndim = self.rng.integers(0, self.ndim + 1)
            if self.rng.random() < 0.6:
                ndim = self.ndim
            pattern = tuple(bool(self.rng.random() < 0.25)
                            for _ in range(ndim))
            dtype = self.choice(DTYPES, DTYPE_WEIGHTS)
            variable = tensor.tensor(dtype=dtype, shape=tuple(
                1 if broadcast else None for broadcast in pattern),
                name='x{}'.format(index))
            self.inputs.append(Expression('input', [], variable))
        self.expressions = []
        root = self.expression(int(self.rng.integers(2, 6)))
        candidates = [e for e in self.expressions if e.name != 'input']
        outputs = [root]
        for _ in range(self.rng.integers(0, 3)):
            if candidates:
                chosen = candidates[self.rng.integers(len(candidates))]
                if chosen not in outputs:
                    outputs.append(chosen)
        if self.rng.random() < 0.5:
            # Fused with the root: the whole root runs in one node with a
            # transcendental function, which the NumPy thunk takes.
            name = self.choice(TRANSCENDENTAL)
            outputs.append(Expression(name, [root], _build(name, [root],
                                                           None)))
        if self.rng.random() < 0.05:
            outputs.append(self.inputs[0])
        return self.inputs, outputs

    def leaf(self):
        if self.rng.random() < 0.8:
            return self.inputs[self.rng.integers(len(self.inputs))]
        dtype = self.choice(DTYPES, DTYPE_WEIGHTS)
        if dtype.startswith('float'):
            value = self.choice((0.1, 0.5, 2., -1., 1e-3, 3.7, -0., numpy.inf,
                                 -numpy.inf, numpy.nan, 1e30),
                                (3, 3, 3, 3, 2, 2, 1, 0.5, 0.5, 0.5, 0.5))
        elif dtype == 'bool':
            value = bool(self.rng.random() < 0.5)
        else:
            value = self.choice((0, 1, 2, 3, -1, -7, 100))
            if dtype.startswith('u'):
                value = abs(value)
        expression = Expression('constant', [], tensor.constant(
            numpy.asarray(value, dtype=dtype)))
        self.expressions.append(expression)
        return expression

    def expression(self, depth):
        if depth == 0 or self.rng.random() < 0.15:
            return self.leaf()
        for _ in range(5):
            kind = self.rng.random()
            if kind < 0.35:
                name = self.choice(TRANSCENDENTAL)
            elif kind < 0.55:
                name = self.choice(UNARY)
            elif kind < 0.85:
                name = self.choice(BINARY)
            else:
                name = self.choice(OTHER)
            arity = {'switch': 3, 'add3': 3, 'mul3': 4}.get(
                name, 2 if name in BINARY else 1)
            children = [self.expression(depth - 1) for _ in range(arity)]
            parameter = None
            ndim = children[0].variable.ndim
            if name == 'neg' and children[0].variable.dtype.startswith('u'):
                continue  # PyTensor's local_neg_to_mul fails on it, loudly
            if name == 'cast':
                parameter = self.choice(DTYPES, DTYPE_WEIGHTS)
            elif name in ('sum', 'max', 'mean', 'reverse', 'times_length'):
                if ndim == 0:
                    continue
                parameter = int(self.rng.integers(ndim))
            try:
                variable = _build(name, children, parameter)
            except (TypeError, ValueError, NotImplementedError):
                continue
            expression = Expression(name, children, variable, parameter)
            self.expressions.append(expression)
            return expression
        return self.leaf()

    def values(self, inputs):
        """Input values for one call: random lengths, strides and values."""
        lengths = [self.choice((0, 1, 2, 3, 4, 7, 33),
                               (0.04, 0.16, 0.3, 0.2, 0.15, 0.1, 0.05))
                   for _ in range(self.ndim)]
        values = []
        for expression in inputs:
            variable = expression.variable
            shape = []
            for axis, broadcast in enumerate(variable.type.broadcastable):
                length = lengths[self.ndim - variable.ndim + axis]
                if broadcast or (length > 1 and self.rng.random() < 0.02):
                    length = 1
                shape.append(length)
            values.append(self.array(tuple(shape), variable.dtype))
        return values

    def array(self, shape, dtype):
        rng = self.rng
        size = int(numpy.prod(shape))
        if dtype == 'bool':
            flat = rng.random(size) < 0.5
        elif dtype.startswith('float'):
            flat = rng.standard_normal(size) * self.choice((1., 3., 30.))
            special = rng.random(size) < 0.1
            flat[special] = rng.choice(
                [0., -0., 1., -1., numpy.inf, -numpy.inf, numpy.nan, 1e-310,
                 700., -745., 88.5, 1e20], size=int(special.sum()))
        else:
            info = numpy.iinfo(dtype)
            if rng.random() < 0.3:
                flat = rng.integers(info.min, info.max, size=size,
                                    endpoint=True, dtype=dtype)
            else:
                flat = rng.integers(max(info.min, -5), 6, size=size)
        value = numpy.asarray(flat).astype(dtype).reshape(shape)
        layout = rng.random()
        if shape and layout < 0.2:  # every other element of a larger array
            axis = int(rng.integers(len(shape)))
            wide = list(shape)
            wide[axis] *= 2
            strided = numpy.zeros(wide, dtype)
            index = [slice(None)] * len(shape)
            index[axis] = slice(None, None, 2)
            strided[tuple(index)] = value
            value = strided[tuple(index)]
        elif shape and layout < 0.3:  # negative strides
            value = numpy.ascontiguousarray(value[::-1])[::-1]
        return value


def _spacing(values, dtype):
    """The spacing of floats of `dtype` at `values` (as float64)."""
    magnitude = numpy.abs(values).astype(dtype)
    return numpy.spacing(magnitude).astype('float64')


def error_bounds(expressions, values):
    """For each expression, a bound on the difference, element by element,
    between two computations that differ only in the last bits of the
    transcendental functions: 0 where both must agree exactly, ``inf``
    where the bound is lost (an element not compared)."""
    bounds = {}
    for expression in expressions:
        value = values.get(expression)
        if expression.name in ('input', 'constant') or value is None:
            bounds[expression] = numpy.zeros(numpy.shape(value)) \
                if value is not None else 0.
            continue
        bounds[expression] = _bound(expression, value, values, bounds)
    return bounds


def _bound(expression, value, values, bounds):
    name = expression.name
    children = expression.children
    args = [numpy.asarray(values[child], dtype='float64')
            for child in children]
    errors = [bounds[child] for child in children]
    dtype = numpy.asarray(value).dtype
    floating = dtype.kind == 'f'
    result = numpy.asarray(value, dtype='float64')
    inexact = any(numpy.any(error != 0) for error in errors)
    with numpy.errstate(all='ignore'):
        if name in TRANSCENDENTAL:
            (x,), (e,) = args, errors
            if name == 'tanh':
                propagated = e
            elif name in ('exp', 'expm1'):
                propagated = numpy.exp(x + e) * e
            else:
                base = numpy.abs(x if name == 'log' else 1 + x) - e
                propagated = numpy.where(base > 0, e / base, numpy.inf)
            bound = propagated + ULPS * _spacing(result, dtype)
        elif not inexact:
            return numpy.zeros(result.shape)
        elif name in ('sqrt',):
            bound = numpy.sqrt(errors[0])
        elif name in ('neg', 'abs', 'reverse', 'reshape'):
            bound = errors[0]
            if name == 'reverse':
                bound = numpy.flip(numpy.broadcast_to(bound, result.shape),
                                   axis=expression.parameter)
        elif name in ('add', 'add3', 'sub'):
            bound = sum(errors)
        elif name in ('mul', 'mul3', 'sqr'):
            if name == 'sqr':
                args, errors = args * 2, errors * 2
            bound, magnitude = errors[0], numpy.abs(args[0])
            for arg, error in zip(args[1:], errors[1:]):
                bound = (magnitude * error + numpy.abs(arg) * bound +
                         bound * error)
                magnitude = magnitude * numpy.abs(arg)
        elif name in ('true_div', 'reciprocal'):
            numerator_error = errors[0] if name == 'true_div' else 0.
            denominator, error = args[-1], errors[-1]
            margin = numpy.abs(denominator) - error
            bound = numpy.where(margin > 0, (numerator_error + numpy.abs(
                result) * error) / margin, numpy.inf)
        elif name in ('maximum', 'minimum', 'max'):
            bound = numpy.maximum(*errors) if name != 'max' else \
                numpy.broadcast_to(errors[0], args[0].shape).max(
                    axis=expression.parameter, keepdims=True)
        elif name in ('sum', 'mean'):
            bound = numpy.broadcast_to(errors[0], args[0].shape).sum(
                axis=expression.parameter, keepdims=True)
            if name == 'mean':
                bound = bound / max(args[0].shape[expression.parameter], 1)
        elif name == 'times_length':
            bound = errors[0] * args[0].shape[expression.parameter]
        elif name in ('lt', 'gt', 'le', 'ge', 'eq', 'neq'):
            close = numpy.abs(args[0] - args[1]) <= errors[0] + errors[1]
            uncertain = (errors[0] + errors[1] > 0) & (
                close | numpy.isnan(args[0]) | numpy.isnan(args[1]))
            return numpy.broadcast_to(numpy.where(uncertain, numpy.inf, 0.),
                                      result.shape)
        elif name == 'switch':
            condition = numpy.abs(args[0]) <= errors[0]
            chosen = numpy.where(args[0] != 0, errors[1], errors[2])
            return numpy.broadcast_to(numpy.where(
                condition & (errors[0] > 0), numpy.inf, chosen), result.shape)
        elif name == 'cast':
            if floating:
                bound = errors[0]
            else:
                low, high = args[0] - errors[0], args[0] + errors[0]
                crossing = (numpy.trunc(low) != numpy.trunc(high)) | (
                    (low <= 0) & (high >= 0))
                return numpy.broadcast_to(numpy.where(
                    crossing & (errors[0] > 0), numpy.inf, 0.), result.shape)
        else:  # int_div, mod, pow: discontinuous or steep
            bound = numpy.where(sum(errors) > 0, numpy.inf, 0.)
        bound = numpy.broadcast_to(bound, result.shape).astype('float64')
        if not floating:
            return numpy.where(bound > 0, numpy.inf, 0.)
        if name not in TRANSCENDENTAL:
            bound = bound + ULPS * _spacing(result, dtype)
        # An element whose value is infinite or NaN and uncertain is lost.
        lost = ~numpy.isfinite(result) | numpy.isnan(bound)
        return numpy.where(lost & (bound != 0), numpy.inf, bound)


class Differential(object):
    """Runs generated graphs in both modes and records every mismatch."""
    def __init__(self, seed, calls_per_graph=3):
        self.seed = seed
        self.calls_per_graph = calls_per_graph
        self.graphs = self.calls = self.elements = self.skipped = 0
        self.numpy_nodes = 0
        self.mismatches = []

    def run(self, graphs=None, seconds=None):
        start = time.time()
        index = 0
        while ((graphs is None or index < graphs) and
               (seconds is None or time.time() - start < seconds)):
            try:
                self.run_graph(self.seed + index)
            except Exception as error:  # reported, and the run goes on
                self.fail(self.seed + index, '-', 'the comparison raised '
                          '{!r}'.format(error))
            index += 1
        return self

    def fail(self, graph_seed, call, message):
        self.mismatches.append('seed {} call {}: {}'.format(
            graph_seed, call, message))

    def run_graph(self, graph_seed):
        generator = GraphGenerator(numpy.random.default_rng(graph_seed))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            inputs, outputs = generator.graph()
        variables = [expression.variable for expression in inputs]
        results = [expression.variable for expression in outputs]
        ours = compile_function(variables, results, mode='CVM',
                                on_unused_input='ignore')
        reference = compile_function(variables, results,
                                     mode=reference_mode(),
                                     on_unused_input='ignore')
        self.numpy_nodes += _count_numpy_nodes(ours)
        self.graphs += 1
        intermediate = []
        earlier = []
        for call in range(self.calls_per_graph):
            values = generator.values(inputs)
            copies = [value.copy() for value in values]
            mine, my_error, my_warnings = recorded_call(ours, values)
            theirs, their_error, their_warnings = recorded_call(reference, values)
            self.calls += 1
            for value, copy in zip(values, copies):
                if not numpy.array_equal(value, copy, equal_nan=True):
                    self.fail(graph_seed, call, 'an input was modified')
            if type(my_error) is not type(their_error):
                self.fail(graph_seed, call, 'error {!r}, reference {!r}'.format(
                    my_error, their_error))
                continue
            if my_warnings != their_warnings:
                self.fail(graph_seed, call, 'warnings {}, reference {}'.format(
                    my_warnings, their_warnings))
            for array, copy in earlier:
                if not numpy.array_equal(array, copy, equal_nan=True):
                    self.fail(graph_seed, call, 'an earlier output changed')
            if my_error is not None:
                if str(their_error).startswith('Runtime broadcasting') != \
                        str(my_error).startswith('Runtime broadcasting'):
                    self.fail(graph_seed, call, 'error {!r}, reference '
                              '{!r}'.format(my_error, their_error))
                continue
            earlier.extend((array, array.copy()) for array in mine)
            self.compare(graph_seed, call, generator, outputs, values, mine,
                         theirs, intermediate)

    def compare(self, graph_seed, call, generator, outputs, values, mine,
                theirs, intermediate):
        exact = []
        for index, (ours, reference) in enumerate(zip(mine, theirs)):
            if ours.dtype != reference.dtype or ours.shape != reference.shape:
                self.fail(graph_seed, call, 'output {}: {} {}, reference {} '
                          '{}'.format(index, ours.dtype, ours.shape,
                                      reference.dtype, reference.shape))
                return
            exact.append(numpy.array_equal(ours, reference, equal_nan=True))
            self.elements += ours.size
        if all(exact):
            return
        bounds = self.bounds(generator, outputs, values, intermediate)
        for index, (ours, reference) in enumerate(zip(mine, theirs)):
            if exact[index]:
                continue
            bound = numpy.broadcast_to(bounds[outputs[index]], ours.shape)
            compared = numpy.isfinite(bound)
            self.skipped += int((~compared).sum())
            ours64 = ours.astype('float64')[compared]
            reference64 = reference.astype('float64')[compared]
            bound = bound[compared]
            same_special = numpy.array_equal(
                numpy.where(numpy.isfinite(ours64), 0., ours64),
                numpy.where(numpy.isfinite(reference64), 0., reference64),
                equal_nan=True)
            finite = numpy.isfinite(ours64) & numpy.isfinite(reference64)
            difference = numpy.abs(ours64[finite] - reference64[finite])
            excess = difference > bound[finite] + 1e-300
            if not same_special or excess.any():
                worst = numpy.argmax(difference - bound[finite]) \
                    if difference.size else None
                self.fail(graph_seed, call, 'output {} ({}) differs{}'.format(
                    index, ours.dtype, '' if worst is None else
                    ': {!r} vs {!r}, bound {!r}'.format(
                        ours64[finite][worst], reference64[finite][worst],
                        bound[finite][worst])))

    def bounds(self, generator, outputs, values, intermediate):
        """Error bounds at the outputs, from every expression's value.

        The values come from PyTensor's Python implementations (compiled
        once per graph, no C module to build), or from the C VM where those
        fail (they raise on integer casts out of range, for instance).

        """
        expressions = _topological(outputs)
        computed = [e for e in expressions if e.name != 'input']
        inputs = [e.variable for e in generator.inputs]
        results = None
        for index, mode in enumerate(('FAST_COMPILE', reference_mode())):
            if len(intermediate) == index:
                intermediate.append(compile_function(
                    inputs, [e.variable for e in computed], mode=mode,
                    on_unused_input='ignore'))
            with warnings.catch_warnings(), numpy.errstate(all='ignore'):
                warnings.simplefilter('ignore')
                try:
                    results = intermediate[index](*values)
                    break
                except Exception:
                    continue
        if results is None:  # the reference itself raised: nothing to bound
            return {output: numpy.inf for output in outputs}
        table = dict(zip(computed, results))
        table.update(zip(generator.inputs, values))
        return error_bounds(expressions, table)

    def report(self):
        return ('{} graphs, {} calls, {} output elements compared, {} '
                'elements beyond the error bound model skipped, {} nodes run '
                'with NumPy; {} mismatches'.format(
                    self.graphs, self.calls, self.elements, self.skipped,
                    self.numpy_nodes, len(self.mismatches)))


def _topological(outputs):
    order, seen = [], set()

    def visit(expression):
        if id(expression) in seen:
            return
        seen.add(id(expression))
        for child in expression.children:
            visit(child)
        order.append(expression)
    for output in outputs:
        visit(output)
    return order


def recorded_call(function, values):
    """Outputs (a list), exception and warnings of a call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        outputs = failure = None
        try:
            outputs = function(*values)
        except Exception as error:
            failure = error
    messages = sorted('{}: {}'.format(type(w.message).__name__, w.message)
                      for w in caught)
    return outputs, failure, messages


def _count_numpy_nodes(function):
    return sum(1 for node, thunk in zip(function.vm.nodes, function.vm.thunks)
               if runs_in_numpy(node) and not hasattr(thunk, 'cthunk'))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Compare Blocks' default mode with PyTensor's C VM on "
                    "random graphs.")
    parser.add_argument('--minutes', type=float, default=1.,
                        help="how long to run (default: 1)")
    parser.add_argument('--graphs', type=int, default=None,
                        help="stop after this many graphs")
    parser.add_argument('--seed', type=int, default=int(time.time()),
                        help="seed of the first graph (graph i has seed+i)")
    parser.add_argument('--calls', type=int, default=3,
                        help="calls per graph, each with new shapes and "
                             "values (default: 3)")
    args = parser.parse_args(argv)
    # Some of PyTensor's rewrites fail on odd dtypes (``exp`` of booleans)
    # and print a traceback; both modes skip them alike.
    pytensor.config.on_opt_error = 'ignore'
    differential = Differential(args.seed, args.calls).run(
        graphs=args.graphs, seconds=args.minutes * 60)
    print('seed {}: {}'.format(args.seed, differential.report()))
    for mismatch in differential.mismatches:
        print(mismatch)
    return differential


if __name__ == '__main__':
    raise SystemExit(1 if main().mismatches else 0)
