r"""Step rules: composable transformations of a descent direction.

A step rule takes the previous step of every parameter (at first the
gradient) and returns a new step plus the updates of its own state.
:class:`CompositeRule` chains rules, so that ``CompositeRule([StepClipping(1.),
Scale(0.1), BasicMomentum(0.9)])`` clips the gradient, scales it and adds
momentum.

Hyperparameters are shared variables with the
:const:`~blocks.roles.ALGORITHM_HYPERPARAMETER` role, named after the
hyperparameter, so that they can be changed during training (e.g. by
:class:`~blocks.extensions.training.SharedVariableModifier`) without
recompiling. The state of a rule (velocities, moments) lives in shared
variables with the :const:`~blocks.roles.ALGORITHM_BUFFER` role, named after
their parameter (``W_velocity``), so that it is checkpointed with the
parameters.

This module is longer than 600 lines because it keeps the original's
fourteen step rules together, under the import path their pickles record;
more than half of it is their documentation and the validation of their
hyperparameters.

"""
from collections import OrderedDict

import numpy
import pytensor
from pytensor import tensor
from pytensor.graph.basic import Variable

from blocks.roles import add_role, ALGORITHM_BUFFER, ALGORITHM_HYPERPARAMETER
from blocks.theano_expressions import l2_norm
from blocks.utils import is_shared_variable, pack, shared_floatx

__all__ = ['StepRule', 'CompositeRule', 'Scale', 'BasicMomentum', 'Momentum',
           'AdaDelta', 'BasicRMSProp', 'RMSProp', 'StepClipping',
           'VariableClipping', 'AdaGrad', 'Adam', 'RemoveNotFinite',
           'Restrict', 'hyperparameter', 'check_hyperparameter',
           'algorithm_buffer']


NOT_A_NUMBER = (
    "{rule}: {name} must be a number, got {value!r}; give a float, or a "
    "shared scalar to change it during training")

NOT_FINITE = ("{rule}: {name} must be a finite number, got {value!r}; a "
              "step rule with a NaN or infinite hyperparameter trains the "
              "parameters into NaN")

NOT_FINITE_SHARED = (
    "{rule}: {name} is the shared variable {variable} holding {value!r}; it "
    "must hold a finite number, or the parameters are trained into NaN")


def _current_value(value):
    """The number a hyperparameter holds (the value of a shared variable)."""
    if is_shared_variable(value):
        number = numpy.asarray(value.get_value(borrow=True))
        return number.item() if number.size == 1 else number
    return value


def check_hyperparameter(value, name, rule):
    """Refuse a missing, non-numeric or non-finite hyperparameter.

    Parameters
    ----------
    value : float or :class:`~pytensor.compile.SharedVariable`
        The hyperparameter as given: a number, or a shared scalar (whose
        current value is checked, so that it can still change later).
    name : str
        The argument's name (``'learning_rate'``).
    rule : str
        The name of the step rule it was given to (``'Scale'``).

    Returns
    -------
    The value, unchanged.

    Raises
    ------
    TypeError
        When `value` is not a number (``None``, a string, a boolean, an
        array with more than one element).
    ValueError
        When `value` (or the shared variable's value) is NaN or infinite.

    Examples
    --------
    >>> check_hyperparameter(0.1, 'learning_rate', 'Scale')
    0.1
    >>> check_hyperparameter(float('nan'), 'learning_rate', 'Scale')
    Traceback (most recent call last):
      ...
    ValueError: Scale: learning_rate must be a finite number, got nan; ...

    """
    if isinstance(value, Variable) and not is_shared_variable(value):
        # A symbolic expression has no value to check before training.
        if value.ndim != 0:
            raise TypeError(NOT_A_NUMBER.format(rule=rule, name=name,
                                                value=value))
        return value
    number = _current_value(value)
    if (number is None or isinstance(number, (str, bytes, bool,
                                              numpy.bool_))):
        raise TypeError(NOT_A_NUMBER.format(rule=rule, name=name,
                                            value=value))
    try:
        array = numpy.asarray(number)
    except (TypeError, ValueError):
        array = None
    if array is None or array.size != 1 or array.dtype.kind not in 'iuf':
        raise TypeError(NOT_A_NUMBER.format(rule=rule, name=name,
                                            value=value))
    if not numpy.isfinite(array).all():
        if is_shared_variable(value):
            raise ValueError(NOT_FINITE_SHARED.format(
                rule=rule, name=name, variable=value, value=array.item()))
        raise ValueError(NOT_FINITE.format(rule=rule, name=name,
                                           value=array.item()))
    return value


def hyperparameter(value, name, rule='the step rule'):
    """Return a floatX shared scalar holding a step rule's hyperparameter.

    Parameters
    ----------
    value : float or :class:`~pytensor.compile.SharedVariable`
        The initial value. A shared scalar is used as it is (so that the
        caller can change it during training); its current value must be
        finite.
    name : str
        The name of the hyperparameter (``'learning_rate'``).
    rule : str, optional
        The name of the step rule, for error messages.

    Returns
    -------
    :class:`~pytensor.compile.SharedVariable`
        A shared variable of dtype ``floatX`` named `name`, with the
        :const:`~blocks.roles.ALGORITHM_HYPERPARAMETER` role.

    Raises
    ------
    TypeError, ValueError
        See :func:`check_hyperparameter`.

    Examples
    --------
    >>> learning_rate = hyperparameter(0.5, 'learning_rate')
    >>> learning_rate.name, float(learning_rate.get_value())
    ('learning_rate', 0.5)
    >>> print(*learning_rate.tag.roles)
    ALGORITHM_HYPERPARAMETER

    """
    check_hyperparameter(value, name, rule)
    if isinstance(value, Variable):
        variable = value
        if variable.name is None:
            variable.name = name
    else:
        variable = shared_floatx(numpy.asarray(value).reshape(()), name)
    add_role(variable, ALGORITHM_HYPERPARAMETER)
    return variable


def algorithm_buffer(parameter, kind, shape=None):
    """Return a zero-filled shared variable holding a step rule's state.

    Parameters
    ----------
    parameter : :class:`~pytensor.compile.SharedVariable`
        The parameter the state belongs to; the buffer has its dtype and,
        unless `shape` is given, its shape and static shape.
    kind : str
        What the buffer holds (``'velocity'``). The buffer is named
        ``'{parameter.name}_{kind}'``, or `kind` for an unnamed parameter.
    shape : tuple of int, optional
        The shape of the buffer (``()`` for a per-parameter counter).

    Returns
    -------
    :class:`~pytensor.compile.SharedVariable`
        The buffer, with the :const:`~blocks.roles.ALGORITHM_BUFFER` role
        and ``tag.for_parameter`` set to `parameter`.

    Examples
    --------
    >>> W = shared_floatx([[1., 2.]], name='W')
    >>> velocity = algorithm_buffer(W, 'velocity')
    >>> velocity.name, velocity.get_value().tolist()
    ('W_velocity', [[0.0, 0.0]])
    >>> velocity.tag.for_parameter is W
    True

    """
    if not is_shared_variable(parameter):
        raise TypeError(
            "a step rule keeps its state in buffers shaped like the "
            "parameter, so the parameter must be a shared variable, got "
            "{!r} of type {}".format(parameter, type(parameter).__name__))
    if shape is None:
        shape = numpy.shape(parameter.get_value(borrow=True))
        static_shape = parameter.type.shape
    else:
        shape = tuple(shape)
        static_shape = shape
    name = kind if parameter.name is None else '{}_{}'.format(parameter.name,
                                                              kind)
    buffer_ = pytensor.shared(numpy.zeros(shape, dtype=parameter.dtype),
                              name=name, shape=static_shape)
    buffer_.tag.for_parameter = parameter
    add_role(buffer_, ALGORITHM_BUFFER)
    return buffer_


def _as_type_of(value, variable):
    """Cast `value` to the dtype of `variable` (updates must match it)."""
    if value.dtype != variable.dtype:
        return tensor.cast(value, variable.dtype)
    return value


class StepRule:
    """A rule to compute steps for a gradient descent algorithm.

    Subclasses implement :meth:`compute_step` for a rule that treats every
    parameter separately, or override :meth:`compute_steps` for a rule
    that looks at all the steps at once (:class:`StepClipping`).

    Examples
    --------
    >>> class Halve(StepRule):
    ...     def compute_step(self, parameter, previous_step):
    ...         return previous_step / 2, []
    >>> W = shared_floatx([1., 2.], name='W')
    >>> steps, updates = Halve().compute_steps(OrderedDict([(W, W)]))
    >>> steps[W].eval().tolist(), updates
    ([0.5, 1.0], [])

    """
    def compute_step(self, parameter, previous_step):
        """Build a PyTensor expression for the step of a parameter.

        Parameters
        ----------
        parameter : :class:`~pytensor.compile.SharedVariable`
            The parameter.
        previous_step : :class:`~pytensor.tensor.TensorVariable`
            Some quantity related to the gradient of the cost with respect
            to the parameter, either the gradient itself or a step in a
            related direction.

        Returns
        -------
        step : :class:`~pytensor.tensor.TensorVariable`
            The new step in the same direction or a related one.
        updates : list of tuples
            ``(shared variable, new value)`` pairs to update the rule's
            state with.

        """
        raise NotImplementedError(
            "{} must implement compute_step(parameter, previous_step) or "
            "override compute_steps(previous_steps)".format(
                type(self).__name__))

    def compute_steps(self, previous_steps):
        """Build PyTensor expressions for the steps of all parameters.

        Parameters
        ----------
        previous_steps : OrderedDict
            A dictionary of :class:`~pytensor.tensor.TensorVariable`
            previous steps, with the parameters as keys.

        Returns
        -------
        steps : OrderedDict
            The new steps, in the order of `previous_steps`.
        updates : list of tuples
            The updates of the rule's state, parameter by parameter.

        """
        steps = OrderedDict()
        updates = []
        for parameter, previous_step in previous_steps.items():
            steps[parameter], parameter_updates = self.compute_step(
                parameter, previous_step)
            updates.extend(parameter_updates)
        return steps, updates


class CompositeRule(StepRule):
    """Chains several step rules: each transforms the steps of the last.

    Parameters
    ----------
    components : list of :class:`StepRule`
        The rules, applied in the order given.

    Examples
    --------
    >>> W = shared_floatx([2., 4.], name='W')
    >>> rule = CompositeRule([Scale(0.5), Scale(0.5)])
    >>> steps, updates = rule.compute_steps(OrderedDict([(W, W)]))
    >>> steps[W].eval().tolist()
    [0.5, 1.0]

    """
    def __init__(self, components):
        components = list(components)
        not_rules = [component for component in components
                     if not isinstance(component, StepRule)]
        if not_rules:
            raise TypeError("components must be StepRule instances, got "
                            "{!r}".format(not_rules))
        self.components = components

    def compute_steps(self, previous_steps):
        steps = previous_steps
        updates = []
        for rule in self.components:
            steps, more_updates = rule.compute_steps(steps)
            updates += more_updates
        return steps, updates


class Scale(StepRule):
    r"""A step in the direction proportional to the previous step.

    The step is :math:`\eta s`, where :math:`s` is the previous step. Used
    alone (applied to the gradient), it is plain stochastic gradient
    descent.

    Parameters
    ----------
    learning_rate : float
        The learning rate :math:`\eta` by which the previous step is
        multiplied. Defaults to 1.

    Attributes
    ----------
    learning_rate : :class:`~pytensor.tensor.sharedvar.TensorSharedVariable`
        The shared variable storing the learning rate used.

    Examples
    --------
    >>> W = shared_floatx([1., 2.], name='W')
    >>> steps, _ = Scale(learning_rate=0.5).compute_steps(
    ...     OrderedDict([(W, 4 * W)]))
    >>> steps[W].eval().tolist()
    [2.0, 4.0]

    """
    def __init__(self, learning_rate=1.0):
        self.learning_rate = hyperparameter(learning_rate, 'learning_rate', 'Scale')

    def compute_step(self, parameter, previous_step):
        return self.learning_rate * previous_step, []


class BasicMomentum(StepRule):
    r"""Accumulates the steps with exponential discount.

    The velocity is :math:`v_t = \mu v_{t-1} + s_t`, and it is also the
    step. It is kept in a buffer named ``'{parameter}_velocity'``.

    Parameters
    ----------
    momentum : float, optional
        The momentum coefficient :math:`\mu`. Defaults to 0.

    Notes
    -----
    This step rule is intended to be used in conjunction with another
    step rule, *e.g.* :class:`Scale`. For an all-batteries-included
    experience, look at :class:`Momentum`.

    Examples
    --------
    >>> from blocks.utils import compile_function
    >>> W = shared_floatx([1., 2.], name='W')
    >>> steps, updates = BasicMomentum(momentum=0.5).compute_steps(
    ...     OrderedDict([(W, W)]))
    >>> [velocity.name for velocity, _ in updates]
    ['W_velocity']
    >>> step = compile_function([], steps[W], updates=updates)
    >>> step().tolist(), step().tolist()
    ([1.0, 2.0], [1.5, 3.0])

    """
    def __init__(self, momentum=0.):
        self.momentum = hyperparameter(momentum, 'momentum', 'BasicMomentum')

    def compute_step(self, parameter, previous_step):
        velocity = algorithm_buffer(parameter, 'velocity')
        step = self.momentum * velocity + previous_step
        return step, [(velocity, _as_type_of(step, velocity))]


class Momentum(CompositeRule):
    r"""Accumulates the scaled steps with exponential discount.

    Combines :class:`Scale` and :class:`BasicMomentum`: the step is
    :math:`v_t = \mu v_{t-1} + \eta s_t`.

    Parameters
    ----------
    learning_rate : float, optional
        The learning rate by which the previous step is scaled. Defaults
        to 1.
    momentum : float, optional
        The momentum coefficient. Defaults to 0.

    Attributes
    ----------
    learning_rate : :class:`~pytensor.tensor.sharedvar.TensorSharedVariable`
        A variable for learning rate.
    momentum : :class:`~pytensor.tensor.sharedvar.TensorSharedVariable`
        A variable for momentum.

    See Also
    --------
    SharedVariableModifier

    Examples
    --------
    >>> rule = Momentum(learning_rate=0.5, momentum=0.9)
    >>> rule.learning_rate.name, rule.momentum.name
    ('learning_rate', 'momentum')

    """
    def __init__(self, learning_rate=1.0, momentum=0.):
        check_hyperparameter(learning_rate, 'learning_rate', 'Momentum')
        check_hyperparameter(momentum, 'momentum', 'Momentum')
        scale = Scale(learning_rate=learning_rate)
        basic_momentum = BasicMomentum(momentum=momentum)
        self.learning_rate = scale.learning_rate
        self.momentum = basic_momentum.momentum
        super().__init__([scale, basic_momentum])


def _check_decay_rate(decay_rate, rule):
    check_hyperparameter(decay_rate, 'decay_rate', rule)
    value = _current_value(decay_rate)
    if isinstance(decay_rate, Variable) and not is_shared_variable(
            decay_rate):
        return
    if not 0.0 <= value <= 1.0:
        raise ValueError("{}: decay_rate must be in [0, 1], got {!r}".format(
            rule, value))


def _check_max_scaling(max_scaling, rule):
    check_hyperparameter(max_scaling, 'max_scaling', rule)
    if isinstance(max_scaling, Variable) and not is_shared_variable(
            max_scaling):
        return
    value = _current_value(max_scaling)
    if not value > 0:
        raise ValueError("{}: max_scaling must be greater than 0, got "
                         "{!r}".format(rule, value))


class AdaDelta(StepRule):
    r"""Adapts the step size over time using only first order information.

    With :math:`\rho` the decay rate, :math:`g_t` the previous step and
    :math:`\epsilon` a small constant:

    .. math::
        E[g^2]_t = \rho E[g^2]_{t-1} + (1 - \rho) g_t^2, \qquad
        \Delta_t = \frac{\sqrt{E[\Delta^2]_{t-1} + \epsilon}}
                        {\sqrt{E[g^2]_t + \epsilon}} g_t, \qquad
        E[\Delta^2]_t = \rho E[\Delta^2]_{t-1} + (1 - \rho) \Delta_t^2,

    and the step is :math:`\Delta_t`. The two running averages are kept in
    buffers named ``'{parameter}_mean_square_step_tm1'`` and
    ``'{parameter}_mean_square_delta_x_tm1'``.

    Parameters
    ----------
    decay_rate : float, optional
        Decay rate in [0, 1]. Defaults to 0.95.
    epsilon : float, optional
        Stabilizing constant for RMS. Defaults to 1e-6.

    Notes
    -----
    For more information, see [ADADELTA]_.

    .. [ADADELTA] Matthew D. Zeiler, *ADADELTA: An Adaptive Learning
       Rate Method*, arXiv:1212.5701.

    Examples
    --------
    >>> rule = AdaDelta()
    >>> round(float(rule.decay_rate.get_value()), 4)
    0.95
    >>> AdaDelta(decay_rate=1.5)
    Traceback (most recent call last):
    ...
    ValueError: AdaDelta: decay_rate must be in [0, 1], got 1.5

    """
    def __init__(self, decay_rate=0.95, epsilon=1e-6):
        _check_decay_rate(decay_rate, 'AdaDelta')
        self.decay_rate = hyperparameter(decay_rate, 'decay_rate', 'AdaDelta')
        self.epsilon = hyperparameter(epsilon, 'epsilon', 'AdaDelta')

    def compute_step(self, parameter, previous_step):
        mean_square_step_tm1 = algorithm_buffer(parameter,
                                                'mean_square_step_tm1')
        mean_square_delta_x_tm1 = algorithm_buffer(parameter,
                                                   'mean_square_delta_x_tm1')
        mean_square_step_t = (
            self.decay_rate * mean_square_step_tm1 +
            (1 - self.decay_rate) * tensor.sqr(previous_step))
        rms_delta_x_tm1 = tensor.sqrt(mean_square_delta_x_tm1 + self.epsilon)
        rms_step_t = tensor.sqrt(mean_square_step_t + self.epsilon)
        delta_x_t = rms_delta_x_tm1 / rms_step_t * previous_step
        mean_square_delta_x_t = (
            self.decay_rate * mean_square_delta_x_tm1 +
            (1 - self.decay_rate) * tensor.sqr(delta_x_t))
        updates = [(mean_square_step_tm1,
                    _as_type_of(mean_square_step_t, mean_square_step_tm1)),
                   (mean_square_delta_x_tm1,
                    _as_type_of(mean_square_delta_x_t,
                                mean_square_delta_x_tm1))]
        return delta_x_t, updates


class BasicRMSProp(StepRule):
    r"""Scales the step size by a running average of the recent step norms.

    With :math:`\rho` the decay rate and :math:`g_t` the previous step:

    .. math::
        E[g^2]_t = \rho E[g^2]_{t-1} + (1 - \rho) g_t^2, \qquad
        \text{step} = \frac{g_t}
                           {\max(\sqrt{E[g^2]_t}, 1 / \text{max\_scaling})}.

    The running average is kept in a buffer named
    ``'{parameter}_mean_square_step_tm1'``.

    Parameters
    ----------
    decay_rate : float, optional
        How fast the running average decays, value in [0, 1]
        (lower is faster). Defaults to 0.9.
    max_scaling : float, optional
        Maximum scaling of the step size, in case the running average is
        really small. Needs to be greater than 0. Defaults to 1e5.

    Attributes
    ----------
    decay_rate, max_scaling : :class:`~pytensor.compile.SharedVariable`
        The hyperparameters.
    epsilon : float
        ``1 / max_scaling``, read from the current value of `max_scaling`.

    Notes
    -----
    This step rule is intended to be used in conjunction with another
    step rule, *e.g.* :class:`Scale`. For an all-batteries-included
    experience, look at :class:`RMSProp`.

    In general, this step rule should be used *before* other step rules,
    because it has normalization properties that may undo their work.
    For instance, it should be applied first when used in conjunction
    with :class:`Scale`.

    For more information, see [Hint2014]_.

    Unlike Blocks, where ``max_scaling`` was a plain number, it is a
    hyperparameter here (a shared variable), like the others.

    Examples
    --------
    >>> rule = BasicRMSProp(max_scaling=4.)
    >>> float(rule.epsilon)
    0.25
    >>> BasicRMSProp(max_scaling=0)
    Traceback (most recent call last):
    ...
    ValueError: BasicRMSProp: max_scaling must be greater than 0, got 0

    """
    def __init__(self, decay_rate=0.9, max_scaling=1e5):
        rule = 'BasicRMSProp'
        _check_decay_rate(decay_rate, rule)
        _check_max_scaling(max_scaling, rule)
        self.decay_rate = hyperparameter(decay_rate, 'decay_rate', rule)
        self.max_scaling = hyperparameter(max_scaling, 'max_scaling', rule)

    @property
    def epsilon(self):
        return 1. / self.max_scaling.get_value()

    def compute_step(self, parameter, previous_step):
        mean_square_step_tm1 = algorithm_buffer(parameter,
                                                'mean_square_step_tm1')
        mean_square_step_t = (
            self.decay_rate * mean_square_step_tm1 +
            (1 - self.decay_rate) * tensor.sqr(previous_step))
        rms_step_t = tensor.maximum(tensor.sqrt(mean_square_step_t),
                                    1. / self.max_scaling)
        step = previous_step / rms_step_t
        return step, [(mean_square_step_tm1,
                       _as_type_of(mean_square_step_t, mean_square_step_tm1))]


class RMSProp(CompositeRule):
    r"""Scales the step size by a running average of the recent step norms.

    Combines :class:`BasicRMSProp` and :class:`Scale`, in this order.

    Parameters
    ----------
    learning_rate : float, optional
        The learning rate by which the previous step scaled. Defaults to 1.
    decay_rate : float, optional
        How fast the running average decays (lower is faster).
        Defaults to 0.9.
    max_scaling : float, optional
        Maximum scaling of the step size, in case the running average is
        really small. Defaults to 1e5.

    Attributes
    ----------
    learning_rate, decay_rate, max_scaling : :class:`~pytensor.compile.SharedVariable`
        The hyperparameters of the two components.

    Notes
    -----
    For more information, see [Hint2014]_.

    .. [Hint2014] Geoff Hinton, *Neural Networks for Machine Learning*,
       lecture 6a,
       http://cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf

    Examples
    --------
    >>> rule = RMSProp(learning_rate=0.1)
    >>> [type(component).__name__ for component in rule.components]
    ['BasicRMSProp', 'Scale']

    """
    def __init__(self, learning_rate=1.0, decay_rate=0.9, max_scaling=1e5):
        check_hyperparameter(learning_rate, 'learning_rate', 'RMSProp')
        _check_decay_rate(decay_rate, 'RMSProp')
        _check_max_scaling(max_scaling, 'RMSProp')
        basic_rms_prop = BasicRMSProp(decay_rate=decay_rate,
                                      max_scaling=max_scaling)
        scale = Scale(learning_rate=learning_rate)
        self.learning_rate = scale.learning_rate
        self.decay_rate = basic_rms_prop.decay_rate
        self.max_scaling = basic_rms_prop.max_scaling
        super().__init__([basic_rms_prop, scale])


class StepClipping(StepRule):
    r"""Rescales an entire step if its L2 norm exceeds a threshold.

    When the previous steps are the gradients, this step rule performs
    gradient clipping: with :math:`n` the L2 norm of all the steps
    together and :math:`c` the threshold, every step is multiplied by
    :math:`\min(1, c / n)`.

    Parameters
    ----------
    threshold : float, optional
        The maximum permitted L2 norm for the step. The step
        will be rescaled to be not higher than this quantity.
        If ``None`` (default), no rescaling is applied.

    Attributes
    ----------
    threshold : :class:`~pytensor.tensor.sharedvar.TensorSharedVariable`
        The shared variable storing the clipping threshold used.

    Examples
    --------
    >>> W = shared_floatx([3., 4.], name='W')
    >>> steps, _ = StepClipping(threshold=1.).compute_steps(
    ...     OrderedDict([(W, 2 * W)]))
    >>> [round(value, 4) for value in steps[W].eval().tolist()]
    [0.6, 0.8]

    """
    def __init__(self, threshold=None):
        if threshold is not None:
            threshold = hyperparameter(threshold, 'threshold',
                                       'StepClipping')
        self.threshold = threshold

    def compute_steps(self, previous_steps):
        if self.threshold is None or not previous_steps:
            return OrderedDict(previous_steps), []
        norm = l2_norm(previous_steps.values())
        multiplier = tensor.switch(norm < self.threshold, 1,
                                   self.threshold / norm)
        steps = OrderedDict(
            (parameter, step * multiplier)
            for parameter, step in previous_steps.items())
        return steps, []


class VariableClipping(StepRule):
    r"""Clip the maximum norm of individual variables along certain axes.

    This :class:`StepRule` can be used to implement L2 norm constraints
    on e.g. the weight vectors of individual hidden units, convolutional
    filters or entire weight tables for embeddings. The step is changed so
    that the parameter after the update, :math:`p - s`, has a norm of at
    most the threshold along the given axes.

    Parameters
    ----------
    threshold : float
        Maximum norm for a given (portion of a) tensor.
    axis : int or iterable, optional
        An integer single axis, or an iterable collection of integer
        axes over which to sum in order to calculate the L2 norm. If
        ``None`` (the default), the norm is computed over all elements
        of the tensor.

    Notes
    -----
    Because of the way the :class:`StepRule` API works, this particular
    rule implements norm clipping of the value *after* update in the
    following way: it computes ``parameter - previous_step``, scales it
    to have (possibly axes-wise) norm(s) of at most `threshold`,
    then subtracts *that* value from `parameter` to yield an 'equivalent
    step' that respects the desired norm constraints. This procedure
    implicitly assumes one is doing simple (stochastic) gradient descent,
    and so steps computed by this step rule may not make sense for use
    in other contexts.

    Investigations into max-norm regularization date from [Srebro2005]_.
    The first appearance of this technique as a regularization method
    for the weight vectors of individual hidden units in feed-forward
    neural networks may be [Hinton2012]_.

    .. [Srebro2005] Nathan Srebro and Adi Shraibman.
       "Rank, Trace-Norm and Max-Norm". *18th Annual Conference
       on Learning Theory (COLT)*, June 2005.

    .. [Hinton2012] Geoffrey E. Hinton, Nitish Srivastava,
       Alex Krizhevsky, Ilya Sutskever, Ruslan R. Salakhutdinov.
       "Improving neural networks by preventing co-adaptation of
       feature detectors". arXiv:1207.0580.

    Examples
    --------
    >>> W = shared_floatx([[3., 0.], [4., 0.5]], name='W')
    >>> steps, _ = VariableClipping(1., axis=0).compute_steps(
    ...     OrderedDict([(W, 0 * W)]))
    >>> updated = (W - steps[W]).eval()
    >>> [[round(value, 4) for value in row] for row in updated.tolist()]
    [[0.6, 0.0], [0.8, 0.5]]

    """
    def __init__(self, threshold, axis=None):
        axes = pack(axis) if axis is not None else []
        if len(set(axes)) != len(axes):
            raise ValueError("axis must name each axis at most once, got "
                             "{!r}".format(axis))
        self.axis = set(axes)
        self.threshold = hyperparameter(threshold, 'threshold', 'VariableClipping')

    def compute_step(self, parameter, previous_step):
        ndim = previous_step.ndim
        if any(not -ndim <= ax < ndim for ax in self.axis):
            raise ValueError(
                "axis {!r} of VariableClipping is invalid for the parameter "
                "{} with ndim={}".format(sorted(self.axis), parameter, ndim))
        axes = sorted({ax % ndim for ax in self.axis})
        updated = parameter - previous_step
        if not axes:
            norms = l2_norm([updated])
        else:
            norms = tensor.sqrt(tensor.sqr(updated).sum(axis=axes,
                                                        keepdims=True))
        # The step s* for which parameter - s* is (parameter - previous
        # step) scaled by threshold / norm, where the norm is too large.
        shrinking_step = parameter - (self.threshold / norms) * updated
        return tensor.switch(norms > self.threshold, shrinking_step,
                             previous_step), []


class AdaGrad(StepRule):
    r"""Implements the AdaGrad learning rule.

    With :math:`\eta` the learning rate and :math:`g_t` the previous step:

    .. math::
        a_t = a_{t-1} + g_t^2, \qquad
        \text{step} = \frac{\eta g_t}{\sqrt{a_t} + \epsilon}.

    The sum of squares :math:`a_t` is kept in a buffer named
    ``'{parameter}_adagrad_sqs'``.

    Parameters
    ----------
    learning_rate : float, optional
        Step size. Defaults to 0.002.
    epsilon : float, optional
        Stabilizing constant, added to the denominator. Defaults to 1e-6.

    Notes
    -----
    For more information, see [ADAGRAD]_.

    .. [ADAGRAD] Duchi J, Hazan E, Singer Y.,
       *Adaptive subgradient methods for online learning and
       stochastic optimization*,
       http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf

    Examples
    --------
    >>> W = shared_floatx([1.], name='W')
    >>> steps, updates = AdaGrad(learning_rate=0.5, epsilon=0.).compute_steps(
    ...     OrderedDict([(W, 2 * W)]))
    >>> [buffer_.name for buffer_, _ in updates]
    ['W_adagrad_sqs']
    >>> steps[W].eval().tolist()
    [0.5]

    """
    def __init__(self, learning_rate=0.002, epsilon=1e-6):
        self.learning_rate = hyperparameter(learning_rate, 'learning_rate', 'AdaGrad')
        self.epsilon = hyperparameter(epsilon, 'epsilon', 'AdaGrad')

    def compute_step(self, parameter, previous_step):
        ssq = algorithm_buffer(parameter, 'adagrad_sqs')
        ssq_t = tensor.sqr(previous_step) + ssq
        step = (self.learning_rate * previous_step /
                (tensor.sqrt(ssq_t) + self.epsilon))
        return step, [(ssq, _as_type_of(ssq_t, ssq))]


class Adam(StepRule):
    r"""Adam optimizer as described in [King2014]_.

    With :math:`g_t` the previous step and :math:`t` counting the steps
    from 1:

    .. math::
        \beta_{1,t} = \beta_1 \lambda^{t-1}, \qquad
        m_t = \beta_{1,t} m_{t-1} + (1 - \beta_{1,t}) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,

    .. math::
        \text{step} = \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
                      \frac{m_t}{\sqrt{v_t} + \epsilon}.

    The moments and the step counter are kept in buffers named
    ``'{parameter}_adam_mean'``, ``'{parameter}_adam_variance'`` and
    ``'{parameter}_adam_time'``.

    .. [King2014] Diederik Kingma, Jimmy Ba,
       *Adam: A Method for Stochastic Optimization*,
       http://arxiv.org/abs/1412.6980

    Parameters
    ----------
    learning_rate : float, optional
        Step size. Default value is set to 0.002.
    beta1 : float, optional
        Exponential decay rate for the first moment estimates.
        Default value is set to 0.9.
    beta2 : float, optional
        Exponential decay rate for the second moment estimates.
        Default value is set to 0.999.
    epsilon : float, optional
        Default value is set to 1e-8.
    decay_factor : float, optional
        Default value is set to 1.

    Examples
    --------
    >>> W = shared_floatx([1.], name='W')
    >>> steps, updates = Adam().compute_steps(OrderedDict([(W, W)]))
    >>> [buffer_.name for buffer_, _ in updates]
    ['W_adam_mean', 'W_adam_variance', 'W_adam_time']

    """
    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, decay_factor=1):
        self.learning_rate = hyperparameter(learning_rate, 'learning_rate', 'Adam')
        self.beta1 = hyperparameter(beta1, 'beta1', 'Adam')
        self.beta2 = hyperparameter(beta2, 'beta2', 'Adam')
        self.epsilon = hyperparameter(epsilon, 'epsilon', 'Adam')
        self.decay_factor = hyperparameter(decay_factor, 'decay_factor', 'Adam')

    def compute_step(self, parameter, previous_step):
        mean = algorithm_buffer(parameter, 'adam_mean')
        variance = algorithm_buffer(parameter, 'adam_variance')
        time = algorithm_buffer(parameter, 'adam_time', shape=())

        t1 = time + 1
        beta_1_decayed = self.beta1 * self.decay_factor ** (t1 - 1)
        learning_rate = (self.learning_rate *
                         tensor.sqrt(1. - self.beta2 ** t1) /
                         (1. - self.beta1 ** t1))
        mean_t = beta_1_decayed * mean + (1. - beta_1_decayed) * previous_step
        variance_t = (self.beta2 * variance +
                      (1. - self.beta2) * tensor.sqr(previous_step))
        step = (learning_rate * mean_t /
                (tensor.sqrt(variance_t) + self.epsilon))
        updates = [(mean, _as_type_of(mean_t, mean)),
                   (variance, _as_type_of(variance_t, variance)),
                   (time, _as_type_of(t1, time))]
        return step, updates


class RemoveNotFinite(StepRule):
    r"""A step rule that skips steps with non-finite elements.

    Replaces a step (the parameter update of a single shared variable)
    which contains non-finite elements (such as ``inf`` or ``NaN``) with a
    step rescaling the parameters: the step becomes
    ``(1 - scaler) * parameter``, so that plain gradient descent sets the
    parameter to ``scaler * parameter``.

    Parameters
    ----------
    scaler : float, optional
        The scaling applied to the parameter in case the step contains
        non-finite elements. Defaults to 1, which means that parameters
        will not be changed.

    Notes
    -----
    This rule should be applied last!

    This trick was originally used in the GroundHog_ framework.

    Unlike Blocks, where ``scaler`` was a plain number, it is a
    hyperparameter here (a shared variable), like the others.

    .. _GroundHog: https://github.com/lisa-groundhog/GroundHog

    Examples
    --------
    >>> W = shared_floatx([1., 2.], name='W')
    >>> steps, _ = RemoveNotFinite(scaler=0.5).compute_steps(
    ...     OrderedDict([(W, W * numpy.nan)]))
    >>> steps[W].eval().tolist()
    [0.5, 1.0]

    """
    def __init__(self, scaler=1):
        self.scaler = hyperparameter(scaler, 'scaler', 'RemoveNotFinite')

    def compute_step(self, parameter, previous_step):
        step_sum = tensor.sum(previous_step)
        not_finite = tensor.isnan(step_sum) | tensor.isinf(step_sum)
        step = tensor.switch(not_finite, (1 - self.scaler) * parameter,
                             previous_step)
        return step, []


class Restrict(StepRule):
    """Applies a given :class:`StepRule` only to certain variables.

    Parameters
    ----------
    step_rule : :class:`StepRule`
        The :class:`StepRule` to be applied on the given variables.
    variables : iterable
        A collection of variables (e.g. shared variables) on which to
        apply `step_rule`; the steps of the other variables pass through
        unchanged.

    Examples
    --------
    This example can be used to apply ``Scale`` to only the weights, and
    not the biases:

    >>> W = shared_floatx([1., 2.], name='W')
    >>> b = shared_floatx([1., 2.], name='b')
    >>> rule = Restrict(Scale(0.5), [W])
    >>> steps, _ = rule.compute_steps(OrderedDict([(W, W), (b, b)]))
    >>> steps[W].eval().tolist(), steps[b].eval().tolist()
    ([0.5, 1.0], [1.0, 2.0])

    Usually the variables come from a filter, e.g. to clip the norm of
    the weights only:

    >>> from blocks.filter import VariableFilter  # doctest: +SKIP
    >>> from blocks.roles import WEIGHT  # doctest: +SKIP
    >>> weights = VariableFilter(roles=[WEIGHT])(cg)  # doctest: +SKIP
    >>> rule = Restrict(VariableClipping(2.), weights)  # doctest: +SKIP

    """
    def __init__(self, step_rule, variables):
        if not isinstance(step_rule, StepRule):
            raise TypeError("step_rule must be a StepRule instance, got "
                            "{!r}".format(step_rule))
        self.step_rule = step_rule
        self.variables = frozenset(variables)

    def __setstate__(self, state):
        # Checkpoints of earlier versions of this port call it `parameters`.
        if 'parameters' in state and 'variables' not in state:
            state['variables'] = state.pop('parameters')
        self.__dict__.update(state)

    def compute_steps(self, previous_steps):
        # Filter in the order of previous_steps: a frozenset's order
        # depends on object ids, which would make the updates'
        # order vary from run to run.
        filtered_previous_steps = OrderedDict(
            (parameter, step) for parameter, step in previous_steps.items()
            if parameter in self.variables)
        steps, updates = self.step_rule.compute_steps(
            filtered_previous_steps)
        actual = OrderedDict(
            (parameter, steps[parameter] if parameter in steps else step)
            for parameter, step in previous_steps.items())
        return actual, updates
