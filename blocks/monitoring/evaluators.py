"""Evaluate monitored variables and quantities over the batches of a data stream."""
import logging
from collections import OrderedDict
from collections.abc import Mapping

import numpy
from pytensor import tensor
from pytensor.graph.basic import Variable
from pytensor.graph.traversal import graph_inputs

from blocks.graph.batch_check import check_batch
from blocks.monitoring.aggregation import (
    Mean, MonitoredQuantity, TakeLast, _DataIndependent)
from blocks.utils import compile_function, is_graph_input

logger = logging.getLogger(__name__)

UNNAMED = ("the variable {variable!r} to monitor has no name; monitored "
           "variables and quantities are identified by their names in the "
           "log, so give it one (variable.name = 'cost')")

#: Appended to the messages of the check of the first batch.
CHECKED_WHERE = (" (checked on the first batch of the monitored data, before "
                 "compiling)")

NOT_INITIALIZED = ("{owner} was asked for aggregated values before its "
                   "aggregators were initialized: call {method}() first, "
                   "then process the batches")


def _unique(items):
    """The items in order, each one once (by identity)."""
    seen = set()
    return [item for item in items
            if not (id(item) in seen or seen.add(id(item)))]


def _inputs(outputs):
    """The free inputs of a graph, in a stable order."""
    return _unique(variable for variable in graph_inputs(outputs)
                   if is_graph_input(variable))


def _check_names(variables):
    """Raise if a variable has no name or two variables share one."""
    names = []
    for variable in variables:
        if not isinstance(variable.name, str) or not variable.name:
            raise ValueError(UNNAMED.format(variable=variable))
        names.append(variable.name)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError("variables to monitor must have different names, "
                         "got several named {}".format(
                             ', '.join(map(repr, duplicates))))
    return names


def _as_update_list(updates):
    if updates is None:
        return []
    if isinstance(updates, Mapping):
        return list(updates.items())
    return list(updates)


class AggregationBuffer:
    """Intermediate results of aggregating values of PyTensor variables.

    Encapsulates aggregators for a list of PyTensor variables. Collects
    the respective updates and provides initialization and readout
    routines.

    Parameters
    ----------
    variables : list of :class:`~pytensor.tensor.TensorVariable`
        The variable names are used as record names in the logs. Hence, all
        the variable names must be unique.
    use_take_last : bool
        When ``True``, the :class:`TakeLast` aggregation scheme is used
        instead of :class:`_DataIndependent` for those variables that
        do not require data to be computed.
    compile_kwargs : dict, optional
        Passed on to :func:`~blocks.utils.compile_function` when the
        initialization and readout functions are compiled (``mode``, for
        instance, to match the training function).

    Attributes
    ----------
    initialization_updates : list of tuples
        Initialization updates of the aggregators.
    accumulation_updates : list of tuples
        Accumulation updates of the aggregators.
    readout_variables : dict
        A dictionary of record names to
        :class:`~pytensor.tensor.TensorVariable`
        representing the aggregated values.
    inputs : list of :class:`~pytensor.tensor.TensorVariable`
        The list of inputs needed for accumulation.

    Notes
    -----
    A variable without an aggregation scheme in its tag is averaged over
    batches (:class:`Mean` of it and 1), except when it does not depend
    on the data. The variables' tags are not changed.

    Examples
    --------
    >>> x = tensor.vector('x')
    >>> total = x.sum()
    >>> total.name = 'total'
    >>> buffer = AggregationBuffer([total])
    >>> accumulate = compile_function(
    ...     buffer.inputs, [], updates=buffer.accumulation_updates)
    >>> buffer.initialize_aggregators()
    >>> for batch in ([1., 2.], [3., 4., 5.]):
    ...     _ = accumulate(numpy.asarray(batch, dtype=x.dtype))
    >>> {name: float(value)
    ...  for name, value in buffer.get_aggregated_values().items()}
    {'total': 7.5}

    """
    def __init__(self, variables, use_take_last=False, compile_kwargs=None):
        self.variables = list(variables)
        not_variables = [variable for variable in self.variables
                         if not isinstance(variable, Variable)]
        if not_variables:
            raise TypeError("variables must be PyTensor variables, got "
                            "{!r}".format(not_variables))
        self.variable_names = _check_names(self.variables)
        self.use_take_last = use_take_last
        self.compile_kwargs = dict(compile_kwargs or {})

        self._initialized = False
        self._initialize_fun = None
        self._readout_fun = None
        self._create_aggregators()
        self.inputs = _inputs(
            self.variables +
            [update for _, update in self.accumulation_updates])

    def _aggregation_scheme(self, variable):
        scheme = getattr(variable.tag, 'aggregation_scheme', None)
        if scheme is not None:
            return scheme
        if not _inputs([variable]):
            scheme = TakeLast if self.use_take_last else _DataIndependent
            logger.debug('Using the %s aggregation scheme for %s since it '
                         'does not depend on the data', scheme.__name__,
                         variable.name)
            return scheme(variable)
        logger.debug('Using the default (average over minibatches) '
                     'aggregation scheme for %s', variable.name)
        return Mean(variable, 1.)

    def _create_aggregators(self):
        """Create aggregators and collect updates."""
        self.initialization_updates = []
        self.accumulation_updates = []
        self.readout_variables = OrderedDict()
        for variable in self.variables:
            aggregator = self._aggregation_scheme(variable).get_aggregator()
            self.initialization_updates.extend(
                aggregator.initialization_updates)
            self.accumulation_updates.extend(aggregator.accumulation_updates)
            self.readout_variables[variable.name] = (
                aggregator.readout_variable)

    def _compile(self):
        """Compile the initialization and readout functions."""
        logger.debug("Compiling initialization and readout functions")
        if self.initialization_updates:
            self._initialize_fun = compile_function(
                [], [], updates=self.initialization_updates,
                **self.compile_kwargs)
        # ``as_tensor_variable`` makes sure arrays, not containers of the
        # backend, come back.
        self._readout_fun = compile_function(
            [], [tensor.as_tensor_variable(variable)
                 for variable in self.readout_variables.values()],
            **self.compile_kwargs)

    def initialize_aggregators(self):
        """Initialize the aggregators."""
        if self._readout_fun is None and self.variables:
            self._compile()
        if self._initialize_fun is not None:
            self._initialize_fun()
        self._initialized = True

    def get_aggregated_values(self):
        """Readout the aggregated values.

        Returns
        -------
        :class:`~collections.OrderedDict`
            The variable names and their aggregated values (NumPy arrays).

        """
        if not self._initialized:
            raise RuntimeError(NOT_INITIALIZED.format(
                owner='AggregationBuffer', method='initialize_aggregators'))
        if not self.variables:
            return OrderedDict()
        if self._readout_fun is None:
            self._compile()
        values = self._readout_fun()
        return OrderedDict(
            (name, numpy.asarray(value))
            for name, value in zip(self.variable_names, values))

    def __getstate__(self):
        state = self.__dict__.copy()
        # Compiled functions are rebuilt on demand, never pickled.
        state['_initialize_fun'] = None
        state['_readout_fun'] = None
        return state


class MonitoredQuantityBuffer:
    """Intermediate results of aggregating values of monitored-quantity.

    Aggregate results for a list of monitored-quantity for every
    single batch. Provides initialization and readout routines to
    initialize each quantity and capture its aggregated results.

    Parameters
    ----------
    quantities : list of :class:`MonitoredQuantity`
        The quantity names are used as record names in the logs. Hence, all
        the quantity names must be unique.

    Attributes
    ----------
    requires : list of :class:`~pytensor.tensor.TensorVariable`
        Needed to calculate monitored-quantities, each variable once.
    quantity_names : list of str
        Names of quantities.
    inputs : list of :class:`~pytensor.tensor.TensorVariable`
        The list of inputs needed for variables in `requires`.

    Examples
    --------
    >>> from blocks.monitoring.aggregation import MonitoredQuantity
    >>> class Count(MonitoredQuantity):
    ...     def initialize(self):
    ...         self.count = 0
    ...     def aggregate(self, values):
    ...         self.count += len(values)
    ...     def get_aggregated_value(self):
    ...         return self.count
    >>> x = tensor.vector('x')
    >>> buffer = MonitoredQuantityBuffer([Count(requires=[x], name='n')])
    >>> buffer.initialize_quantities()
    >>> buffer.aggregate_quantities([numpy.zeros(3)])
    >>> buffer.aggregate_quantities([numpy.zeros(2)])
    >>> dict(buffer.get_aggregated_values())
    {'n': 5}

    """
    def __init__(self, quantities):
        self.quantities = list(quantities)
        not_quantities = [quantity for quantity in self.quantities
                          if not isinstance(quantity, MonitoredQuantity)]
        if not_quantities:
            raise TypeError("quantities must be MonitoredQuantity objects, "
                            "got {!r}".format(not_quantities))
        self.quantity_names = _check_names(self.quantities)
        self.requires = _unique(
            required for quantity in self.quantities
            for required in quantity.requires)
        self.inputs = _inputs(self.requires)
        self._initialized = False

    def initialize_quantities(self):
        """Initialize the quantities."""
        for quantity in self.quantities:
            quantity.initialize()
        self._initialized = True

    def get_aggregated_values(self):
        """Get the aggregated values.

        Returns
        -------
        :class:`~collections.OrderedDict`
            The quantity names and their aggregated values.

        """
        if not self._initialized:
            raise RuntimeError(NOT_INITIALIZED.format(
                owner='MonitoredQuantityBuffer',
                method='initialize_quantities'))
        return OrderedDict(
            (quantity.name, quantity.get_aggregated_value())
            for quantity in self.quantities)

    def aggregate_quantities(self, numerical_values):
        """Aggregate the results for every batch.

        Parameters
        ----------
        numerical_values : list of :class:`~numpy.ndarray`
            The values of :attr:`requires` on one batch, in that order.

        """
        if not self._initialized:
            raise RuntimeError(NOT_INITIALIZED.format(
                owner='MonitoredQuantityBuffer',
                method='initialize_quantities'))
        numerical_values = list(numerical_values)
        if len(numerical_values) != len(self.requires):
            raise ValueError("numerical_values must hold one value for each "
                             "of the {} required variables, got {}".format(
                                 len(self.requires), len(numerical_values)))
        positions = {id(required): position
                     for position, required in enumerate(self.requires)}
        for quantity in self.quantities:
            quantity.aggregate(*[numerical_values[positions[id(required)]]
                                 for required in quantity.requires])


class DatasetEvaluator:
    """Evaluates many PyTensor variables or other quantities.

    The DatasetEvaluator provides a do-it-all method, :meth:`evaluate`,
    which computes values of ``variables`` on a dataset.

    Alternatively, methods :meth:`initialize_aggregators`,
    :meth:`process_batch`, :meth:`get_aggregated_values` can be used with a
    custom loop over data.

    The values computed on subsets of the given dataset are aggregated
    using the :class:`AggregationScheme`\\ s provided in the
    `aggregation_scheme` tags. If no tag is given, the value is **averaged
    over minibatches**. However, care is taken to ensure that variables
    which do not depend on data are not unnecessarily recomputed.

    Parameters
    ----------
    variables : list of :class:`~pytensor.tensor.TensorVariable` and
        :class:`MonitoredQuantity`
        The variable names are used as record names in the logs. Hence, all
        the names must be unique.

        Each variable can be tagged with an :class:`AggregationScheme` that
        specifies how the value can be computed for a data set by
        aggregating minibatches.
    updates : list of tuples or :class:`~collections.OrderedDict` or None
        :class:`~pytensor.tensor.TensorSharedVariable` updates to be
        performed during evaluation. This parameter is only for PyTensor
        variables. Be careful not to update any model parameters as this is
        not intended to alter your model in any meaningful way. A typical
        use case of this option arises when the PyTensor function used for
        evaluation contains a call to :func:`~pytensor.scan` which might
        have returned shared variable updates.
    compile_kwargs : dict, optional
        Passed on to :func:`~blocks.utils.compile_function` (``mode``, for
        instance, so that monitoring compiles in the training function's
        mode; by default ``config.compile_mode`` applies).

    Notes
    -----
    One function is compiled, on first use, that takes the data of a
    batch and applies the accumulation updates of all the variables (and
    computes what the monitored quantities require). Compiled functions are
    not pickled; they are rebuilt when needed.

    Examples
    --------
    >>> from blocks.monitoring.aggregation import mean
    >>> x = tensor.vector('x')
    >>> batch_mean = x.mean()
    >>> batch_mean.name = 'batch_mean'
    >>> example_mean = mean(x.sum(), x.shape[0])
    >>> example_mean.name = 'example_mean'
    >>> class Stream:
    ...     def get_epoch_iterator(self, as_dict=False):
    ...         for batch in ([1., 2.], [3., 4., 5., 6.]):
    ...             yield {'x': numpy.asarray(batch, dtype=x.dtype)}
    >>> evaluator = DatasetEvaluator([batch_mean, example_mean])
    >>> {name: float(value)
    ...  for name, value in evaluator.evaluate(Stream()).items()}
    {'batch_mean': 3.0, 'example_mean': 3.5}

    """
    def __init__(self, variables, updates=None, compile_kwargs=None):
        variables = list(variables)
        theano_variables, monitored_quantities = [], []
        for variable in variables:
            if isinstance(variable, MonitoredQuantity):
                monitored_quantities.append(variable)
            elif isinstance(variable, Variable):
                theano_variables.append(variable)
            else:
                raise TypeError("can not monitor {!r}: expected a PyTensor "
                                "variable or a MonitoredQuantity".format(
                                    variable))
        self.variable_names = _check_names(variables)
        self.theano_variables = theano_variables
        self.monitored_quantities = monitored_quantities
        self.compile_kwargs = dict(compile_kwargs or {})
        self.theano_buffer = AggregationBuffer(
            theano_variables, compile_kwargs=self.compile_kwargs)
        self.monitored_quantities_buffer = MonitoredQuantityBuffer(
            monitored_quantities)
        self.updates = _as_update_list(updates)

        self._accumulation_updates = (
            self.theano_buffer.accumulation_updates + self.updates)
        self._outputs = self.monitored_quantities_buffer.requires
        self.unique_inputs = _inputs(
            self._outputs +
            [update for _, update in self._accumulation_updates])
        for input_ in self.unique_inputs:
            if not input_.name:
                raise ValueError(
                    "the graph input {!r} has no name, so no data source "
                    "can feed it; name it after its source".format(input_))
        self.input_names = list(OrderedDict.fromkeys(
            input_.name for input_ in self.unique_inputs))
        self._needs_data = bool(self._accumulation_updates or
                                self.monitored_quantities)
        self._accumulate_fun = None

    def _compile(self):
        """Compile the function that processes one batch."""
        logger.debug("Compiling the accumulation function")
        self._accumulate_fun = compile_function(
            self.unique_inputs, self._outputs,
            updates=self._accumulation_updates,
            description='the monitoring function', **self.compile_kwargs)

    def initialize_aggregators(self):
        """Reset the aggregators and the monitored quantities."""
        self.theano_buffer.initialize_aggregators()
        self.monitored_quantities_buffer.initialize_quantities()

    def process_batch(self, batch):
        """Fold one batch into the aggregated values.

        Parameters
        ----------
        batch : dict
            The data of the batch by source name. Sources the monitored
            variables do not use are ignored.

        """
        if not isinstance(batch, Mapping):
            raise TypeError("batch must be a dictionary of data by source "
                            "name, got {!r}".format(type(batch)))
        missing = [name for name in self.input_names if name not in batch]
        if missing:
            # The original's words first: its users and tests look for
            # "Not all data sources".
            raise ValueError(
                "Not all data sources required for monitoring were "
                "provided: the batch has no data for the source(s) {}, "
                "which the monitored variables need; the batch has "
                "{}".format(
                    ', '.join(map(repr, missing)),
                    ', '.join(map(repr, batch)) or 'no sources'))
        if not (self.theano_buffer._initialized and
                self.monitored_quantities_buffer._initialized):
            raise RuntimeError(NOT_INITIALIZED.format(
                owner='DatasetEvaluator', method='initialize_aggregators'))
        if not self._needs_data:
            return
        if self._accumulate_fun is None:
            # The first batch is checked against the graph before the
            # compile, so that a batch that does not fit names its source.
            check_batch(
                self.unique_inputs, batch,
                self._outputs + [update for _, update in
                                 self._accumulation_updates],
                allow_downcast=self.compile_kwargs.get(
                    'allow_input_downcast'),
                where=CHECKED_WHERE)
            self._compile()
        numerical_values = self._accumulate_fun(
            *[batch[input_.name] for input_ in self.unique_inputs])
        if self.monitored_quantities:
            self.monitored_quantities_buffer.aggregate_quantities(
                [numpy.asarray(value) for value in numerical_values])

    def get_aggregated_values(self):
        """The aggregated values, by name, in the order of `variables`."""
        values = self.theano_buffer.get_aggregated_values()
        values.update(
            self.monitored_quantities_buffer.get_aggregated_values())
        return OrderedDict((name, values[name])
                           for name in self.variable_names)

    def evaluate(self, data_stream):
        """Compute the variables over a data stream.

        Parameters
        ----------
        data_stream : instance of :class:`.DataStream`
            The data stream. Only the first epoch of data is used; any
            object with ``get_epoch_iterator(as_dict=True)`` will do.

        Returns
        -------
        A mapping from record names to the values computed on the provided
        dataset.

        """
        if not hasattr(data_stream, 'get_epoch_iterator'):
            raise TypeError("data_stream must have a get_epoch_iterator "
                            "method (a Fuel data stream), got "
                            "{!r}".format(data_stream))
        self.initialize_aggregators()
        if self._needs_data:
            batches = 0
            for batch in data_stream.get_epoch_iterator(as_dict=True):
                self.process_batch(batch)
                batches += 1
            if not batches:
                raise ValueError(
                    "data_stream {!r} gave no batches, so there is nothing "
                    "to evaluate {} on".format(
                        data_stream, ', '.join(self.variable_names)))
        else:
            logger.debug('Only data independent variables were given, '
                         'will not iterate over the data')
        return self.get_aggregated_values()

    def __getstate__(self):
        state = self.__dict__.copy()
        # Compiled functions are rebuilt on demand, never pickled.
        state['_accumulate_fun'] = None
        return state
