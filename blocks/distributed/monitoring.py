"""Monitoring over a sharded data stream, aggregated across the workers.

:class:`DistributedDatasetEvaluator` is what
:func:`~blocks.distributed.data_parallel` makes every
:class:`~blocks.extensions.monitoring.DataStreamMonitoring` use: each
worker evaluates its shard of every batch, and the aggregation buffers'
accumulators are combined across the workers before the readout, so every
worker logs the numbers one process would compute on the whole stream.
"""
import logging
import warnings

import numpy
import pytensor
from pytensor.graph.basic import Variable

from blocks.distributed.algorithms import count_examples
from blocks.distributed.mpi import world
from blocks.monitoring.aggregation import Maximum, Minimum, mean
from blocks.monitoring.evaluators import DatasetEvaluator

logger = logging.getLogger(__name__)


def _reduction(accumulator):
    """How an aggregation accumulator combines across workers, by name."""
    name = accumulator.name or ''
    suffix = name.rsplit('_', 1)[-1]
    if suffix in ('numerator', 'denominator'):
        return 'sum'
    if suffix == Minimum.suffix:
        return 'min'
    if suffix == Maximum.suffix:
        return 'max'
    if suffix == 'concatenated':
        return 'concatenate'
    if suffix == 'last':
        return 'rank0'
    raise ValueError('do not know how to combine the aggregation accumulator '
                     '{!r} across workers'.format(name))


def _combine(values, reduction):
    """Combine the accumulators' values of every worker, in rank order."""
    if reduction == 'rank0':
        return values[0]
    if reduction == 'concatenate':
        return numpy.concatenate(values)
    present = [value for value in values if value.shape[:1] != (0,)]
    if not present:
        return values[0]
    if reduction == 'sum':
        total = present[0].copy()
        for value in present[1:]:
            total = total + value
        return total
    combine = numpy.minimum if reduction == 'min' else numpy.maximum
    result = present[0]
    for value in present[1:]:
        result = combine(result, value)
    return result


class DistributedDatasetEvaluator(DatasetEvaluator):
    """A :class:`~blocks.monitoring.evaluators.DatasetEvaluator` whose
    aggregates cover every worker's shard (collective).

    The accumulators of :func:`~blocks.monitoring.aggregation.mean`
    (numerators, denominators) are summed across the workers, those of
    ``minimum`` and ``maximum`` reduced with min and max. A variable
    without an aggregation scheme is averaged over batches, as in one
    process: each worker weighs its shard's value by its share of the
    batch's examples, so the batch's value is the one one process computes
    (for a quantity averaged over the batch's examples, as Blocks' costs
    are). ``take_last`` reports rank 0's shard of the last batch and
    ``concatenate`` concatenates in rank order; monitored quantities that
    are not PyTensor variables are computed on each worker's shards alone.

    Parameters
    ----------
    variables, updates, compile_kwargs
        As for :class:`~blocks.monitoring.evaluators.DatasetEvaluator`.
    count_examples : callable, optional
        Maps a batch to its number of examples (default: the length of the
        first source).
    comm : ``mpi4py.MPI.Comm``, optional
        Default: ``MPI.COMM_WORLD``.

    """
    def __init__(self, variables, updates=None, compile_kwargs=None,
                 count_examples=count_examples, comm=None):
        self._weight = pytensor.shared(
            numpy.asarray(1., dtype=pytensor.config.floatX),
            name='shard_weight')
        rewritten = []
        for variable in variables:
            if (isinstance(variable, Variable) and
                    getattr(variable.tag, 'aggregation_scheme', None) is None
                    and _has_inputs(variable)):
                numerator = variable * self._weight
                numerator.name = variable.name
                weighted = mean(numerator, self._weight)
                weighted.name = variable.name
                rewritten.append(weighted)
            else:
                if not isinstance(variable, Variable):
                    warnings.warn(
                        '{!r} is not a PyTensor variable; data-parallel '
                        'monitoring computes it on each worker\'s shard '
                        'alone'.format(getattr(variable, 'name', variable)))
                rewritten.append(variable)
        super().__init__(rewritten, updates, compile_kwargs=compile_kwargs)
        self.count_examples = count_examples
        self._comm = comm

    @property
    def comm(self):
        return world() if self._comm is None else self._comm

    def process_batch(self, batch):
        """Fold this worker's shard of a batch in (collective)."""
        examples = self.count_examples(batch)
        total = self.comm.allreduce(examples)
        if not examples:
            return
        self._weight.set_value(numpy.asarray(
            examples / total, dtype=self._weight.dtype))
        super().process_batch(batch)

    def get_aggregated_values(self):
        """Combine the accumulators across workers, then read them out."""
        accumulators = [variable for variable, _ in
                        self.theano_buffer.initialization_updates]
        reductions = [_reduction(variable) for variable in accumulators]
        local = [variable.get_value() for variable in accumulators]
        gathered = self.comm.allgather(local)
        for index, (variable, reduction) in enumerate(
                zip(accumulators, reductions)):
            values = [worker[index] for worker in gathered]
            variable.set_value(numpy.asarray(
                _combine(values, reduction), dtype=variable.dtype))
        return super().get_aggregated_values()

    def __getstate__(self):
        state = super().__getstate__()
        state['_comm'] = None
        return state


def _has_inputs(variable):
    """Whether the variable depends on data (has non-shared inputs)."""
    from blocks.graph import ComputationGraph
    return bool(ComputationGraph([variable]).inputs)
