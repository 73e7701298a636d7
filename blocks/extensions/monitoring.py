"""Extensions for monitoring the training process."""
import logging

from pytensor.graph.basic import Variable

from blocks.extensions.base import SimpleExtension, TrainingExtension
from blocks.monitoring.aggregation import MonitoredQuantity, take_last
from blocks.monitoring.evaluators import (
    AggregationBuffer, DatasetEvaluator, MonitoredQuantityBuffer)
from blocks.utils import named_copy

#: What joins a record name's prefix, name and suffix (``test_cost``).
SEPARATOR = '_'

logger = logging.getLogger(__name__)


def training_compile_kwargs(main_loop):
    """The compile options of the training function, for functions that must match it.

    Monitoring compiles in the mode the training algorithm was given (its
    ``theano_func_kwargs['mode']``), so that a model trained in, say, the
    JAX mode is also evaluated in it.

    """
    kwargs = getattr(main_loop.algorithm, 'theano_func_kwargs', None) or {}
    return {'mode': kwargs['mode']} if 'mode' in kwargs else {}


class MonitoringExtension(TrainingExtension):
    """A mixin with logic shared by monitoring extensions.

    Parameters
    ----------
    prefix : str, optional
        The prefix for the log records done by the extension.  It is
        prepended to the variable names with an underscore as a separator.
        If not given, no prefix is added to the names of the observed
        variables.
    suffix : str, optional
        The suffix for the log records done by the extension.  It is
        appended to the end of variable names with an underscore as a
        separator. If not given, no suffix is added the names of the
        observed variables.

    """
    SEPARATOR = SEPARATOR

    def __init__(self, prefix=None, suffix=None, **kwargs):
        super().__init__(**kwargs)
        self.prefix = prefix
        self.suffix = suffix

    def _record_name(self, name):
        """The record name for a variable name."""
        if not isinstance(name, str):
            raise ValueError("record name must be a string, got "
                             "{!r}".format(name))

        return self.SEPARATOR.join(
            [morpheme for morpheme in [self.prefix, name, self.suffix]
             if morpheme is not None])

    def record_name(self, variable):
        """The record name for a variable."""
        return self._record_name(variable.name)

    def add_records(self, log, record_tuples):
        """Helper function to add monitoring records to the log."""
        for name, value in record_tuples:
            if not name:
                raise ValueError("monitor variable without name")
            log.current_row[self._record_name(name)] = value


class DataStreamMonitoring(SimpleExtension, MonitoringExtension):
    """Monitors PyTensor variables and monitored-quantities on a data stream.

    By default monitoring is done before the first and after every epoch.

    Parameters
    ----------
    variables : list of :class:`~pytensor.tensor.TensorVariable` and
        :class:`MonitoredQuantity`
        The variables to monitor. The variable names are used as record
        names in the logs.
    updates : list of tuples or :class:`~collections.OrderedDict` or None
        :class:`~pytensor.tensor.TensorSharedVariable` updates to be
        performed during evaluation. This parameter is only for PyTensor
        variables. Be careful not to update any model parameters as this is
        not intended to alter your model in any meaningful way. A typical
        use case of this option arises when the PyTensor function used for
        evaluation contains a call to :func:`~pytensor.scan` which might
        have returned shared variable updates.
    data_stream : instance of :class:`.DataStream`
        The data stream to monitor on. A data epoch is requested
        each time monitoring is done.

    Notes
    -----
    The evaluation function is compiled when monitoring first runs, in the
    mode of the training algorithm's ``theano_func_kwargs`` if it names
    one, otherwise in ``config.compile_mode``.

    """
    PREFIX_SEPARATOR = '_'
    #: The class that evaluates the variables on the stream (the data-parallel
    #: mode sets a distributed one on the instance).
    evaluator_class = DatasetEvaluator

    def __init__(self, variables, data_stream, updates=None, **kwargs):
        kwargs.setdefault("after_epoch", True)
        kwargs.setdefault("before_first_epoch", True)
        super().__init__(**kwargs)
        self.variables = variables
        self.updates = updates
        self.data_stream = data_stream
        self._evaluator = None

    def do(self, callback_name, *args):
        """Write the values of monitored variables to the log."""
        if self._evaluator is None:
            self._evaluator = self.evaluator_class(
                self.variables, self.updates,
                compile_kwargs=training_compile_kwargs(self.main_loop))
        logger.info("Monitoring on auxiliary data started")
        value_dict = self._evaluator.evaluate(self.data_stream)
        self.add_records(self.main_loop.log, value_dict.items())
        logger.info("Monitoring on auxiliary data finished")

    def __getstate__(self):
        state = self.__dict__.copy()
        # The evaluator holds a compiled function; it is rebuilt on demand.
        state['_evaluator'] = None
        return state


class TrainingDataMonitoring(SimpleExtension, MonitoringExtension):
    """Monitors values of PyTensor variables on training batches.

    Use this extension to monitor a quantity on every training batch
    cheaply. It integrates with the training algorithm in order to avoid
    recomputing same things several times. For instance, if you are
    training a network and you want to log the norm of the gradient on
    every batch, the backpropagation will only be done once.  By
    controlling the frequency with which the :meth:`do` method is called,
    you can aggregate the monitored variables, e.g. only log the gradient
    norm average over an epoch.

    Parameters
    ----------
    variables : list of :class:`~pytensor.tensor.TensorVariable` or
        :class:`~blocks.monitoring.aggregation.MonitoredQuantity`
        The variables or non-PyTensor quantities to monitor.
        The variable names are used as record names in the logs.

    Notes
    -----
    All the monitored variables are evaluated _before_ the parameter
    update.

    Requires the training algorithm to be an instance of
    :class:`.UpdatesAlgorithm`.

    """
    def __init__(self, variables, **kwargs):
        kwargs.setdefault("before_training", True)
        super().__init__(**kwargs)
        self.add_condition(['after_batch'], arguments=('just_aggregate',))

        self._non_variables = []
        self._variables = []
        for variable_or_not in variables:
            if isinstance(variable_or_not, Variable):
                self._variables.append(variable_or_not)
            elif isinstance(variable_or_not, MonitoredQuantity):
                self._non_variables.append(variable_or_not)
            else:
                raise ValueError("can not monitor {!r}: expected a PyTensor "
                                 "variable or a MonitoredQuantity".format(
                                     variable_or_not))

        self._non_variables = MonitoredQuantityBuffer(self._non_variables)
        # Requirements are often unnamed (``x.sum()``) or share a name, and
        # buffers key their values by name.
        self._required_for_non_variables = AggregationBuffer(
            [take_last(named_copy(variable, 'required_{}'.format(i)))
             for i, variable in enumerate(self._non_variables.requires)])
        self._variables = AggregationBuffer(
            self._variables, use_take_last=True)
        self._last_time_called = -1

    def do(self, callback_name, *args):
        """Initializes the buffer or commits the values to the log.

        What this method does depends on from what callback it is called
        and with which arguments.  When called within `before_training`, it
        initializes the aggregation buffer and instructs the training
        algorithm what additional computations should be carried at each
        step by adding corresponding updates to it. In most_other cases it
        writes aggregated values of the monitored variables to the log. An
        exception is when an argument `just_aggregate` is given: in this
        cases it updates the values of monitored non-PyTensor quantities,
        but does not write anything to the log.

        """
        data, args = self.parse_args(callback_name, args)
        if callback_name == 'before_training':
            if not hasattr(self.main_loop.algorithm, 'add_updates'):
                raise ValueError("TrainingDataMonitoring requires an "
                                 "UpdatesAlgorithm (such as GradientDescent), "
                                 "got {!r}".format(self.main_loop.algorithm))
            compile_kwargs = training_compile_kwargs(self.main_loop)
            self._variables.compile_kwargs = compile_kwargs
            self._required_for_non_variables.compile_kwargs = compile_kwargs
            self.main_loop.algorithm.add_updates(
                self._variables.accumulation_updates)
            self.main_loop.algorithm.add_updates(
                self._required_for_non_variables.accumulation_updates)
            self._variables.initialize_aggregators()
            self._required_for_non_variables.initialize_aggregators()
            self._non_variables.initialize_quantities()
        else:
            # When called first time at any iterations, update
            # monitored non-PyTensor quantities
            if (self.main_loop.status['iterations_done'] >
                    self._last_time_called):
                self._non_variables.aggregate_quantities(
                    list(self._required_for_non_variables
                         .get_aggregated_values().values()))
                self._required_for_non_variables.initialize_aggregators()
                self._last_time_called = (
                    self.main_loop.status['iterations_done'])
            # If only called to update non-PyTensor quantities,
            # do just that
            if args == ('just_aggregate',):
                return
            # Otherwise, also save current values of from the accumulators
            # to the log.
            self.add_records(
                self.main_loop.log,
                self._variables.get_aggregated_values().items()
            )
            self._variables.initialize_aggregators()
            self.add_records(
                self.main_loop.log,
                self._non_variables.get_aggregated_values().items())
            self._non_variables.initialize_quantities()
