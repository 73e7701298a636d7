"""Check a batch of data against the inputs of a graph, before compiling it.

Compiling a training function takes seconds (minutes for big graphs in the
C or Numba modes); a batch that does not fit the graph used to surface only
when the compiled function first ran, as PyTensor's error about some
internal node. :func:`check_batch` runs on the first batch, before the
compile, and names the source, and where the graph knows it, the brick and
its application:

* the number of dimensions of every source against its input variable
  (a forgotten ``Flatten`` reads as such);
* the dtype, with the ``floatX`` hint for a float64 batch fed to a float32
  graph;
* the widths: the graph is rebuilt with the batch's shapes and the
  parameters' current shapes as static shapes, so that PyTensor's own
  shape inference finds the first operation they do not fit (a product of
  783 columns by a 784-row weight matrix), which is then traced back to the
  brick application whose input it is.

Nothing is compiled and the batch is not modified; the rebuild takes a few
milliseconds for a multilayer perceptron (about 1 ms per hundred nodes).

"""
import logging
import warnings

import numpy
import pytensor
from pytensor import tensor
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.traversal import graph_inputs, io_toposort
from pytensor.tensor.type import TensorType

from blocks.filter import get_application_call, get_brick
from blocks.roles import INPUT, has_roles

__all__ = ['check_batch']

logger = logging.getLogger(__name__)

NDIM_MISMATCH = ("source {source!r} has {ndim} dimensions {shape}; the "
                 "graph's input {input!r} takes {kind}{hint}")

FLATTEN_HINT = ("; flatten the examples first, e.g. with Fuel's Flatten "
                "transformer: Flatten(stream, which_sources=({source!r},))")

DTYPE_MISMATCH = ("source {source!r} holds {data_dtype} data, but the "
                  "graph's input {input!r} is {input_dtype}{hint}")

FLOATX_HINT = (
    ": floatX is {floatx} and PyTensor does not downcast data silently; "
    "give the data as {floatx} (numpy: .astype({floatx!r}); Fuel: "
    "Cast(stream, 'floatX', which_sources=({source!r},)), or "
    "FUEL_FLOATX={floatx} for the datasets that follow it), or build the "
    "graph in {data_dtype} (PYTENSOR_FLAGS=floatX={data_dtype})")

CAST_HINT = ("; cast the data (numpy: .astype({input_dtype!r}); Fuel: "
             "Cast(stream, {input_dtype!r}, which_sources=({source!r},))) or "
             "declare the input with dtype {data_dtype!r}")

STATIC_SHAPE_MISMATCH = ("source {source!r} has shape {shape}; the graph's "
                         "input {input!r} has the fixed shape {static}")

BRICK_WIDTH = ("{brick}.{application}: {input} has {size} {axis}, the brick "
               "expects {attribute}={expected}{origin}")

BRICK_MISMATCH = ("{brick}.{application}: its {input} of shape {shape} does "
                  "not fit: {error}{origin}")

GRAPH_MISMATCH = "the batch does not fit the graph: {error}{origin}"

NDIM_NAMES = {0: 'a scalar', 1: 'a vector', 2: 'a matrix'}


def _kind(ndim):
    return NDIM_NAMES.get(ndim, 'a {}-dimensional tensor'.format(ndim))


def _as_array(data):
    """The batch's data as an array, or None when NumPy cannot make one."""
    try:
        array = numpy.asarray(data)
    except ValueError:  # ragged sequences
        return None
    return None if array.dtype == object else array


def _tensor_inputs(inputs, batch):
    """The inputs that are tensors and have data in the batch, with it."""
    for variable in inputs:
        if not isinstance(variable.type, TensorType):
            continue
        if variable.name not in batch:
            continue
        array = _as_array(batch[variable.name])
        if array is not None:
            yield variable, array


def _check_ndim_and_dtype(variable, array, data, allow_downcast, where):
    source = variable.name
    if array.ndim != variable.ndim:
        hint = ''
        if array.ndim > variable.ndim >= 1:
            hint = FLATTEN_HINT.format(source=source)
        raise ValueError(NDIM_MISMATCH.format(
            source=source, ndim=array.ndim, shape=array.shape, input=source,
            kind=_kind(variable.ndim), hint=hint) + where)
    static = variable.type.shape
    if any(expected is not None and expected != actual
           for expected, actual in zip(static, array.shape)):
        raise ValueError(STATIC_SHAPE_MISMATCH.format(
            source=source, shape=array.shape, input=source,
            static=tuple(static)) + where)
    try:
        variable.type.filter(data, strict=False,
                             allow_downcast=allow_downcast)
    except TypeError:
        floatx = pytensor.config.floatX
        if (variable.dtype == floatx and array.dtype.kind == 'f' and
                array.dtype.itemsize > numpy.dtype(floatx).itemsize):
            hint = FLOATX_HINT.format(floatx=floatx, source=source,
                                      data_dtype=str(array.dtype))
        else:
            hint = CAST_HINT.format(input_dtype=variable.dtype, source=source,
                                    data_dtype=str(array.dtype))
        raise TypeError(DTYPE_MISMATCH.format(
            source=source, data_dtype=array.dtype, input=source,
            input_dtype=variable.dtype, hint=hint) + where) from None


def _brick_path(brick):
    try:
        return '/' + '/'.join(b.name for b in brick.get_unique_path())
    except Exception:  # a brick without a unique path: its name will do
        return '/' + str(brick.name)


def _nearest_application_input(node, depth=8):
    """The brick application input closest above `node`, if any."""
    frontier, seen = list(node.inputs), set()
    for _ in range(depth):
        following = []
        for variable in frontier:
            if id(variable) in seen:
                continue
            seen.add(id(variable))
            if (has_roles(variable, [INPUT]) and
                    get_application_call(variable) is not None):
                return variable
            if variable.owner is not None:
                following.extend(variable.owner.inputs)
        frontier = following
    return None


def _has_inner_graph(op):
    return hasattr(op, 'fgraph') or hasattr(op, 'inner_inputs')


def _explain(node, error, memo, sources, where):
    """The message for a node whose inputs do not fit each other."""
    feeding = sorted((variable for variable in graph_inputs(node.outputs)
                      if variable in sources),
                     key=lambda variable: variable.name)
    origin = ''
    if feeding:
        origin = ' ({} from the source{} {})'.format(
            'the data comes' if len(feeding) > 1 else 'the input comes',
            's' if len(feeding) > 1 else '',
            ', '.join('{!r} of shape {}'.format(
                variable.name, sources[variable].shape)
                for variable in feeding))
    origin += where
    error_text = str(error).strip()
    annotated = _nearest_application_input(node)
    if annotated is None:
        return GRAPH_MISMATCH.format(error=error_text, origin=origin)
    call = get_application_call(annotated)
    brick = get_brick(annotated)
    input_name = getattr(annotated.tag, 'name', None) or 'input'
    input_label = input_name.rstrip('_')
    rebuilt = memo.get(annotated, annotated)
    shape = tuple(rebuilt.type.shape)
    expected = getattr(brick, 'input_dim', None)
    if (isinstance(expected, int) and shape and shape[-1] is not None and
            shape[-1] != expected):
        axis = 'columns' if len(shape) == 2 else (
            'entries' if len(shape) == 1 else 'features on its last axis')
        return BRICK_WIDTH.format(
            brick=_brick_path(brick), application=call.application.name,
            input=input_label, size=shape[-1], axis=axis,
            attribute='input_dim', expected=expected, origin=origin)
    return BRICK_MISMATCH.format(
        brick=_brick_path(brick), application=call.application.name,
        input=input_label, shape=shape, error=error_text, origin=origin)


def _check_widths(outputs, sources, where):
    """Rebuild `outputs` with static shapes; raise where they do not fit."""
    memo = {variable: tensor.tensor(dtype=variable.dtype, shape=array.shape,
                                    name=variable.name)
            for variable, array in sources.items()}
    for variable in graph_inputs(outputs):
        if (isinstance(variable, SharedVariable) and
                isinstance(variable.type, TensorType)):
            value = variable.get_value(borrow=True)
            memo[variable] = tensor.tensor(
                dtype=variable.dtype, shape=numpy.shape(value),
                name=variable.name)
    for node in io_toposort(list(graph_inputs(outputs)), outputs):
        new_inputs = [memo.get(variable, variable) for variable in node.inputs]
        if all(new is old for new, old in zip(new_inputs, node.inputs)):
            continue
        try:
            new_node = node.clone_with_new_inputs(new_inputs, strict=False)
        except ValueError as error:
            if not _has_inner_graph(node.op):
                raise ValueError(
                    _explain(node, error, memo, sources, where)) from None
            continue
        except Exception as error:  # an op that does not take static shapes
            logger.debug("batch check: skipping %s (%s)", node, error)
            continue
        for old, new in zip(node.outputs, new_node.outputs):
            memo[old] = new


def check_batch(inputs, batch, outputs=(), allow_downcast=None,
                where=''):
    """Check that a batch fits the inputs of a graph, before compiling it.

    Parameters
    ----------
    inputs : list of :class:`~pytensor.graph.basic.Variable`
        The graph's inputs; each one is fed the source of its name. Inputs
        without a source in the batch are left to the caller's check of
        the source names.
    batch : dict
        The batch: data by source name. It is read, not modified.
    outputs : list of :class:`~pytensor.graph.basic.Variable`, optional
        The variables the compiled function computes (the update values of
        a training algorithm). Their graph is rebuilt with the batch's
        shapes to find the brick whose input does not fit.
    allow_downcast : bool, optional
        What the compiled function is given as ``allow_input_downcast``.
    where : str, optional
        Appended to the messages, to say which batch was checked.

    Raises
    ------
    ValueError
        A source with the wrong number of dimensions, or a width that does
        not fit the graph.
    TypeError
        A source whose dtype the input does not take.

    Examples
    --------
    >>> x = tensor.matrix('features')
    >>> check_batch([x], {'features': numpy.zeros((2, 1, 3))})
    Traceback (most recent call last):
      ...
    ValueError: source 'features' has 3 dimensions (2, 1, 3); the graph's \
input 'features' takes a matrix; flatten the examples first, e.g. with \
Fuel's Flatten transformer: Flatten(stream, which_sources=('features',))

    """
    sources = {}
    for variable, array in _tensor_inputs(inputs, batch):
        _check_ndim_and_dtype(variable, array, batch[variable.name],
                              allow_downcast, where)
        sources[variable] = array
    outputs = [output for output in outputs if output is not None]
    if sources and outputs:
        with warnings.catch_warnings():
            # Shape inference inside some ops warns about the very mismatch
            # this check reports (or skips, for ops with inner graphs).
            warnings.simplefilter('ignore')
            _check_widths(outputs, sources, where)
