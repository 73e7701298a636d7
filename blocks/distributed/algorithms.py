"""Synchronous data-parallel gradient descent over MPI.

:class:`DataParallel` wraps a :class:`~blocks.algorithms.GradientDescent`
and splits its step in two compiled functions, built from the wrapped
algorithm's public attributes (``gradients``, ``parameters``, ``updates``,
``step_rule_updates``, ``theano_func_kwargs``):

1. on each worker, the gradients of the cost on the worker's shard of the
   batch, and the new values of the other updates (those extensions add);
2. one reduction (a sum over the workers) of all of them, fused in one
   buffer and weighted by the shard's number of examples: in shared memory
   among the workers of a machine (:mod:`blocks.distributed.shared`, into
   whose buffer the gradient function writes directly), with
   ``MPI_Allreduce`` otherwise;
3. on each worker, the step rule applied to the reduced gradients, and the
   reduced values of the other updates assigned.

Every worker applies the same step to the same numbers, so the parameters
stay identical (:meth:`DataParallel.check_parameters` verifies it).
"""
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Mapping

import numpy
import pytensor
from pytensor import tensor

from blocks.algorithms import GradientDescent, TrainingAlgorithm
from blocks.compile import pytensor_internals as internals
from blocks.distributed.mpi import FusedBuffer, allreduce, world
from blocks.distributed.extras import pack_extras, unpack_extras
from blocks.distributed.shared import (open_shared_reduction,
                                       two_ranks_on_one_node)
from blocks.distributed.sharding import (SharedFactors, ShardedStep,
                                         SharedVariables, gradient_factors,
                                         reduced_step, shard_plan)
from blocks.graph import ComputationGraph
from blocks.utils import compile_function

logger = logging.getLogger(__name__)

#: How the new value of an extra update (one that is neither a parameter's
#: nor the step rule's) combines across workers.
REDUCTIONS = ('mean', 'sum', 'min', 'max', 'local')

#: The engines that sum the fused buffer over the workers.
ENGINES = ('auto', 'shared', 'mpi')


def count_examples(batch):
    """The number of examples in a batch: the length of its first source.

    The default of :class:`DataParallel`'s ``count_examples``; it assumes
    the examples lie along the first axis (pass another function for
    time-major sequence batches, whose examples lie along the second).
    """
    first = next(iter(batch.values()))
    return int(numpy.shape(first)[0]) if numpy.ndim(first) else 1


class DataParallel(TrainingAlgorithm):
    """Make a gradient descent algorithm data-parallel over MPI ranks.

    Each worker (an MPI process) processes its shard of every batch (see
    :class:`fuel.schemes.ShardedScheme`); the gradients are summed over the
    workers in one fused allreduce, each weighted by its shard's number of
    examples, and divided by the batch's number of examples, which is the
    gradient one process computes on the whole batch when the cost is an
    average over the batch's examples (Blocks' costs are). Every worker
    then applies the same step rule to the same reduced gradients.

    Parameters
    ----------
    algorithm : :class:`~blocks.algorithms.GradientDescent`
        The algorithm to distribute. Its step rule must depend on the data
        only through the gradients (all of Blocks' step rules do).
    comm : ``mpi4py.MPI.Comm``, optional
        The communicator. Default: ``MPI.COMM_WORLD``. It is not pickled;
        an unpickled algorithm uses ``MPI.COMM_WORLD``.
    count_examples : callable, optional
        Maps a batch (a dict) to its number of examples. Default:
        :func:`count_examples`, the length of the first source.
    reductions : dict, optional
        Maps the shared variables of extra updates (those added with
        :meth:`add_updates`, or given to the algorithm as ``updates``) to
        how their new values combine: ``'mean'`` (default: the mean over
        the workers weighted by examples, right for quantities averaged
        over the batch, such as a monitored cost, a ``TakeLast``
        accumulator or batch normalization's population statistics),
        ``'sum'`` (the increments are summed: counters, sums over
        examples), ``'min'``, ``'max'``, or ``'local'`` (each worker keeps
        its own).
    reduction : {'auto', 'shared', 'mpi'}, optional
        How the fused buffer is summed over the workers. ``'shared'``: in
        MPI-3 shared memory among the workers of each machine (a
        reduce-scatter: worker ``r`` of a machine sums chunk ``r`` of all
        its neighbours' buffers, and sums it with the other machines'
        with an ``MPI_Allreduce`` among one worker per machine), see
        :mod:`blocks.distributed.shared`; the machines must run equal
        numbers of workers. ``'mpi'``: one ``MPI_Allreduce`` of the whole
        buffer. ``'auto'`` (default): ``'shared'`` where it is possible
        (an ``mpi4py`` communicator, equal numbers of workers per machine,
        shared windows available), ``'mpi'`` otherwise. The engine in use
        is :attr:`engine` once the first batch is processed.

    Notes
    -----
    The gradients are reduced in their own dtype (``floatX``); when extra
    updates are integers the fused buffer is float64. A worker whose shard
    of a batch is empty contributes zeros (its ``'min'`` and ``'max'``
    extras contribute their current values).

    The buffers are allocated at the first batch; with the shared engine
    they are shared-memory windows, freed by :meth:`close` (collective) or
    at exit. They are never pickled: an unpickled algorithm allocates them
    again at its first batch, for the workers it then runs on.

    Two workers on one machine share the step rule where it is row-local
    (:attr:`shard_step`): the parameters and the step rule's buffers then
    live once, in shared memory, each worker updating half of their rows;
    and the gradients of dense layers' weights travel as their factors
    (:attr:`exchange_factors`). See :mod:`blocks.distributed.sharding`.

    Examples
    --------
    Nothing talks to MPI before :meth:`initialize`:

    >>> from pytensor import tensor
    >>> from blocks.algorithms import Scale
    >>> from blocks.utils import shared_floatx
    >>> W = shared_floatx([1., 2.], name='W')
    >>> x = tensor.matrix('x')
    >>> cost = ((x - W) ** 2).sum(axis=1).mean()
    >>> algorithm = DataParallel(GradientDescent(
    ...     cost=cost, parameters=[W], step_rule=Scale(0.1)))
    >>> algorithm.parameters == [W], algorithm.initialized
    (True, False)

    """
    def __init__(self, algorithm, comm=None, count_examples=count_examples,
                 reductions=None, reduction='auto'):
        if not isinstance(algorithm, GradientDescent):
            raise TypeError('algorithm must be a GradientDescent, got {!r}'
                            .format(algorithm))
        if not callable(count_examples):
            raise TypeError('count_examples must be callable, got {!r}'
                            .format(count_examples))
        if reductions is not None and not isinstance(reductions, Mapping):
            raise TypeError('reductions must be a dict, got {!r}'
                            .format(reductions))
        if reduction not in ENGINES:
            raise ValueError('reduction must be one of {}, got {!r}'.format(
                ', '.join(map(repr, ENGINES)), reduction))
        reductions = dict(reductions or {})
        for variable, combination in reductions.items():
            if combination not in REDUCTIONS:
                raise ValueError(
                    'reductions[{}] must be one of {}, got {!r}'.format(
                        variable, ', '.join(map(repr, REDUCTIONS)),
                        combination))
        self.algorithm = algorithm
        self._comm = comm
        self.count_examples = count_examples
        self.reductions = reductions
        self.reduction = reduction
        self._gradients_function = None
        self._shared = None
        self._step_function = None
        self._step_shards = self._factor_window = None

    #: With two workers on one machine, whether the step function sums the
    #: two workers' gradients itself (one barrier per step, and no pass of
    #: its own for the sum) rather than a reduce-scatter (see
    #: :mod:`blocks.distributed.shared`).
    fuse_sum_of_two = True

    #: With the sum fused into the step function, whether the workers keep
    #: one copy of the parameters (and of the step rule's buffers) in
    #: shared memory and each update their rows of it, where the step is
    #: row-local (see :mod:`blocks.distributed.sharding`).
    shard_step = True

    #: With the sharded step, whether the gradients of dense layers'
    #: weights travel as their two factors rather than as matrices (see
    #: :mod:`blocks.distributed.sharding`).
    exchange_factors = True

    #: For the tests: the workers pretend to lie on this many machines
    #: (consecutive ranks together), to run the multi-node path of the
    #: shared-memory reduction on one machine.
    _simulated_nodes = None

    #: How many gradients the last step's gradient function wrote straight
    #: into the fused buffer (the others are copied there): the matrix
    #: products of the C mode do, FAST_COMPILE's Python ones do not.
    in_place_gradients = 0

    # The main loop and extensions talk to the algorithm as to the wrapped
    # one: the updates, the inputs and the checks of the batches.
    @property
    def comm(self):
        """The communicator (``MPI.COMM_WORLD`` unless given)."""
        if self._comm is None:
            self._comm = world()
        return self._comm

    @property
    def updates(self):
        return self.algorithm.updates

    @updates.setter
    def updates(self, value):
        self.algorithm.updates = value
        self._gradients_function = None

    def add_updates(self, updates):
        """Add updates, combined over the workers by :attr:`reductions`."""
        self.algorithm.add_updates(updates)
        self._gradients_function = None

    @property
    def parameters(self):
        return self.algorithm.parameters

    @property
    def inputs(self):
        return getattr(self.algorithm, 'inputs', None)

    @property
    def theano_func_kwargs(self):
        return self.algorithm.theano_func_kwargs

    @property
    def on_unused_sources(self):
        return self.algorithm.on_unused_sources

    def _validate_source_names(self, batch):
        self.algorithm._validate_source_names(batch)

    def _validate_batch(self, batch):
        self.algorithm._validate_batch(batch)

    @property
    def initialized(self):
        return self._gradients_function is not None

    def _split_updates(self):
        """The step's updates and the extra ones, from the public lists."""
        step_variables = set(self.algorithm.parameters)
        step_variables.update(variable for variable, _ in
                              self.algorithm.step_rule_updates)
        step, extra = [], []
        for variable, value in self.algorithm.updates:
            (step if variable in step_variables else extra).append(
                (variable, value))
        return step, extra

    def initialize(self, batch=None):
        """Compile the gradient function and the step function."""
        algorithm = self.algorithm
        if batch is not None:
            self._validate_batch(batch)
        parameters = algorithm.parameters
        gradients = [algorithm.gradients[parameter]
                     for parameter in parameters]
        step_updates, extra_updates = self._split_updates()
        self._extra_variables = [variable for variable, _ in extra_updates]
        self._extra_reductions = [self.reductions.get(variable, 'mean')
                                  for variable in self._extra_variables]
        # Where two workers on one machine share a row-local step, the
        # dense layers' gradients travel as their factors (see
        # blocks.distributed.sharding).
        self._plan = self._factors = None
        if self.shard_step and self.fuse_sum_of_two:
            self._plan = shard_plan(step_updates, parameters, gradients)
        if (self._plan is not None and self.exchange_factors and
                self._two_on_one_node()):
            self._factors = gradient_factors(
                parameters, gradients, self._plan, pytensor.config.floatX)
        factors = self._factors or {}
        reduced = [index for index in range(len(gradients))
                   if index not in factors]

        # 1. The gradients (or the right factors) times the shard's number
        # of examples (the product folds into the graph, often into the
        # matrix products), and the extra updates' new values, per worker.
        local_outputs = ([gradients[index] for index in reduced] +
                         [factor for left, right, _ in factors.values()
                          for factor in (left, right)] +
                         [value for _, value in extra_updates])
        self._data_inputs = ComputationGraph(local_outputs).inputs
        examples = tensor.scalar('shard_examples', dtype='float64')

        def weighted(variable):
            return variable * tensor.cast(examples, variable.dtype)
        local_outputs = [weighted(gradients[index]) for index in reduced]
        for left, right, _ in factors.values():
            # Weighted in the step (weighted here, the product that
            # computes the right factor would be computed twice).
            local_outputs.extend([left, right])
        local_outputs.extend(value for _, value in extra_updates)
        self._input_names = [variable.name for variable in self._data_inputs]
        if getattr(algorithm, 'inputs', None) is None:
            # The batches are checked against the wrapped algorithm's
            # inputs, which its own initialize would have set.
            algorithm.inputs = list(self._data_inputs)
        # The gradients are borrowed: before every call, their output
        # storage is given the views of the fused buffer, which the C
        # implementations of the matrix products (and of most elementwise
        # operations) write into rather than into new arrays.
        local_outputs = [pytensor.Out(gradient, borrow=True)
                         for gradient in local_outputs[:len(reduced)]] + \
            local_outputs[len(reduced):]
        logger.debug('Compiling the data-parallel gradient function')
        self._gradients_function = compile_function(
            self._data_inputs + [examples], local_outputs,
            description='the data-parallel gradient function',
            **algorithm.theano_func_kwargs)

        # 2. The step function is compiled with the fused buffer, at the
        # first step, when the engine is known; the step rule is checked
        # now.
        self._gradients = gradients
        self._step_updates = step_updates
        self._step_function = None
        self._step_graph(1)

        self._summed = [index for index, reduction
                        in enumerate(self._extra_reductions)
                        if reduction in ('mean', 'sum')]
        # The gradients the fused buffer carries.
        self._gradient_dtypes = [gradients[index].dtype for index in reduced]
        self._gradient_shapes = [
            parameters[index].get_value(borrow=True).shape
            for index in reduced]
        # The extra values' shapes are known once computed (aggregation
        # accumulators change shape when reset): the workers agree on them
        # at the first step, when the fused buffer is built.
        self._fused = None
        self._seeded = []

    def _step_graph(self, copies):
        """The step function's inputs and updates.

        The step rule applied to the sum of `copies` gradients (the
        workers', in rank order) divided by the batch's number of examples
        (folded into the step's elementwise loops), and the reduced extra
        values assigned.
        """
        inputs, total, values = reduced_step(
            self._step_updates, self.algorithm.parameters, self._gradients,
            copies)
        extra_inputs, extra_updates = self._extra_step()
        updates = [(variable, value) for (variable, _), value
                   in zip(self._step_updates, values)] + extra_updates
        return inputs + [total] + extra_inputs, updates

    def _extra_step(self):
        """The inputs of the extra updates' reduced values, and the updates."""
        inputs = [variable.type('reduced_' + (variable.name or 'extra'))
                  for variable in self._extra_variables]
        return inputs, list(zip(self._extra_variables, inputs))

    def _compile_step(self, copies):
        inputs, updates = self._step_graph(copies)
        logger.debug('Compiling the data-parallel step function')
        self._step_function = compile_function(
            inputs, [], updates=updates,
            description='the data-parallel step function',
            **self.algorithm.theano_func_kwargs)

    def _build_buffer(self, news):
        """Agree on the extra values' shapes, and build the fused buffer."""
        local = None if news is None else [numpy.shape(news[index])
                                           for index in self._summed]
        shapes = next((shapes for shapes in self.comm.allgather(local)
                       if shapes is not None), None)
        if shapes is None:
            raise ValueError('the first batch is empty on every worker')
        dtype = numpy.result_type(
            numpy.float32, *self._gradient_dtypes +
            [variable.dtype for variable in self._extra_variables])
        self._extra_shapes = shapes
        shapes = self._gradient_shapes + shapes
        length = sum(int(numpy.prod(shape, dtype=numpy.int64))
                     for shape in shapes) + 1
        plan = self._plan
        shared = self._shared_reduction(length, dtype,
                                        double_buffered=plan is None)
        if self._factors and (shared is None or not shared.fused):
            raise RuntimeError(
                'two workers on one machine, but no shared-memory reduction '
                '(see the log); set DataParallel.shard_step = False')
        if shared is None:
            self._fused = FusedBuffer(shapes, dtype, extra=1)
        else:
            self._fused = FusedBuffer(shapes, dtype, extra=1,
                                      buffer=shared.send,
                                      result=shared.result)
        fused = self._fused
        count = len(self._gradient_shapes)
        # By set of segments (they alternate when the sum is fused into
        # the step function) and by rank, the gradients' views.
        sets = [[fused.buffer]] if shared is None else shared.segments
        self._segment_gradients = [
            [fused.unpack(segment)[:count] for segment in segments]
            for segments in sets]
        self._reduced = fused.unpack(fused.result)
        # The gradient function's outputs that can be written in place.
        seedable = internals.output_containers(
            self._gradients_function) is not None
        self._seeded = [index for index, gradient_dtype
                        in enumerate(self._gradient_dtypes)
                        if seedable and gradient_dtype == fused.dtype]
        if shared is not None and shared.fused and plan is not None:
            self._compile_sharded_step(shared, plan)
        else:
            self._compile_step(2 if shared is not None and shared.fused
                               else 1)
        logger.info('Data-parallel training on %d workers; %d bytes are '
                    'reduced per step (%s)', self.comm.Get_size(),
                    fused.nbytes, self.engine)

    def _compile_sharded_step(self, shared, plan):
        extra_inputs, extra_updates = self._extra_step()
        parameters = self.algorithm.parameters
        self._step_shards = SharedVariables(shared.node, plan)
        if self._factors:
            self._factor_window = SharedFactors(
                shared.node, [parameters[index].get_value(borrow=True).shape
                              for index in self._factors],
                pytensor.config.floatX)
        self._step_function = ShardedStep(
            self._step_shards, self._step_updates, parameters,
            self._gradients, shared.node.Get_size(), extra_inputs,
            extra_updates, factored=OrderedDict(
                (index, rest) for index, (_, _, rest)
                in (self._factors or {}).items()),
            **self.algorithm.theano_func_kwargs)

    def _two_on_one_node(self):
        """Whether the workers are two, on one machine (collective)."""
        return (self.reduction != 'mpi' and not self._simulated_nodes and
                two_ranks_on_one_node(self.comm))

    def _shared_reduction(self, length, dtype, double_buffered=True):
        """The shared-memory reduction for `length` elements, or ``None``.

        Reuses the current one when it fits, frees it otherwise.
        """
        shared = self._shared
        if shared is not None:
            if (shared.is_open and shared.length == length and
                    shared.dtype == numpy.dtype(dtype) and
                    (len(shared.segments) == 2) == (
                        shared.fused and double_buffered)):
                return shared
            self.close()
        # The sum fused into the step function (for two workers on one
        # machine) needs the gradients in the buffer's dtype.
        fused = self.fuse_sum_of_two and all(
            numpy.dtype(gradient_dtype) == numpy.dtype(dtype)
            for gradient_dtype in self._gradient_dtypes)
        node_color = None
        if self._simulated_nodes:
            node_color = self.comm.Get_rank() // max(
                1, self.comm.Get_size() // self._simulated_nodes)
        self._shared = open_shared_reduction(
            self.comm, length, dtype, self.reduction, fused=fused,
            node_color=node_color, double_buffered=double_buffered,
            tail=length - 1 - sum(
                int(numpy.prod(shape, dtype=numpy.int64))
                for shape in self._extra_shapes))
        return self._shared

    def _sent_gradients(self):
        """The views of this worker's buffer, shaped as the gradients."""
        shared = self._shared
        if shared is None:
            return self._segment_gradients[0][0]
        return self._segment_gradients[shared.parity][
            shared.node.Get_rank()]

    @property
    def engine(self):
        """How the gradients are summed: ``'shared'``, ``'mpi'``, or
        ``None`` before the first batch."""
        if getattr(self, '_fused', None) is None:
            return None
        return 'mpi' if self._shared is None else 'shared'

    def close(self):
        """Free the shared-memory windows (collective).

        The windows still open at exit are freed then; call this to return
        their memory earlier. The next batch allocates them again.
        """
        self._unseed()
        self._seeded = []
        self._fused = None
        self._segment_gradients = self._reduced = None
        if self._step_shards is not None:
            self._step_shards.free()
            self._step_shards = None
            self._step_function = None
        if self._factor_window is not None:
            self._factor_window.free()
            self._factor_window = None
        if self._shared is not None:
            self._shared.free()
            self._shared = None

    def _unseed(self):
        function = self._gradients_function
        storage = internals.output_containers(function)
        if storage is not None:
            for index in getattr(self, '_seeded', ()):
                storage[index].storage[0] = None

    def process_batch(self, batch):
        """Train on this worker's shard of a batch (collective)."""
        if self._gradients_function is None:
            self.initialize()
        examples = self.count_examples(batch)
        if self._step_shards is not None:
            # Values replaced since the last step go to shared memory.
            self._step_shards.attach()
        olds = [variable.get_value(borrow=True)
                for variable in self._extra_variables]
        if examples:
            self._validate_source_names(batch)
            function = self._gradients_function
            if self._seeded:
                storage = internals.output_containers(function)
                sent = self._sent_gradients()
                for index in self._seeded:
                    storage[index].storage[0] = sent[index]
            outputs = function(
                *[batch[name] for name in self._input_names] +
                [float(examples)])
        else:
            outputs = None
        reduced = len(self._gradient_shapes)
        factored = len(self._factors or ())
        news = (None if outputs is None else
                outputs[reduced + 2 * factored:])
        if self._fused is None:
            self._build_buffer(news)
        fused = self._fused
        if self._shared is not None:
            # The set of segments written at this step.
            fused.buffer = self._shared.send
        if outputs is None:
            fused.zero(extra=[0])
            news = olds
        else:
            for index, shape in zip(self._summed, self._extra_shapes):
                if numpy.shape(news[index]) != shape:
                    raise ValueError(
                        'the new value of {} changed shape, from {} to {}; '
                        "give it the reduction 'local', 'min' or 'max'"
                        .format(self._extra_variables[index], shape,
                                numpy.shape(news[index])))
            # The gradients come weighted by the shard's number of
            # examples (those not computed in place are copied); 'mean'
            # extras are weighted here, 'sum' extras contribute their
            # increment.
            in_place = 0
            for output, view in zip(outputs, self._sent_gradients()):
                if output is view:
                    in_place += 1
                else:
                    view[...] = output
            self.in_place_gradients = in_place
            fused.buffer[-1] = examples
            pack_extras(fused.buffer, fused.offsets[reduced:], self._summed,
                        self._extra_reductions, news, olds, examples)
        if self._factor_window is not None:
            self._factor_window.write(
                None if outputs is None else
                list(zip(outputs[reduced:reduced + 2 * factored:2],
                         outputs[reduced + 1:reduced + 2 * factored:2])),
                examples)
        shared = self._shared
        if shared is None:
            result = allreduce(self.comm, fused.buffer, fused.result)
            unpacked = fused.unpack(result)
        elif shared.fused:
            parity = shared.parity
            shared.reduce()
            result = fused.result
            unpacked = self._reduced
        else:
            result = shared.reduce()
            unpacked = self._reduced
        total = fused.extra_values(result)[0]
        if not total:
            raise ValueError('the batch is empty on every worker')
        if shared is not None and shared.fused:
            # The step function sums the workers' gradients itself.
            summed_gradients = sum(self._segment_gradients[parity], [])
        else:
            summed_gradients = [
                array.astype(dtype, copy=False)
                for array, dtype in zip(unpacked[:reduced],
                                        self._gradient_dtypes)]
        extras = unpack_extras(unpacked[reduced:], self._summed,
                               self._extra_reductions, self._extra_variables,
                               news, olds, total, self.comm)
        if self._step_shards is None:
            self._step_function(*(summed_gradients + [float(total)] +
                                  extras))
        else:
            self._step_function(
                self._segment_gradients[parity], float(total), extras,
                None if self._factor_window is None else
                self._factor_window.read())
            # Every worker's rows are written before anyone reads them.
            self._step_shards.synchronize()

    def check_parameters(self):
        """Raise if the parameters differ between the workers (collective).

        Compares a SHA-256 digest of every parameter's bytes (and of the
        step rule's state) across the workers; cheap enough to call every
        few hundred steps.
        """
        digest = hashlib.sha256()
        variables = list(self.algorithm.parameters) + [
            variable for variable, _ in self.algorithm.step_rule_updates]
        for variable in variables:
            digest.update(numpy.ascontiguousarray(
                variable.get_value(borrow=True)).tobytes())
        digests = self.comm.allgather(digest.hexdigest())
        if len(set(digests)) != 1:
            raise RuntimeError(
                'the parameters differ between the workers (digests by '
                'rank: {}); the workers no longer train the same model'
                .format(digests))
        return digests[0]

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ('_gradients_function', '_step_function'):
            state[name] = None
        state['_comm'] = None
        # The buffers (views of shared windows) are rebuilt at the first
        # batch after unpickling.
        state['_shared'] = state['_step_shards'] = None
        state['_factor_window'] = None
        for name in ('_fused', '_data_inputs', '_input_names',
                     '_extra_variables', '_extra_reductions', '_summed',
                     '_gradient_dtypes', '_gradient_shapes',
                     '_extra_shapes', '_seeded', '_segment_gradients',
                     '_reduced', '_gradients', '_step_updates', '_plan',
                     '_factors'):
            state.pop(name, None)
        return state

    def __getattr__(self, name):
        # Attributes of the wrapped algorithm (cost, step_rule, steps,
        # total_gradient_norm...) read through; never during unpickling.
        if name.startswith('__') or 'algorithm' not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__['algorithm'], name)
