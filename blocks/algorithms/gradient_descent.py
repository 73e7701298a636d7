"""Training algorithms: one compiled update per batch of data."""
import logging
import warnings
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping

from pytensor import tensor

from blocks.algorithms.step_rules import _as_type_of, Scale, StepRule
from blocks.graph import ComputationGraph
from blocks.graph.batch_check import check_batch
from blocks.theano_expressions import l2_norm
from blocks.utils import compile_function

__all__ = ['TrainingAlgorithm', 'UpdatesAlgorithm', 'GradientDescent']

logger = logging.getLogger(__name__)

ON_UNUSED_SOURCES = ('raise', 'warn', 'ignore')

source_missing_error = (
    "the batch lacks the sources {missing} that the training graph's inputs "
    "need; the batch's sources are {sources} and the graph's inputs are "
    "{inputs}")

variable_mismatch_error = (
    "the batch's sources {extra} match no input of the training graph, whose "
    "inputs are {inputs}; to train on a subset of a dataset's sources, pass "
    "`sources` to the dataset's constructor, use Fuel's FilterSources "
    "transformer, or pass on_unused_sources='warn' or "
    "on_unused_sources='ignore' to the training algorithm")

#: Appended to the messages of the checks of the first batch.
CHECKED_WHERE = " (checked on the first training batch, before compiling)"

determinism_error = (
    "cannot infer the parameters in a fixed order from the gradients: they "
    "were given as a {kind} without `parameters`, so the order of the "
    "updates would depend on how that dictionary was built; pass the "
    "gradients as an OrderedDict or a list of (parameter, gradient) pairs, "
    "or pass `parameters` listing exactly its keys")


def _as_update_list(updates, argument):
    """Return `updates` (a list of pairs or an OrderedDict) as a new list."""
    if isinstance(updates, OrderedDict):
        return list(updates.items())
    if not isinstance(updates, (list, tuple)):
        raise TypeError(
            "{} must be a list of (shared variable, new value) pairs or an "
            "OrderedDict, got {!r}".format(argument, updates))
    updates = list(updates)
    bad = [pair for pair in updates
           if not (isinstance(pair, (list, tuple)) and len(pair) == 2)]
    if bad:
        raise TypeError(
            "{} must be a list of (shared variable, new value) pairs, got "
            "the elements {!r}".format(argument, bad))
    return [tuple(pair) for pair in updates]


class TrainingAlgorithm(metaclass=ABCMeta):
    """Base class for training algorithms.

    A training algorithm object has a simple life-cycle. First it is
    initialized by calling its :meth:`initialize` method. At this stage,
    for instance, PyTensor functions can be compiled. After that the
    :meth:`process_batch` method is repeatedly called with a batch of
    training data as a parameter.

    A subclass that calls :meth:`_validate_source_names` has the attributes
    ``inputs`` (the graph's input variables) and ``on_unused_sources``.

    Examples
    --------
    >>> class CountBatches(TrainingAlgorithm):
    ...     def initialize(self, **kwargs):
    ...         self.batches = 0
    ...     def process_batch(self, batch):
    ...         self.batches += 1
    >>> algorithm = CountBatches()
    >>> algorithm.initialize()
    >>> algorithm.process_batch({'features': [1.]})
    >>> algorithm.batches
    1

    """
    on_unused_sources = 'raise'
    _validated_sources = None
    _unused_sources_warned = False

    @abstractmethod
    def initialize(self, **kwargs):
        """Initialize the training algorithm."""

    @abstractmethod
    def process_batch(self, batch):
        """Process a batch of training data.

        Parameters
        ----------
        batch : dict
            A dictionary of (source name, data) pairs.

        """

    def _validate_source_names(self, batch):
        """Check that the batch's sources match the graph's inputs.

        A batch must provide every input of the graph; sources that no
        input uses are an error, a warning (once) or ignored, according to
        ``on_unused_sources``. The sources of the last batch that passed
        are remembered, so that a stream of batches with the same sources
        is checked once.

        """
        if not isinstance(batch, Mapping):
            raise TypeError("a batch must be a dict mapping source names to "
                            "data, got {!r}".format(type(batch).__name__))
        sources = tuple(batch.keys())
        if sources == self._validated_sources:
            return
        input_names = [variable.name for variable in self.inputs]
        missing = [name for name in OrderedDict.fromkeys(input_names)
                   if name not in batch]
        if missing:
            raise ValueError(source_missing_error.format(
                missing=missing, sources=list(sources), inputs=input_names))
        extra = [source for source in sources if source not in input_names]
        if extra:
            message = variable_mismatch_error.format(extra=extra, inputs=input_names)
            if self.on_unused_sources == 'raise':
                raise ValueError(message)
            if (self.on_unused_sources == 'warn' and
                    not self._unused_sources_warned):
                warnings.warn(message)
                self._unused_sources_warned = True
        self._validated_sources = sources

    def _validate_batch(self, batch):
        """Check the first batch before :meth:`initialize` compiles anything.

        The main loop calls this with the first batch of training data
        (which it then trains on as usual). Here, the source names are
        checked when the subclass has ``inputs``;
        :class:`UpdatesAlgorithm` also checks the data against its graph.

        """
        if getattr(self, 'inputs', None) is not None:
            self._validate_source_names(batch)


class UpdatesAlgorithm(TrainingAlgorithm):
    """Base class for algorithms that apply updates to shared variables.

    Parameters
    ----------
    updates : list of tuples or :class:`~collections.OrderedDict`
        The updates that should be performed.
    theano_func_kwargs : dict, optional
        A passthrough to :func:`~blocks.utils.compile_function` (and so to
        :func:`pytensor.function`) for additional arguments. Useful for
        passing ``profile`` or ``mode`` arguments; a ``mode`` given here
        overrides :attr:`blocks.config.config.compile_mode`.
    on_unused_sources : str, one of 'raise' (default), 'ignore', 'warn'
        Controls behavior when not all sources in a batch are used
        (i.e. there is no variable with a matching name).

    Attributes
    ----------
    inputs : list of :class:`~pytensor.tensor.TensorVariable`
        The inputs of the update function, found by
        :class:`~blocks.graph.ComputationGraph` in the new values of the
        updates; a batch provides one source per input, matched by name.
        Set by :meth:`initialize`.

    Notes
    -----
    The compiled function is not pickled: an unpickled algorithm compiles
    it again when :meth:`initialize` or :meth:`process_batch` is called.

    Examples
    --------
    >>> from blocks.utils import shared_floatx
    >>> total = shared_floatx(0., name='total')
    >>> x = tensor.vector('x')
    >>> algorithm = UpdatesAlgorithm(updates=[(total, total + x.sum())])
    >>> algorithm.initialize()
    >>> algorithm.process_batch({'x': [1., 2.]})
    >>> float(total.get_value())
    3.0

    """
    def __init__(self, updates=None, theano_func_kwargs=None,
                 on_unused_sources='raise', **kwargs):
        super().__init__(**kwargs)
        if on_unused_sources not in ON_UNUSED_SOURCES:
            raise ValueError(
                "on_unused_sources must be one of 'raise', 'warn' or "
                "'ignore', got {!r}".format(on_unused_sources))
        if theano_func_kwargs is not None and not isinstance(
                theano_func_kwargs, Mapping):
            raise TypeError("theano_func_kwargs must be a dict, got "
                            "{!r}".format(theano_func_kwargs))
        self.theano_func_kwargs = dict(theano_func_kwargs or {})
        self.on_unused_sources = on_unused_sources
        self.updates = updates

    @property
    def updates(self):
        """The list of ``(shared variable, new value)`` pairs."""
        return self._updates

    @updates.setter
    def updates(self, value):
        self._updates = ([] if value is None
                         else _as_update_list(value, 'updates'))
        self._function = None

    def add_updates(self, updates):
        """Add updates to the training process.

        The updates will be done *before* the parameters are changed.

        Parameters
        ----------
        updates : list of tuples or :class:`~collections.OrderedDict`
            The updates to add.

        """
        self._updates.extend(_as_update_list(updates, 'updates'))
        self._function = None

    def _find_inputs(self):
        """Set :attr:`inputs` from the graph of the updates (no compile)."""
        logger.debug("Inferring graph inputs...")
        update_values = [new_value for _, new_value in self.updates]
        self.inputs = ComputationGraph(update_values).inputs
        self._input_names = [variable.name for variable in self.inputs]
        self._validated_sources = None

    def _validate_batch(self, batch):
        """Check a batch against the graph of the updates, before compiling.

        The source names are checked as for every batch; then the data's
        number of dimensions, dtype and widths are checked against the
        graph (:func:`~blocks.graph.batch_check.check_batch`), so that a
        batch that does not fit fails with a message naming the source and
        the brick, before the compile rather than inside the compiled
        function.

        """
        self._find_inputs()
        self._validate_source_names(batch)
        check_batch(self.inputs, batch,
                    [new_value for _, new_value in self.updates],
                    allow_downcast=self.theano_func_kwargs.get(
                        'allow_input_downcast'),
                    where=CHECKED_WHERE)

    def initialize(self, batch=None):
        """Find the inputs of the updates and compile the update function.

        Parameters
        ----------
        batch : dict, optional
            The first batch of training data. When given, it is checked
            against the graph before the compile (the source names, and
            the data's dimensions, dtypes and widths); it is not processed.

        """
        logger.info("Initializing the training algorithm")
        if batch is not None:
            self._validate_batch(batch)
        else:
            self._find_inputs()
        logger.debug("Compiling training function...")
        self._function = compile_function(
            self.inputs, [], updates=self.updates,
            description='the training function', **self.theano_func_kwargs)
        logger.info("The training algorithm is initialized")

    @property
    def initialized(self):
        """Whether the update function is compiled (it is not pickled)."""
        return self._function is not None

    def process_batch(self, batch):
        """Apply the updates to one batch (a dict: source name -> data)."""
        if self._function is None:
            # Check the batch before the compile; a subclass's initialize
            # may not take one.
            self._validate_batch(batch)
            self.initialize()
        try:
            sources = tuple(batch.keys())
        except AttributeError:
            sources = None
        if sources is None or sources != self._validated_sources:
            self._validate_source_names(batch)
        self._function(*[batch[name] for name in self._input_names])

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_function'] = None
        return state


class GradientDescent(UpdatesAlgorithm):
    """A base class for all gradient descent algorithms.

    By "gradient descent" we mean a training algorithm of the following
    form:

    .. code-block::  python

        for batch in data:
            steps = step_rule.compute_steps(parameters,
                                            gradients_wr_parameters)
            for parameter in parameters:
                parameter -= steps[parameter]

    Note, that the step is *subtracted, not added*! This is done in order
    to make step rule chaining possible.

    Parameters
    ----------
    cost : :class:`~pytensor.tensor.TensorVariable`, optional
        The objective to be minimized. Unused if `gradients` is specified.
    parameters : list of :class:`~pytensor.tensor.TensorSharedVariable`,
    optional
        The parameters to be tuned. If not provided, inferred from the
        keys of `gradients` (in which case `gradients` *must* be an
        ``OrderedDict`` or a list of pairs).
    step_rule : instance of :class:`~blocks.algorithms.StepRule`, optional
        An object encapsulating most of the algorithm's logic. Its
        `compute_steps` method is called to get PyTensor expression for
        steps. Note, that the step rule might have a state, e.g. to
        remember a weighted sum of gradients from previous steps like it
        is done in gradient descent with momentum. If ``None``, an instance
        of :class:`~blocks.algorithms.Scale` is created.
    gradients : OrderedDict or list of 2-tuples, optional
        A dictionary mapping a parameter to an expression for the cost's
        gradient with respect to the parameter. If ``None``, the gradient
        are taken automatically using :func:`pytensor.gradient.grad`.
    known_grads : dict, optional
        A passthrough to `pytensor.gradient.grad`'s `known_grads` argument.
        Useful when you know the [approximate] gradients of some
        sub-expressions and would like PyTensor to use that information to
        compute parameter gradients. Only makes sense when `gradients` is
        `None`.
    consider_constant : list, optional
        A passthrough to `pytensor.gradient.grad`'s `consider_constant`
        argument.  A list of expressions through which gradients will not
        be backpropagated. Only makes sense when `gradients` is `None`.
    \\*\\*kwargs
        :class:`UpdatesAlgorithm`'s arguments (``updates``,
        ``theano_func_kwargs``, ``on_unused_sources``). Updates given here
        come before the parameters' updates.

    Attributes
    ----------
    gradients : OrderedDict
        The gradient dictionary.
    step_rule : instance of :class:`~blocks.algorithms.StepRule`
        The step rule.
    steps : OrderedDict
        The steps of the parameters, from the step rule.
    step_rule_updates : list of tuples
        The updates of the step rule's state.
    total_gradient_norm : :class:`~pytensor.tensor.TensorVariable`
        The L2 norm of all the gradients together, named
        ``'total_gradient_norm'``.
    total_step_norm : :class:`~pytensor.tensor.TensorVariable`
        The L2 norm of all the steps together, named ``'total_step_norm'``.

    Notes
    -----
    Changing `updates` attribute or calling `add_updates` after
    the `initialize` method is called makes the next `process_batch`
    compile the function again.

    Examples
    --------
    >>> from blocks.algorithms import Scale
    >>> from blocks.utils import shared_floatx
    >>> W = shared_floatx([1., 2.], name='W')
    >>> x = tensor.vector('x')
    >>> cost = ((W - x) ** 2).sum()
    >>> algorithm = GradientDescent(cost=cost, parameters=[W],
    ...                             step_rule=Scale(learning_rate=0.25))
    >>> algorithm.initialize()
    >>> algorithm.process_batch({'x': [0., 0.]})
    >>> W.get_value().tolist()
    [0.5, 1.0]

    """
    def __init__(self, cost=None, parameters=None, step_rule=None,
                 gradients=None, known_grads=None, consider_constant=None,
                 **kwargs):
        self.cost = cost
        self.parameters = None if parameters is None else list(parameters)
        # Coerce lists of pairs to OrderedDict. Do not coerce other
        # mappings: the order of a plain dict is how it was built.
        if gradients is not None and not isinstance(gradients, Mapping):
            gradients = OrderedDict(gradients)
        if not gradients:
            self.gradients = self._compute_gradients(known_grads,
                                                     consider_constant)
        else:
            self.gradients = gradients
            self._check_gradients_arguments(cost, known_grads,
                                            consider_constant)

        if step_rule is None:
            step_rule = Scale()
        if not isinstance(step_rule, StepRule):
            raise TypeError("step_rule must be a StepRule instance, got "
                            "{!r}".format(step_rule))
        self.step_rule = step_rule

        # The order of the terms matters (floating point addition is not
        # associative), so follow self.parameters rather than the dict.
        gradient_values = [self.gradients[parameter]
                           for parameter in self.parameters]
        self.total_gradient_norm = l2_norm(gradient_values).copy(
            name='total_gradient_norm')

        logger.debug("Computing parameter steps...")
        ordered_gradients = OrderedDict(
            (parameter, self.gradients[parameter])
            for parameter in self.parameters)
        self.steps, self.step_rule_updates = self.step_rule.compute_steps(
            ordered_gradients)
        step_values = [self.steps[parameter]
                       for parameter in self.parameters]
        self.total_step_norm = l2_norm(step_values).copy(
            name='total_step_norm')

        updates = kwargs.pop('updates', None)
        updates = [] if updates is None else _as_update_list(updates,
                                                             'updates')
        updates.extend(
            (parameter,
             _as_type_of(parameter - self.steps[parameter], parameter))
            for parameter in self.parameters)
        updates.extend(self.step_rule_updates)
        super().__init__(updates=updates, **kwargs)

    def _check_gradients_arguments(self, cost, known_grads,
                                   consider_constant):
        """Fix the parameters' order when the gradients are given."""
        if cost is not None:
            warnings.warn("{}: gradients already specified directly; cost "
                          "is unused.".format(type(self).__name__))
        ordered = isinstance(self.gradients, OrderedDict)
        if self.parameters is None:
            if not ordered:
                raise ValueError(determinism_error.format(
                    kind=type(self.gradients).__name__))
            self.parameters = list(self.gradients.keys())
        elif (len(self.parameters) != len(self.gradients) or
                set(self.parameters) != set(self.gradients.keys())):
            if not ordered:
                raise ValueError(determinism_error.format(
                    kind=type(self.gradients).__name__))
            warnings.warn("the parameters {} do not match the keys of the "
                          "gradients {}; using the keys of the gradients"
                          .format(self.parameters,
                                  list(self.gradients.keys())))
            self.parameters = list(self.gradients.keys())
        if known_grads:
            raise ValueError("known_grads has no effect when gradients are "
                             "passed in")
        if consider_constant is not None:
            raise ValueError("consider_constant has no effect when gradients "
                             "are passed in")

    def _compute_gradients(self, known_grads, consider_constant):
        if self.cost is None:
            raise ValueError("can't infer gradients; no cost specified")
        if not self.parameters:
            raise ValueError("can't infer gradients; no parameters "
                             "specified (got parameters={!r})".format(
                                 self.parameters))
        logger.info("Taking the cost gradient")
        gradients = OrderedDict(zip(
            self.parameters,
            tensor.grad(self.cost, self.parameters, known_grads=known_grads,
                        consider_constant=consider_constant)))
        logger.info("The cost gradient computation graph is built")
        return gradients
