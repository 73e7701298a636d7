"""The default mode computes what PyTensor's C VM computes (issue 19).

Wherever Blocks' default mode replaces PyTensor's implementation (NumPy
thunks for elementwise and scalar nodes, Python thunks for views and shape
bookkeeping, inlined ``Softmax`` and ``LogSoftmax``), it is compared here,
call by call, with PyTensor's own C VM; see :mod:`tests.fuzz_default_mode`
for the random graphs and the longer run.

"""
import numpy
import pytensor
import pytest
from pytensor import tensor
from pytensor.raise_op import Assert
from pytensor.tensor.special import log_softmax, softmax

from blocks.compile.compilation import compile_function
from blocks.compile.linker import runs_in_python
from tests.fuzz_default_mode import Differential, recorded_call, main, reference_mode

pytestmark = pytest.mark.skipif(not pytensor.config.cxx,
                                reason="needs a C++ compiler")

#: The fixed seed and number of graphs the suite runs (about 30 s on a warm
#: compile cache, 2-3 minutes on a cold one, on the 2-core development VM).
SEED, GRAPHS = 20261204, 200


def compare_functions(inputs, outputs, value_sets, ulps=None):
    """Compare the default mode with the C VM on given calls.

    For graphs outside the generator (softmax, gradients, bookkeeping):
    each of `value_sets` is one call. The same exception type or none, the
    same warnings, dtypes, shapes and NaN and infinity positions; values
    exactly equal when `ulps` is None, else to `ulps` units in the last place
    of the output's largest magnitude (norm-wise: transcendental functions
    differ in the last bits, and matrix products spread that over every
    element). No input is modified and no earlier output overwritten.
    Returns the mismatches, as strings.

    """
    ours = compile_function(inputs, outputs, mode='CVM',
                            on_unused_input='ignore')
    reference = compile_function(inputs, outputs, mode=reference_mode(),
                                 on_unused_input='ignore')
    mismatches, earlier = [], []
    for call, values in enumerate(value_sets):
        copies = [numpy.array(value, copy=True) for value in values]
        mine, my_error, my_warnings = recorded_call(ours, values)
        theirs, their_error, their_warnings = recorded_call(reference, values)
        problems = []
        if not all(numpy.array_equal(value, copy, equal_nan=True)
                   for value, copy in zip(values, copies)):
            problems.append('an input was modified')
        if type(my_error) is not type(their_error):
            problems.append('error {!r}, reference {!r}'.format(
                my_error, their_error))
        if my_warnings != their_warnings:
            problems.append('warnings {}, reference {}'.format(
                my_warnings, their_warnings))
        if not all(numpy.array_equal(array, copy, equal_nan=True)
                   for array, copy in earlier):
            problems.append('an earlier output changed')
        if my_error is None and their_error is None:
            if not isinstance(mine, (list, tuple)):
                mine, theirs = [mine], [theirs]
            earlier.extend((numpy.asarray(array), numpy.array(array))
                           for array in mine)
            for index, (a, b) in enumerate(zip(mine, theirs)):
                problem = _differs(numpy.asarray(a), numpy.asarray(b), ulps)
                if problem:
                    problems.append('output {}: {}'.format(index, problem))
        mismatches.extend('call {}: {}'.format(call, problem)
                          for problem in problems)
    return mismatches


def _differs(ours, reference, ulps):
    if ours.dtype != reference.dtype or ours.shape != reference.shape:
        return '{} {}, reference {} {}'.format(ours.dtype, ours.shape,
                                               reference.dtype,
                                               reference.shape)
    if numpy.array_equal(ours, reference, equal_nan=True):
        return None
    if ulps is None or ours.dtype.kind != 'f':
        return 'values differ'
    special = ~numpy.isfinite(reference)
    if not numpy.array_equal(ours[special], reference[special],
                             equal_nan=True) or \
            not numpy.isfinite(ours[~special]).all():
        return 'NaN or infinity positions differ'
    if special.all():
        return None
    scale = numpy.abs(reference[~special]).max()
    difference = numpy.abs(ours[~special].astype('float64') -
                           reference[~special]).max()
    allowed = ulps * numpy.spacing(scale.astype(ours.dtype))
    if difference > allowed:
        return 'differs by {!r} (allowed {!r})'.format(difference, allowed)
    return None


def test_random_graphs_agree_with_the_c_vm():
    differential = Differential(SEED).run(graphs=GRAPHS)
    assert not differential.mismatches, '\n'.join(
        [differential.report()] + differential.mismatches[:20])
    # Not vacuous: NumPy thunks ran, elements were compared exactly or
    # within their bound, and few fell outside the bound model.
    assert differential.numpy_nodes > GRAPHS // 2
    assert differential.elements > 20 * GRAPHS
    assert differential.skipped < 0.05 * differential.elements


def test_the_longer_run_reports(capsys):
    differential = main(['--graphs', '2', '--seed', '7'])
    assert differential.graphs == 2 and differential.calls == 6
    assert 'seed 7: 2 graphs, 6 calls' in capsys.readouterr().out


def special_rows(shape, dtype, rng):
    value = rng.standard_normal(shape) * 5
    if value.size and value.ndim == 2 and shape[0] >= 4:
        value[0, 0] = 1000.
        value[1, :] = -numpy.inf
        value[2, -1] = -numpy.inf
        value[3, 0] = numpy.nan
    return value.astype(dtype)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_inlined_softmax_and_log_softmax_with_gradients(dtype):
    rng = numpy.random.default_rng(19)
    x = tensor.matrix('x', dtype=dtype)
    w = tensor.matrix('w', dtype=dtype)
    y = tensor.ivector('y')
    outputs = []
    for axis in (-1, 0, None):
        probabilities = softmax(x, axis=axis)
        logs = log_softmax(x, axis=axis)
        outputs += [probabilities, logs,
                    pytensor.grad((probabilities * w).sum(), x),
                    pytensor.grad((logs * w).sum(), x)]
    cross_entropy = -log_softmax(x, axis=1)[tensor.arange(y.shape[0]), y].mean()
    outputs += [cross_entropy, pytensor.grad(cross_entropy, x)]
    calls = []
    for shape in [(5, 4), (1, 3), (2, 1), (4, 6), (0, 3), (5, 4)]:
        value = special_rows(shape, dtype, rng)
        weights = rng.standard_normal(shape).astype(dtype)
        labels = rng.integers(0, shape[1], size=shape[0]).astype('int32')
        calls.append([value, weights, labels])
    calls.append([calls[0][0][:, ::-1], calls[0][1][::-1], calls[0][2]])
    mismatches = compare_functions([x, w, y], outputs, calls, ulps=64)
    assert not mismatches, mismatches


def test_mlp_training_step_agrees():
    rng = numpy.random.default_rng(3)
    x, targets = tensor.matrix('x'), tensor.ivector('targets')
    parameters = [tensor.matrix('W1'), tensor.vector('b1'),
                  tensor.matrix('W2'), tensor.vector('b2')]
    W1, b1, W2, b2 = parameters
    hidden = tensor.tanh(x.dot(W1) + b1)
    logits = hidden.dot(W2) + b2
    cost = -log_softmax(logits, axis=1)[
        tensor.arange(targets.shape[0]), targets].mean()
    gradients = pytensor.grad(cost, parameters)
    updated = [p - 0.1 * g for p, g in zip(parameters, gradients)]
    values = [rng.standard_normal((20, 30)), rng.standard_normal(30),
              rng.standard_normal((30, 10)), rng.standard_normal(10)]
    calls = [[rng.standard_normal((batch, 20)),
              rng.integers(0, 10, size=batch).astype('int32')] + values
             for batch in (16, 1, 16, 7)]
    mismatches = compare_functions([x, targets] + parameters,
                                   [cost] + gradients + updated, calls,
                                   ulps=256)
    assert not mismatches, mismatches


def bookkeeping_graphs(x, i):
    n = x.shape[0]
    return [
        x.T, x[1:, ::2], x[::-1], x.reshape((-1,)),
        x.reshape((x.shape[1], n)), x.dimshuffle('x', 0, 1),
        tensor.arange(n), tensor.specify_shape(x, (None, 3)),
        Assert('x has rows')(x, n > 0), tensor.stack([n, x.shape[1]]),
        x[: n // 2], x.sum() / x.size, x * n, x.shape[1] * 2 - n,
        tensor.cast(n, 'float32') / 3, x[i], x[-1], x.flatten()[i[0]],
        tensor.maximum(n, x.shape[1]), tensor.true_div(n, x.shape[1]),
    ]


def test_python_thunks_for_bookkeeping_agree():
    x, i = tensor.matrix('x'), tensor.lvector('i')
    outputs = bookkeeping_graphs(x, i)
    function = compile_function([x, i], outputs, mode='CVM',
                                on_unused_input='ignore')
    in_python = [node for node in function.maker.fgraph.toposort()
                 if runs_in_python(node)]
    assert len({type(node.op) for node in in_python}) >= 6
    rng = numpy.random.default_rng(5)
    calls = []
    for shape in [(4, 3), (1, 3), (0, 3), (5, 3), (4, 3), (2, 4)]:
        value = rng.standard_normal(shape)
        calls.append([value, numpy.array([0, -1, 1])])
    calls.append([numpy.asfortranarray(calls[0][0]), numpy.array([3])])
    calls.append([calls[3][0][::-2], numpy.array([7])])  # out of range
    for output in outputs:  # one function each: errors are per output
        mismatches = compare_functions([x, i], [output], calls)
        assert not mismatches, (output, mismatches)
