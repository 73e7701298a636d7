"""The step rule applied in shards: each worker of a machine updates its rows.

With the shared-memory reduction fused into the step (two workers on one
machine, see :mod:`blocks.distributed.shared`), every worker used to apply
the whole step rule to the sum of the two workers' gradients: the same
memory-bound elementwise pass (read both gradients, the parameters and the
step rule's buffers; write the parameters and the buffers) on both workers.

When the step is *row-local*, the workers share that pass instead. A step is
row-local when row ``i`` (along the first axis) of every new value depends
only on row ``i`` of the parameters, of the step rule's buffers and of the
gradients, through elementwise operations and scalars: ``Scale``,
``Momentum``, ``AdaGrad``, ``RMSProp``, ``AdaDelta``, ``Adam`` and their
compositions are; ``StepClipping`` and ``RemoveNotFinite``, which reduce over
whole gradients, are not (:func:`row_local` decides, from the graph). Then:

- the parameters and the step rule's buffers (those with at least one axis)
  live in one shared-memory window of the machine
  (:class:`SharedVariables`): every worker's shared variables hold views of
  it, so there is one copy of each, read by all the workers' gradient
  functions;
- worker ``r`` of ``N`` updates rows ``chunk_bounds(rows, N)[r:r + 2]`` of
  each, reading only those rows of the workers' gradients
  (:class:`ShardedStep`); scalar buffers (``Adam``'s time) stay private,
  every worker updating its own copy identically;
- a barrier ends the step, so that every worker reads complete parameters
  in the next one (and the extensions after the batch, a checkpoint on rank
  0, see the whole step).

Each element of a parameter is computed by one worker, with the same
operations in the same order as the whole step would: the parameters are
the ones the unsharded step gives, bit for bit.

**Dense layers' gradients travel as their factors.** The gradient of a
dense layer's weights is ``dot(A.T, B)``: ``A`` the layer's input, ``B``
the gradient of its output, one row per example (:func:`gradient_factors`
finds them in the graph). Summed over the workers, it is the sum of their
``dot(A.T, B)``, whose rows ``r`` need only columns ``r`` of each ``A``. So
each worker's gradient function returns ``A`` and ``B`` instead of computing
the product, writes them into a shared window (:class:`SharedFactors`: a
few rows each, against the whole matrix), and each worker's step computes
its rows of the product from both workers' factors, straight into its rows
of the parameters where the step rule allows it (``Scale`` and ``Momentum``
become one in-place ``Gemm`` per worker, as one process's gradient descent
does). The same multiplications are done, in two places rather than one,
and the gradients of the weights are never written out: on the benchmark's
MLP this is what takes two workers from 1.6 to about 1.9 times one
process's examples per second. The sums are rounded differently from the
whole step's (each worker's product is weighted by its share of the
examples, rather than the sum divided by their number); every worker still
computes each element once, so the workers agree bit for bit.

A shared variable whose value was replaced (``set_value`` without the
window's view, as ``Load`` does) is noticed at the next step
(:meth:`SharedVariables.attach`): rank 0's values are copied into the window
and every worker's variables hold the window's views again.
"""
import logging
from collections import OrderedDict

import numpy
import pytensor
from pytensor import scalar, tensor
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import ancestors, applys_between, graph_inputs
from pytensor.graph.replace import clone_replace
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.math import Dot

from blocks.distributed.mpi import require_mpi
from blocks.distributed.shared import _open, _register_exit, chunk_bounds
from blocks.utils import compile_function

logger = logging.getLogger(__name__)

#: Each variable's memory in the window starts at a multiple of this.
ALIGNMENT = 64


def row_local(value, shape, shapes):
    """Whether row ``i`` of `value` needs only rows ``i`` of its inputs.

    Parameters
    ----------
    value : :class:`~pytensor.graph.basic.Variable`
        The new value of a variable of shape `shape`.
    shape : tuple
        That variable's shape.
    shapes : dict
        The shapes of the graph's inputs (shared variables, gradients,
        scalars); an input missing from it makes the graph not row-local.

    Returns
    -------
    bool
        True when every operation is elementwise (or broadcasts a scalar)
        and every input is a scalar or has `shape`; for a scalar `value`,
        when every input is a scalar.

    Examples
    --------
    >>> from pytensor import tensor
    >>> W, g = tensor.matrix('W'), tensor.matrix('g')
    >>> shapes = {W: (4, 3), g: (4, 3)}
    >>> row_local(W - 0.1 * g, (4, 3), shapes)
    True
    >>> row_local(W - g / tensor.sqrt((g ** 2).sum()), (4, 3), shapes)
    False

    """
    for variable in ancestors([value], blockers=list(shapes)):
        node = variable.owner
        if node is None or variable in shapes:
            continue
        if isinstance(node.op, Elemwise):
            continue
        if isinstance(node.op, DimShuffle) and node.inputs[0].ndim == 0:
            continue
        return False
    for variable in graph_inputs([value], blockers=list(shapes)):
        if isinstance(variable, Constant):
            if any(size != 1 for size in numpy.shape(variable.data)):
                return False
        elif variable not in shapes:
            return False
        elif tuple(shapes[variable]) not in ((), tuple(shape)):
            return False
        elif shape == () and shapes[variable] != ():
            return False
    return True


class SharedVariables:
    """Shared variables whose values live in one shared-memory window.

    Collective over `node` (ranks that share memory): every rank creates
    it with the same variables, whose values must have the same shapes
    and dtypes on every rank. Rank 0's values are copied into the window;
    every rank's variables then hold views of it (:meth:`attach`), until
    :meth:`free` (collective) gives them private copies again.

    Parameters
    ----------
    node : ``mpi4py.MPI.Intracomm``
        The ranks of one machine.
    variables : list of shared variables
        Their values must be NumPy arrays.

    """
    def __init__(self, node, variables):
        MPI = require_mpi()
        self.node = node
        self.variables = list(variables)
        values = [variable.get_value(borrow=True)
                  for variable in self.variables]
        offsets, size = [], 0
        for value in values:
            offsets.append(size)
            size += -(-value.nbytes // ALIGNMENT) * ALIGNMENT
        self.nbytes = size
        self._window = MPI.Win.Allocate_shared(
            size if node.Get_rank() == 0 else 0, 1, comm=node)
        memory, _ = self._window.Shared_query(0)
        #: The window's views, one per variable.
        self.views = [
            numpy.frombuffer(memory, value.dtype, count=value.size,
                             offset=offset).reshape(value.shape)
            for value, offset in zip(values, offsets)]
        self._window.Lock_all(MPI.MODE_NOCHECK)
        rank, ranks = node.Get_rank(), node.Get_size()
        #: The rows this rank updates, by variable.
        self.rows = [slice(*chunk_bounds(view.shape[0], ranks)[rank:rank + 2])
                     for view in self.views]
        _open.append(self)
        _register_exit()
        self.attach(replaced=True)

    def synchronize(self):
        """Barrier; the stores before it are seen by the loads after it."""
        self._window.Sync()
        self.node.Barrier()
        self._window.Sync()

    def attached(self):
        """Whether every variable holds its view of the window."""
        return all(variable.container.storage[0] is view
                   for variable, view in zip(self.variables, self.views))

    def attach(self, replaced=None):
        """Make every variable hold its view again (collective).

        Where a variable's value was replaced on some rank (`replaced`,
        computed here by default, is this rank's say), rank 0's values are
        copied into the window first. Returns whether anything was.
        """
        if replaced is None:
            replaced = not self.attached()
        replaced = self.node.allreduce(bool(replaced),
                                       op=require_mpi().LOR)
        if not replaced:
            return False
        if self.node.Get_rank() == 0:
            for variable, view in zip(self.variables, self.views):
                value = variable.get_value(borrow=True)
                if value is not view:
                    if numpy.shape(value) != view.shape:
                        raise ValueError(
                            'the value of {} changed shape, from {} to {}; '
                            'a data-parallel algorithm keeps its shape'
                            .format(variable, view.shape,
                                    numpy.shape(value)))
                    view[...] = value
        self.synchronize()
        for variable, view in zip(self.variables, self.views):
            variable.set_value(view, borrow=True)
            if variable.container.storage[0] is not view:
                raise TypeError('{} does not hold a view of shared memory '
                                '(its type copies {})'.format(variable, view))
        return True

    def detach(self):
        """Give every variable a private copy of its value."""
        for variable, view in zip(self.variables, self.views):
            if variable.container.storage[0] is view:
                variable.set_value(view.copy(), borrow=True)

    @property
    def is_open(self):
        return self in _open

    def free(self):
        """Detach the variables and free the window (collective)."""
        if not self.is_open:
            return
        _open.remove(self)
        self.detach()
        self.views = []
        self._window.Unlock_all()
        self._window.Free()


class ShardedStep:
    r"""The step function of one worker: its rows of the step's updates.

    Parameters
    ----------
    variables : :class:`SharedVariables`
        The parameters and step rule buffers with axes, in shared memory.
    updates : list of pairs
        ``(variable, new value)``: the step (parameters and step rule
        buffers), written for the whole arrays in terms of `gradients`.
    parameters, gradients : lists of variables
        The parameters, and their gradients as `updates` read them; each
        gradient is replaced by the sum of `copies` inputs (the workers'
        gradients, in rank order) divided by the batch's number of
        examples.
    copies : int
        How many workers' gradients are summed.
    extra_inputs, extra_updates : lists, optional
        More inputs, and updates of private variables, applied as they are.
    factored : list of ints, or dict, optional
        The gradients given as factors, as for :func:`reduced_step`.
    \*\*kwargs
        Passed to :func:`~blocks.utils.compile_function`.

    """
    def __init__(self, variables, updates, parameters, gradients, copies,
                 extra_inputs=(), extra_updates=(), factored=(), **kwargs):
        self.variables = variables
        rows = dict(zip(variables.variables, variables.rows))
        shards = OrderedDict(
            (variable, pytensor.shared(view[rows[variable]], borrow=True,
                                       name='{}_shard'.format(variable.name),
                                       shape=(None,) * view.ndim))
            for variable, view in zip(variables.variables, variables.views))
        self._shards = [(shard, shard.get_value(borrow=True))
                        for shard in shards.values()]
        if not isinstance(factored, dict):
            factored = dict.fromkeys(factored)
        self.factored = sorted(factored)
        #: The rows of each gradient this worker reads (all of a scalar's),
        #: then the rows of each factored one.
        self.gradient_rows = [rows.get(parameter, Ellipsis)
                              for index, parameter in enumerate(parameters)
                              if index not in self.factored]
        self.factor_rows = [rows[parameters[index]]
                            for index in self.factored]
        inputs, total, values = reduced_step(updates, parameters, gradients,
                                             copies, replace=shards,
                                             factored=factored)
        step_updates = [(shards.get(variable, variable), value)
                        for (variable, _), value in zip(updates, values)]
        self._function = compile_function(
            inputs + [total] + list(extra_inputs), [],
            updates=step_updates + list(extra_updates),
            description='the sharded data-parallel step function', **kwargs)

    def __call__(self, segments, total, extras=(), factors=None):
        """Apply the step.

        `segments` are the workers' gradients by rank, `factors` the
        factors ``(A, B)`` of the factored gradients and the number of
        examples, by rank (see :meth:`SharedFactors.read`).
        """
        arguments = []
        for rank, gradients in enumerate(segments):
            arguments.extend(gradient[rows] for gradient, rows
                             in zip(gradients, self.gradient_rows))
            if self.factored:
                pairs, examples = factors[rank]
                for (left, right), rows in zip(pairs, self.factor_rows):
                    arguments.extend([left[:, rows], right])
                arguments.append(examples / total)
        self._function(*arguments + [total] + list(extras))
        for shard, view in self._shards:
            storage = shard.container.storage
            if storage[0] is not view:  # not computed in place
                view[...] = storage[0]
                storage[0] = view


def reduced_step(updates, parameters, gradients, copies, replace=None,
                 factored=()):
    """The step's new values from the workers' gradients.

    Parameters
    ----------
    updates : list of pairs
        ``(variable, new value)``: the step, in terms of `gradients`.
    parameters, gradients : lists of variables
        The parameters and their gradients.
    copies : int
        How many workers' gradients are summed (in rank order).
    replace : dict, optional
        More replacements in the new values.
    factored : list of ints, or dict, optional
        The gradients given as their factors (see :func:`gradient_factors`):
        two matrices ``A`` and ``B`` per worker and its share of the batch's
        examples ``w`` (a scalar), the gradient being the sum of the
        workers' ``w * dot(A.T, B)``, plus the gradient's remainder ``R``
        where a dict maps the index to one (`replace` applies to it).

    Returns
    -------
    inputs : list of variables
        For each worker in rank order, its gradients, then the factors of
        the factored gradients and its share (with `factored`).
    total : variable
        The batch's number of examples (a float64 scalar).
    values : list of variables
        The new values: `gradients` replaced by the sum of their copies in
        `inputs` divided by `total`.

    Raises
    ------
    ValueError
        When the new values depend on the data other than through the
        gradients (every worker must apply the same step).

    """
    if not isinstance(factored, dict):
        factored = dict.fromkeys(factored)
    total = tensor.scalar('batch_examples', dtype='float64')
    reduced = []  # by copy: the terms of each gradient, and the inputs
    for copy in range(copies):
        terms, own, factors = [], [], []
        share = tensor.scalar('share_{}'.format(copy), dtype='float64')
        for index, (parameter, gradient) in enumerate(zip(parameters,
                                                          gradients)):
            name = '{}_{}'.format(parameter.name or 'gradient', copy)
            if index in factored:
                left, right = [tensor.matrix(side + name,
                                             dtype=gradient.dtype)
                               for side in ('left_', 'right_')]
                factors.extend([left, right])
                # Weighted here, so that the step's matrix products
                # (Gemm) take the weight and the learning rate as theirs.
                terms.append(tensor.dot(left.T, right) *
                             tensor.cast(share, gradient.dtype))
            else:
                term = tensor.TensorType(gradient.dtype,
                                         shape=(None,) * gradient.ndim)(
                    'reduced_' + name)
                own.append(term)
                terms.append(term)
        reduced.append((terms, own + factors + ([share] if factors else [])))
    replacements = OrderedDict(replace or {})
    for index, gradient in enumerate(gradients):
        summed = reduced[0][0][index]
        for terms, _ in reduced[1:]:
            summed = summed + terms[index]
        if index not in factored:
            summed = summed / tensor.cast(total, gradient.dtype)
        elif factored[index] is not None:
            summed = summed + clone_replace(factored[index], replace=replace,
                                            rebuild_strict=False)
        replacements[gradient] = summed
    values = clone_replace([value for _, value in updates],
                           replace=replacements, rebuild_strict=False)
    inputs = [variable for _, copy_inputs in reduced
              for variable in copy_inputs]
    known = set(inputs)
    leftover = [variable for variable in graph_inputs(values)
                if variable not in known and variable is not total and
                not isinstance(variable, (Constant, SharedVariable))]
    if leftover:
        raise ValueError(
            'the step rule depends on the data other than through the '
            'gradients (on {}), so the workers cannot apply the same step; '
            'DataParallel needs a step rule that is a function of the '
            'gradients and its own state'.format(leftover))
    return inputs, total, values


def gradient_factors(parameters, gradients, plan, dtype):
    """The gradients that are products ``dot(A.T, B)``, by index.

    Such a gradient (a dense layer's weights': ``A`` its input, ``B`` the
    gradient of its output) summed over workers is the sum of their
    ``dot(A.T, B)``: the workers can exchange the factors (two matrices of
    a few rows each) rather than the gradient, and compute the rows of the
    sum they update in their step. A gradient ``dot(A.T, B) + R`` where
    ``R`` depends on the parameter alone, row by row (the gradient of an
    L2 penalty in the cost), qualifies too: ``R`` is computed in the step.
    Only the parameters of `plan` (the sharded step's) whose gradients have
    `dtype` qualify.

    Returns
    -------
    OrderedDict
        Index in `gradients` to the triple ``(A, B, R)`` (``R`` is
        ``None`` for a bare product).

    """
    factors = OrderedDict()
    planned = set(plan)
    for index, (parameter, gradient) in enumerate(zip(parameters,
                                                      gradients)):
        if (parameter not in planned or gradient.ndim != 2 or
                gradient.dtype != dtype):
            continue
        terms = _terms(gradient)
        products = [term for term in terms if _factors(term) is not None]
        if len(products) != 1:
            continue
        rest = [_without_scalar_fills(term)
                for term in terms if term is not products[0]]
        shapes = {parameter: numpy.shape(parameter.get_value(borrow=True))}
        _add_scalar_shared(shapes, rest)
        if not all(row_local(term, shapes[parameter], shapes)
                   for term in rest):
            continue
        remainder = sum(rest[1:], rest[0]) if rest else None
        factors[index] = _factors(products[0]) + (remainder,)
    return factors


def _add_scalar_shared(shapes, values):
    """Add to `shapes` the scalar shared variables `values` read (learning
    rates, decay rates), beyond the inputs `shapes` already holds."""
    for variable in graph_inputs(values, blockers=list(shapes)):
        if (isinstance(variable, SharedVariable) and variable not in shapes
                and numpy.ndim(variable.get_value(borrow=True)) == 0):
            shapes[variable] = ()


def _without_scalar_fills(variable):
    """`variable` with ``fill(s, x)`` of a scalar ``s`` replaced by ``x``.

    The gradients :func:`pytensor.grad` builds start from ``fill(cost,
    1)``: the value does not depend on the cost, only the graph does (the
    compiled function drops it). Without it, an L2 penalty's gradient is
    seen to depend on the parameter alone.
    """
    replacements = {}
    for node in applys_between(graph_inputs([variable]), [variable]):
        if (isinstance(node.op, Elemwise) and
                isinstance(node.op.scalar_op, scalar.Second) and
                node.inputs[0].ndim == 0 and
                node.inputs[1].type == node.outputs[0].type):
            replacements[node.outputs[0]] = node.inputs[1]
    if not replacements:
        return variable
    return clone_replace(variable, replace=replacements)


def _terms(variable):
    """The terms of a sum (of nested sums), or the variable alone."""
    node = variable.owner
    if (node is None or not isinstance(node.op, Elemwise) or
            not isinstance(node.op.scalar_op, scalar.Add)):
        return [variable]
    return [term for input_ in node.inputs for term in _terms(input_)]


def _factors(variable):
    """``(A, B)`` where `variable` is ``dot(A.T, B)`` of matrices."""
    node = variable.owner
    if node is None or not isinstance(node.op, Dot):
        return None
    transposed, right = node.inputs
    if (transposed.owner is None or right.ndim != 2 or
            not isinstance(transposed.owner.op, DimShuffle) or
            transposed.owner.op.new_order != (1, 0)):
        return None
    return transposed.owner.inputs[0], right


class SharedFactors:
    """Each rank's factors of its gradients, in a shared window.

    Collective over `node`. :meth:`write` copies this rank's factors
    ``(A, B)`` (as many rows as it has, which may change from step to step:
    the window grows when a rank needs more) into its region;
    :meth:`read` gives every rank's, after a barrier.

    Parameters
    ----------
    node : ``mpi4py.MPI.Intracomm``
        The ranks of one machine.
    widths : list of pairs
        The number of columns of ``A`` and of ``B``, by factored gradient.
    dtype : numpy.dtype

    """
    def __init__(self, node, widths, dtype):
        self.node = node
        self.widths = list(widths)
        self.dtype = numpy.dtype(dtype)
        self.capacity = 0
        #: The bytes of the last :meth:`write`.
        self.nbytes = 0
        self._window = None
        self._rows = None
        _open.append(self)
        _register_exit()

    def _allocate(self, capacity):
        MPI = require_mpi()
        self._release()
        columns = sum(left + right for left, right in self.widths)
        # The number of examples and the row counts first, then each
        # gradient's A and B.
        size = 1 + len(self.widths) + capacity * columns
        self._window = MPI.Win.Allocate_shared(
            size * self.dtype.itemsize, self.dtype.itemsize, comm=self.node)
        self._window.Lock_all(MPI.MODE_NOCHECK)
        self.capacity = capacity
        self._memories = [numpy.frombuffer(self._window.Shared_query(rank)[0],
                                           self.dtype, count=size)
                          for rank in range(self.node.Get_size())]

    def write(self, factors, examples):
        """Copy this rank's factors (a list of pairs) in (collective).

        ``None`` for a rank without examples: no rows.
        """
        if factors is None:
            factors = [(numpy.zeros((0, left)), numpy.zeros((0, right)))
                       for left, right in self.widths]
        rows = [numpy.shape(left)[0] for left, _ in factors]
        needed = self.node.allreduce(max(rows + [0]), op=require_mpi().MAX)
        if needed > self.capacity or self._window is None:
            self._allocate(max(needed, 2 * self.capacity))
        self.nbytes = self.dtype.itemsize * (1 + len(rows) + sum(
            count * (left + right)
            for count, (left, right) in zip(rows, self.widths)))
        memory = self._memories[self.node.Get_rank()]
        memory[0] = examples
        memory[1:1 + len(rows)] = rows
        start = 1 + len(self.widths)
        for (left, right), (left_width, right_width), count in zip(
                factors, self.widths, rows):
            for array, width in ((left, left_width), (right, right_width)):
                stop = start + self.capacity * width
                memory[start:start + count * width] = numpy.ravel(array)
                start = stop
        self._window.Sync()

    def read(self):
        """Every rank's factors and number of examples, by rank (after the
        reduction's barrier)."""
        self._window.Sync()
        factors = []
        for memory in self._memories:
            rows = memory[1:1 + len(self.widths)].astype(int)
            start, mine = 1 + len(self.widths), []
            for (left_width, right_width), count in zip(self.widths, rows):
                pair = []
                for width in (left_width, right_width):
                    pair.append(memory[start:start + count * width].reshape(
                        count, width))
                    start += self.capacity * width
                mine.append(tuple(pair))
            factors.append((mine, float(memory[0])))
        return factors

    def _release(self):
        if self._window is not None:
            self._memories = None
            self._window.Unlock_all()
            self._window.Free()
            self._window = None

    @property
    def is_open(self):
        return self in _open

    def free(self):
        """Free the window (collective)."""
        if self.is_open:
            _open.remove(self)
            self._release()


def shard_plan(updates, parameters, gradients):
    """The variables a sharded step keeps in shared memory, or ``None``.

    `updates` are the step's ``(variable, new value)`` pairs, in terms of
    the `gradients` of the `parameters`. ``None`` when the step is not
    row-local (see :func:`row_local`); otherwise the updated variables
    that have axes, in the order of `updates`.
    """
    shapes = {variable: numpy.shape(variable.get_value(borrow=True))
              for variable, _ in updates}
    for parameter, gradient in zip(parameters, gradients):
        shapes[gradient] = numpy.shape(parameter.get_value(borrow=True))
    _add_scalar_shared(shapes, [value for _, value in updates])
    for variable, value in updates:
        if not row_local(value, shapes[variable], shapes):
            return None
    return [variable for variable, _ in updates if shapes[variable] != ()]
