"""How monitored quantities are aggregated over the batches of a data stream.

A variable to monitor may carry an aggregation scheme in
``variable.tag.aggregation_scheme``. The scheme makes an
:class:`Aggregator`: shared variables (accumulators) with the updates that
reset them and the updates that fold in one batch, plus the variable that
reads the aggregated value out. A variable without a scheme is averaged
over batches (:class:`Mean` of the variable and 1), or, when it does not
depend on the data, read once (:class:`_DataIndependent`).

Quantities computed in Python rather than in the graph (BLEU, for instance)
are :class:`MonitoredQuantity` objects.

"""
import numbers
from abc import ABC, abstractmethod

import numpy
import pytensor
from pytensor import tensor
from pytensor.graph.basic import Variable

from blocks.utils import unbroadcast


def _as_variable(value):
    """A tensor variable for `value` (Python numbers: floatX constants)."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return tensor.constant(value, dtype=pytensor.config.floatX)
    return tensor.as_tensor_variable(value)


def _shared(name, suffix, ndim, dtype):
    """An empty shared variable (no static shape) to aggregate in."""
    name = '{}_{}'.format(name, suffix) if name else suffix
    return pytensor.shared(numpy.zeros((0,) * ndim, dtype=dtype), name=name)


def _rows(variable, name, suffix, dtype=None):
    """A shared variable holding zero or one value of `variable`.

    It has an extra first axis, of length 0 after a reset and 1 once a
    batch was folded in, so that :func:`_stacked` treats the first batch
    like the others without an ``ifelse`` (some modes, Numba's among them,
    evaluate both of its branches) and without runtime broadcasting, which
    PyTensor refuses.

    """
    return _shared(name, suffix, variable.ndim + 1, dtype or variable.dtype)


def _reset(storage):
    """The update that empties a storage."""
    return storage, tensor.zeros((0,) * storage.ndim, dtype=storage.dtype)


def _stacked(storage, value):
    """The rows of `storage` and `value`, stacked along the first axis."""
    value = tensor.cast(value, storage.dtype)
    previous = storage.reshape(
        [-1] + [value.shape[axis] for axis in range(value.ndim)],
        ndim=value.ndim + 1)
    return tensor.concatenate([previous, tensor.shape_padleft(value)])


def _update(storage, value):
    """An update pair; PyTensor refuses static length-1 axes in the value."""
    return storage, unbroadcast(value)


def _first_row(storage, default):
    """The first row of a storage, or `default` when it is empty."""
    fallback = tensor.alloc(numpy.asarray(default, dtype=storage.dtype), 1,
                            *[storage.shape[axis]
                              for axis in range(1, storage.ndim)])
    return tensor.concatenate([storage, fallback])[0]


def _sum_dtype(variable):
    """Integer and boolean variables are summed in ``int64``."""
    dtype = variable.dtype
    if dtype == 'bool' or dtype.startswith(('int', 'uint')):
        return 'int64'
    return dtype


class AggregationScheme(ABC):
    """How to incrementally evaluate a PyTensor variable over batches.

    An AggregationScheme allocates :class:`Aggregator` objects that can
    incrementally compute the value of a variable over several batches.

    Parameters
    ----------
    variable : :class:`~pytensor.tensor.TensorVariable`
        The variable that holds the desired value on a single batch.

    """
    def __init__(self, variable):
        self.variable = variable

    @abstractmethod
    def get_aggregator(self):
        """Return a new :class:`Aggregator` for this scheme.

        Each call creates new accumulators.

        """


class Aggregator:
    """An incremental computation of a value over batches.

    Parameters
    ----------
    aggregation_scheme : :class:`AggregationScheme`
        The aggregation scheme that constructed this Aggregator.
    initialization_updates : list of (shared variable, expression) pairs
        Updates that reset the accumulators; run them before a new
        aggregation starts.
    accumulation_updates : list of (shared variable, expression) pairs
        Updates that fold one batch into the accumulators; run them on
        every batch.
    readout_variable : :class:`~pytensor.tensor.TensorVariable`
        The aggregated value, computed from the accumulators alone (it
        needs no data).

    """
    def __init__(self, aggregation_scheme, initialization_updates=None,
                 accumulation_updates=None, readout_variable=None):
        self.aggregation_scheme = aggregation_scheme
        self.readout_variable = readout_variable
        self.initialization_updates = list(initialization_updates or [])
        self.accumulation_updates = list(accumulation_updates or [])


class Mean(AggregationScheme):
    """Aggregation scheme which computes the mean.

    The aggregated value is the sum of the numerators over all batches
    divided by the sum of the denominators.

    Parameters
    ----------
    numerator : :class:`~pytensor.tensor.TensorVariable`
        The numerator of the mean on one batch (for instance the sum of
        the per-example costs).
    denominator : :class:`~pytensor.tensor.TensorVariable` or number
        The denominator on one batch (for instance the number of
        examples); ``1`` averages the numerator over batches.

    Examples
    --------
    >>> from blocks.utils import compile_function
    >>> x = tensor.vector('x')
    >>> aggregator = Mean(x.sum(), x.shape[0]).get_aggregator()
    >>> reset = compile_function([], [],
    ...                          updates=aggregator.initialization_updates)
    >>> accumulate = compile_function(
    ...     [x], [], updates=aggregator.accumulation_updates)
    >>> _ = reset()
    >>> for batch in ([1., 2.], [3., 4., 5., 6.]):
    ...     _ = accumulate(numpy.asarray(batch, dtype=x.dtype))
    >>> float(aggregator.readout_variable.eval())
    3.5

    """
    def __init__(self, numerator, denominator):
        super().__init__(None)
        self.numerator = numerator
        self.denominator = denominator

    def get_aggregator(self):
        numerator = _as_variable(self.numerator)
        denominator = _as_variable(self.denominator)
        name = getattr(self.numerator, 'name', None)
        numerator_acc = _rows(numerator, name, 'numerator',
                              _sum_dtype(numerator))
        denominator_acc = _rows(denominator, name, 'denominator',
                                _sum_dtype(denominator))
        initialization_updates = [_reset(numerator_acc),
                                  _reset(denominator_acc)]
        accumulation_updates = [
            _update(acc, _stacked(acc, value).sum(
                axis=0, keepdims=True, dtype=acc.dtype))
            for acc, value in [(numerator_acc, numerator),
                               (denominator_acc, denominator)]]
        # Before any batch: 0 / 0.
        readout = (numerator_acc.sum(axis=0, dtype=numerator_acc.dtype) /
                   denominator_acc.sum(axis=0, dtype=denominator_acc.dtype))
        return Aggregator(aggregation_scheme=self,
                          initialization_updates=initialization_updates,
                          accumulation_updates=accumulation_updates,
                          readout_variable=readout)


def mean(numerator, denominator=1.):
    """Mean of quantity (numerator) over a number (denominator) values.

    Returns ``numerator / denominator`` (its value on one batch), tagged
    with the :class:`Mean` aggregation scheme: monitored over several
    batches, its value is the sum of the numerators divided by the sum of
    the denominators, so ``mean(costs.sum(), costs.shape[0])`` weighs
    every example alike whatever the batch sizes.

    Parameters
    ----------
    numerator : :class:`~pytensor.tensor.TensorVariable`
        Its name becomes the name of the result.
    denominator : :class:`~pytensor.tensor.TensorVariable` or number

    Examples
    --------
    >>> costs = tensor.vector('costs')
    >>> cost = mean(costs.sum(), costs.shape[0])
    >>> cost.name, type(cost.tag.aggregation_scheme).__name__
    (None, 'Mean')
    >>> errors = tensor.vector('errors')
    >>> mean(errors.sum(), 4).eval({errors: [1., 1., 0., 0.]}).tolist()
    0.5

    """
    numerator = tensor.as_tensor_variable(numerator)
    variable = numerator / denominator
    variable.tag.aggregation_scheme = Mean(numerator, denominator)
    variable.name = numerator.name
    return variable


class Perplexity(Mean):
    """Aggregation scheme for perplexity: the exponential of a mean.

    Parameters
    ----------
    log_likelihood : :class:`~pytensor.tensor.TensorVariable`
        The sum of the negative log-likelihoods (in nats) of the tokens of
        one batch.
    n_examples : :class:`~pytensor.tensor.TensorVariable` or number
        The number of tokens they were summed over.

    Notes
    -----
    Over several batches, the perplexity is ``exp`` of the summed
    negative log-likelihoods divided by the summed token counts: every
    token weighs alike, whatever the batch sizes.

    """
    def get_aggregator(self):
        aggregator = super().get_aggregator()
        aggregator.readout_variable = tensor.exp(aggregator.readout_variable)
        return aggregator


def perplexity(log_likelihood, n_examples):
    """The perplexity of one batch, aggregated as :class:`Perplexity`.

    Parameters
    ----------
    log_likelihood : :class:`~pytensor.tensor.TensorVariable`
        The sum of the negative log-likelihoods of the batch's tokens.
    n_examples : :class:`~pytensor.tensor.TensorVariable` or number
        The number of tokens.

    Examples
    --------
    A model that gives every token of a 4-symbol alphabet probability
    1/4 has perplexity 4:

    >>> costs = tensor.vector('costs')
    >>> value = perplexity(costs.sum(), costs.shape[0])
    >>> round(float(value.eval({costs: numpy.log([4., 4., 4.])})), 6)
    4.0

    """
    log_likelihood = tensor.as_tensor_variable(log_likelihood)
    variable = tensor.exp(log_likelihood / n_examples)
    variable.tag.aggregation_scheme = Perplexity(log_likelihood, n_examples)
    variable.name = log_likelihood.name
    return variable


class _DataIndependent(AggregationScheme):
    """Dummy aggregation scheme for values that don't depend on data.

    The readout is the variable itself, evaluated when the aggregated
    value is read.

    """
    def get_aggregator(self):
        return Aggregator(aggregation_scheme=self,
                          initialization_updates=[],
                          accumulation_updates=[],
                          readout_variable=self.variable)


class TakeLast(AggregationScheme):
    """Aggregation scheme which remembers only the last value.

    Examples
    --------
    >>> from blocks.utils import compile_function
    >>> x = tensor.vector('x')
    >>> aggregator = TakeLast(x.max()).get_aggregator()
    >>> accumulate = compile_function(
    ...     [x], [], updates=aggregator.accumulation_updates)
    >>> for batch in ([1., 7.], [3., 4.]):
    ...     _ = accumulate(numpy.asarray(batch, dtype=x.dtype))
    >>> aggregator.readout_variable.get_value().tolist()
    4.0

    """
    def get_aggregator(self):
        variable = tensor.as_tensor_variable(self.variable)
        storage = _shared(variable.name, 'last', variable.ndim,
                          variable.dtype)
        return Aggregator(
            aggregation_scheme=self,
            initialization_updates=[(storage, tensor.zeros_like(storage))],
            accumulation_updates=[_update(storage, variable)],
            readout_variable=storage)


class _Extremum(AggregationScheme):
    """Keep the elementwise extremum of the batch values seen so far.

    The storage is emptied on reset rather than set to an initial value
    (zero could be smaller, or larger, than every value), so the first
    batch's value is taken as it is. Before any batch the readout is NaN
    (zero for integers).

    """
    reduction = None
    suffix = None

    def get_aggregator(self):
        variable = tensor.as_tensor_variable(self.variable)
        storage = _rows(variable, variable.name, self.suffix)
        stacked = _stacked(storage, variable)
        extremum = getattr(stacked, self.reduction)(axis=0, keepdims=True)
        default = numpy.nan if storage.dtype.startswith('float') else 0
        return Aggregator(aggregation_scheme=self,
                          initialization_updates=[_reset(storage)],
                          accumulation_updates=[_update(storage, extremum)],
                          readout_variable=_first_row(storage, default))


class Minimum(_Extremum):
    """Aggregation scheme which remembers only the minimum value.

    For non-scalar variables the minimum is taken elementwise; the shape
    must be the same on every batch.

    Examples
    --------
    >>> from blocks.utils import compile_function
    >>> x = tensor.vector('x')
    >>> aggregator = Minimum(x.min()).get_aggregator()
    >>> accumulate = compile_function(
    ...     [x], [], updates=aggregator.accumulation_updates)
    >>> for batch in ([5., 7.], [3., 4.], [6., 8.]):
    ...     _ = accumulate(numpy.asarray(batch, dtype=x.dtype))
    >>> float(aggregator.readout_variable.eval())
    3.0

    """
    reduction = 'min'
    suffix = 'minimum'


class Maximum(_Extremum):
    """Aggregation scheme which remembers only the maximum value.

    For non-scalar variables the maximum is taken elementwise; the shape
    must be the same on every batch.

    Examples
    --------
    >>> from blocks.utils import compile_function
    >>> x = tensor.vector('x')
    >>> aggregator = Maximum(x.max()).get_aggregator()
    >>> accumulate = compile_function(
    ...     [x], [], updates=aggregator.accumulation_updates)
    >>> for batch in ([-5., -7.], [-3., -4.], [-6., -8.]):
    ...     _ = accumulate(numpy.asarray(batch, dtype=x.dtype))
    >>> float(aggregator.readout_variable.eval())
    -3.0

    """
    reduction = 'max'
    suffix = 'maximum'


class Concatenate(AggregationScheme):
    """Aggregation scheme which remembers values from all batches.

    The values of the batches are concatenated along the first axis; the
    values of a scalar variable are collected into a vector.

    Examples
    --------
    >>> from blocks.utils import compile_function
    >>> x = tensor.vector('x')
    >>> aggregator = Concatenate(2 * x).get_aggregator()
    >>> accumulate = compile_function(
    ...     [x], [], updates=aggregator.accumulation_updates)
    >>> for batch in ([1., 2.], [3.]):
    ...     _ = accumulate(numpy.asarray(batch, dtype=x.dtype))
    >>> aggregator.readout_variable.get_value().tolist()
    [2.0, 4.0, 6.0]

    """
    def get_aggregator(self):
        variable = tensor.as_tensor_variable(self.variable)
        name = variable.name
        if variable.ndim == 0:
            variable = variable.dimshuffle('x')
        storage = _shared(name, 'concatenated', variable.ndim,
                          variable.dtype)
        # The empty storage is reshaped to the batch's trailing shape, so
        # that the first batch needs no special case.
        previous = storage.reshape(
            [-1] + [variable.shape[axis] for axis in range(1, variable.ndim)],
            ndim=variable.ndim)
        accumulation_updates = [
            _update(storage, tensor.concatenate([previous, variable]))]
        return Aggregator(aggregation_scheme=self,
                          initialization_updates=[_reset(storage)],
                          accumulation_updates=accumulation_updates,
                          readout_variable=storage)


def _simple_aggregation(scheme, variable):
    """A named copy of `variable` tagged with `scheme`."""
    variable = variable.copy(name=variable.name)
    variable.tag.aggregation_scheme = scheme(variable)
    return variable


def take_last(variable):
    """A copy of `variable` aggregated by :class:`TakeLast`.

    >>> x = tensor.vector('x')
    >>> type(take_last(x).tag.aggregation_scheme).__name__
    'TakeLast'

    """
    return _simple_aggregation(TakeLast, variable)


def minimum(variable):
    """A copy of `variable` aggregated by :class:`Minimum`.

    >>> x = tensor.scalar('x')
    >>> type(minimum(x).tag.aggregation_scheme).__name__
    'Minimum'

    """
    return _simple_aggregation(Minimum, variable)


def maximum(variable):
    """A copy of `variable` aggregated by :class:`Maximum`.

    >>> x = tensor.scalar('x')
    >>> type(maximum(x).tag.aggregation_scheme).__name__
    'Maximum'

    """
    return _simple_aggregation(Maximum, variable)


def concatenate(variable):
    """A copy of `variable` aggregated by :class:`Concatenate`.

    >>> x = tensor.vector('x')
    >>> type(concatenate(x).tag.aggregation_scheme).__name__
    'Concatenate'

    """
    return _simple_aggregation(Concatenate, variable)


class MonitoredQuantity(ABC):
    """The base class for monitored-quantities.

    To monitor a non-PyTensor quantity in Blocks you have to implement
    this interface for it. The initialize method initializes accumulators
    and the parameters needed to compute this quantity, aggregate method
    aggregates results for every batch, and finally readout is called to
    get the aggregated results.

    Parameters
    ----------
    requires : list of :class:`~pytensor.tensor.TensorVariable`
        The variables whose values, computed on each batch, are passed to
        :meth:`aggregate`, in this order.
    name : str
        The name of monitored quantity which appears in the log.

    Examples
    --------
    >>> class Accuracy(MonitoredQuantity):
    ...     def initialize(self):
    ...         self.correct, self.total = 0, 0
    ...     def aggregate(self, predicted, targets):
    ...         self.correct += int((predicted == targets).sum())
    ...         self.total += len(targets)
    ...     def get_aggregated_value(self):
    ...         return self.correct / self.total
    >>> predicted, targets = tensor.lvector('predicted'), tensor.lvector('y')
    >>> accuracy = Accuracy(requires=[predicted, targets], name='accuracy')
    >>> accuracy.initialize()
    >>> accuracy.aggregate(numpy.array([1, 2]), numpy.array([1, 0]))
    >>> accuracy.aggregate(numpy.array([3]), numpy.array([3]))
    >>> round(accuracy.get_aggregated_value(), 4)
    0.6667

    """
    def __init__(self, requires=None, name=None):
        requires = [] if requires is None else list(requires)
        not_variables = [required for required in requires
                         if not isinstance(required, Variable)]
        if not_variables:
            raise TypeError("requires must be a list of PyTensor variables, "
                            "got {!r}".format(not_variables))
        self.requires = requires
        self.name = name

    @abstractmethod
    def initialize(self):
        """Initialize accumulators for this monitored quantity."""

    @abstractmethod
    def aggregate(self, *args):
        r"""Aggregate the results for every batch.

        Parameters
        ----------
        \*args : list of :class:`~numpy.ndarray`
            The values of the variables required to aggregate the value of
            the quantity, in the order of :attr:`requires`.

        """

    @abstractmethod
    def get_aggregated_value(self):
        """Obtain the result of aggregation."""
