"""Graph transformations: noise, dropout and parameter collection.

Each transformation takes a :class:`.ComputationGraph` and the variables to
transform (usually selected with a :class:`~blocks.filter.VariableFilter`),
and returns a new :class:`.ComputationGraph`; the model code is untouched.

"""
import math
import numbers
import warnings

import numpy
import pytensor
from pytensor import tensor

from blocks.config import config
from blocks.random_streams import RandomStream

try:  # PyTensor's own stream, deprecated since PyTensor 3
    from pytensor.tensor.random.utils import RandomStream as PyTensorStream
except ImportError:
    PyTensorStream = RandomStream
from blocks.roles import add_role, COLLECTED, COLLECTOR, DROPOUT
from blocks.utils import is_shared_variable, shared_floatx_zeros

__all__ = ['apply_noise', 'apply_dropout', 'collect_parameters']


def _random_stream(rng, seed):
    """Return `rng`, or a new :class:`RandomStream` seeded with `seed`."""
    if rng is not None:
        if not isinstance(rng, (RandomStream, PyTensorStream)):
            raise TypeError("rng must be a blocks.random_streams."
                            "RandomStream, got {!r}".format(rng))
        return rng
    if seed is None:
        seed = config.default_seed
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError("seed must be an integer, got {!r}".format(seed))
    return RandomStream(seed)


def _draw(rng, distribution, *args, **kwargs):
    """Draw from `rng`, silencing PyTensor's deprecation notices.

    :class:`~blocks.random_streams.RandomStream` gives each draw a
    shared generator with a ``default_update``, so that every call of a
    compiled function advances it; PyTensor 3 announces that this
    mechanism will change, which is no concern of a Blocks user.

    """
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', category=DeprecationWarning,
                                message='Setting default_update')
        warnings.filterwarnings('ignore', category=DeprecationWarning,
                                message='RandomVariable Ops will stop hiding')
        return getattr(rng, distribution)(*args, **kwargs)


def _check_variables(variables):
    variables = list(variables)
    for variable in variables:
        if not isinstance(variable, pytensor.graph.basic.Variable):
            raise TypeError("variables must be a list of PyTensor variables, "
                            "got {!r} in it".format(variable))
    return variables


def apply_noise(computation_graph, variables, level, seed=None):
    """Add Gaussian noise to certain variable of a computation graph.

    Each variable ``v`` is replaced by ``v + level * n``, where ``n`` is
    drawn from a standard normal distribution of the shape of ``v`` on
    every call of a compiled function.

    Parameters
    ----------
    computation_graph : instance of :class:`ComputationGraph`
        The computation graph.
    variables : list of :class:`~pytensor.tensor.TensorVariable`
        Variables to add noise to.
    level : float
        Noise level (the standard deviation of the noise).
    seed : int, optional
        The seed with which the
        :class:`~blocks.random_streams.RandomStream` is initialized;
        :attr:`blocks.config.config.default_seed` (1) by default.

    Returns
    -------
    :class:`ComputationGraph`
        A new graph with the noisy variables.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.graph import ComputationGraph
    >>> x = tensor.vector('x')
    >>> cg = ComputationGraph([2 * x])
    >>> noisy = apply_noise(cg, [x], 0.0).outputs[0]
    >>> noisy.eval({x: [1., 2.]}).tolist()
    [2.0, 4.0]
    >>> noisy = apply_noise(cg, [x], 1.0, seed=3).outputs[0]
    >>> bool((noisy.eval({x: [1., 2.]}) != [2.0, 4.0]).all())
    True

    """
    variables = _check_variables(variables)
    rng = _random_stream(None, seed)
    replacements = []
    for variable in variables:
        noise = _draw(rng, 'normal', 0, 1, size=variable.shape)
        replacement = variable + tensor.cast(level * noise, variable.dtype)
        replacements.append((variable, replacement))
    return computation_graph.replace(replacements)


def apply_dropout(computation_graph, variables, drop_prob, rng=None,
                  seed=None, custom_divisor=None):
    r"""Apply dropout to specified variables in a graph.

    Each variable ``v`` is replaced by ``v * mask / divisor``, where the
    entries of ``mask`` are 1 with probability ``1 - drop_prob`` and 0
    otherwise. A fresh mask is drawn on every call of a function compiled
    from the new graph (the random generator is a shared variable with a
    default update).

    Parameters
    ----------
    computation_graph : instance of :class:`ComputationGraph`
        The computation graph.
    variables : list of :class:`~pytensor.tensor.TensorVariable`
        Variables to be dropped out.
    drop_prob : float or scalar :class:`~pytensor.tensor.TensorVariable`
        Probability of dropping out. If you want to apply the dropout
        with different probabilities for different layers, call it
        several times. A shared variable lets it change during training
        without recompiling.
    rng : :class:`~blocks.random_streams.RandomStream`, optional
        Random number generator.
    seed : int, optional
        Random seed to be used if `rng` was not specified;
        :attr:`blocks.config.config.default_seed` by default.
    custom_divisor : float or None, optional
        Divide dropped variables by a given scalar value. If `None`,
        (default) dropped variables will be divided by `(1 - drop_prob)`
        which is equivalent to scaling by `(1 - drop_prob)` at test
        time as recommended in [DROPOUT]_.

    Returns
    -------
    dropped_computation_graph : instance of :class:`ComputationGraph`
        A new computation graph with dropout applied to the specified
        variables. In order to train with, or monitor, the outputs
        of the original computation graph with dropout applies, use
        the variables contained in `dropped_computation_graph.outputs`.

    Notes
    -----
    For more information, see [DROPOUT]_.

    The replacement ``v * mask / divisor`` of each variable gets the
    :const:`.DROPOUT` role, and its ``tag.replacement_of`` is the
    original variable.

    The mask is the one ``rng.binomial(v.shape, p=1 - drop_prob)`` draws
    (as Blocks drew it, from ``MRG_RandomStreams`` then), cast to the dtype
    of ``v``: with the same seed, ``RandomStream(seed).binomial(v.shape,
    p=1 - drop_prob)`` gives the same mask. It is computed from a uniform
    draw, which also compiles in PyTensor's JAX mode.

    .. [DROPOUT] Hinton et al. *Improving neural networks by preventing
       co-adaptation of feature detectors*, arXiv:1207.0580.

    Examples
    --------
    >>> import numpy
    >>> import pytensor
    >>> from pytensor import tensor
    >>> from blocks.bricks import MLP, Identity
    >>> from blocks.filter import VariableFilter
    >>> from blocks.graph import ComputationGraph
    >>> from blocks.initialization import Constant
    >>> from blocks.roles import INPUT, DROPOUT
    >>> linear = MLP([Identity(), Identity()], [2, 10, 2],
    ...              weights_init=Constant(1), biases_init=Constant(2))
    >>> x = tensor.matrix('x')
    >>> y = linear.apply(x)
    >>> cg = ComputationGraph(y)

    We are going to drop out all the input variables

    >>> inputs = VariableFilter(roles=[INPUT])(cg.variables)

    Here we apply dropout with default setting to our computation graph

    >>> cg_dropout = apply_dropout(cg, inputs, 0.5)

    Dropped out variables have role `DROPOUT` and are tagged with
    `replacement_of` tag. Let's filter these variables and check if they
    have the links to original ones.

    >>> dropped_out = VariableFilter(roles=[DROPOUT])(cg_dropout.variables)
    >>> inputs_referenced = [var.tag.replacement_of for var in dropped_out]
    >>> set(inputs) == set(inputs_referenced)
    True

    Compiling functions to forward propagate in original and dropped
    out graphs

    >>> fprop = cg.get_theano_function()
    >>> fprop_dropout = cg_dropout.get_theano_function()

    Initialize an MLP and apply these functions

    >>> linear.initialize()
    >>> ones = numpy.ones((3, 2), dtype=pytensor.config.floatX)
    >>> fprop(ones)[0].tolist()
    [[42.0, 42.0], [42.0, 42.0], [42.0, 42.0]]
    >>> first = fprop_dropout(ones)[0]

    And after the second run the answer is different: every call draws
    new masks

    >>> second = fprop_dropout(ones)[0]
    >>> bool((first != second).any())
    True

    """
    variables = _check_variables(variables)
    symbolic = isinstance(drop_prob, pytensor.graph.basic.Variable)
    if not symbolic and (not isinstance(drop_prob, numbers.Real) or
                         not 0 <= drop_prob <= 1):
        raise ValueError("drop_prob must be a number in [0, 1], got "
                         "{!r}".format(drop_prob))
    rng = _random_stream(rng, seed)
    if custom_divisor is None:
        divisor = 1 - drop_prob
    else:
        divisor = custom_divisor
    replacements = []
    for variable in variables:
        mask = tensor.cast(_keep_mask(rng, variable.shape, drop_prob),
                           variable.dtype)
        replacement = variable * mask / tensor.cast(divisor, variable.dtype)
        replacements.append((variable, replacement))
    for variable, replacement in replacements:
        add_role(replacement, DROPOUT)
        replacement.tag.replacement_of = variable

    return computation_graph.replace(replacements)


def _keep_mask(rng, shape, drop_prob):
    """The mask ``rng.binomial(shape, p=1 - drop_prob)`` draws, from a uniform.

    NumPy draws a one-trial binomial with probability ``p`` from one
    uniform ``U`` per entry (its inversion algorithm): 1 where ``U > (1 -
    p)`` if ``p <= 0.5``, else where ``U <= p`` (the thresholds computed as
    NumPy computes them, ``exp(log(.))``). Comparing a uniform draw the
    same way gives the very mask that ``binomial`` draws from the same
    generator, and compiles in the JAX mode too, where a binomial does
    not without NumPyro.

    """
    uniform = _draw(rng, 'uniform', 0., 1., size=shape, dtype='float64')
    if isinstance(drop_prob, pytensor.graph.basic.Variable):
        keep = 1. - tensor.cast(drop_prob, 'float64')
        low = keep <= 0.5
        threshold = tensor.exp(tensor.log(
            tensor.switch(low, 1. - keep, 1. - (1. - keep))))
        return tensor.switch(low, uniform > threshold, uniform <= threshold)
    keep = 1. - float(drop_prob)
    if keep <= 0.5:
        return uniform > math.exp(math.log(1. - keep))
    return uniform <= math.exp(math.log(1. - (1. - keep)))


def collect_parameters(computation_graph, parameters):
    """Replace parameters with a single shared variable.

    This can be useful if you need to calculate the full Hessian of a
    computational graph. It replaces parameters with slices of a single
    large vectors like

    >>> from blocks.utils import shared_floatx
    >>> W1 = shared_floatx(numpy.random.rand(10, 10))
    >>> W2 = shared_floatx(numpy.random.rand(10, 10))
    >>> all_parameters = shared_floatx(numpy.concatenate(
    ...     [W1.get_value().flatten(), W2.get_value().flatten()]))
    >>> W1 = all_parameters[:W1.size]
    >>> W2 = all_parameters[W1.size:]

    Parameters
    ----------
    computation_graph : :class:`..graph.ComputationGraph` instance
        The managed PyTensor graph in which to collect parameters.
    parameters : list of PyTensor shared variables
        The parameters whose values should be collected.

    Returns
    -------
    ComputationGraph instance
        A new PyTensor graph which has all the given parameters collected
        into a single large shared variable.

    Notes
    -----
    Note that this replacement makes the training of the model
    significantly slower because of the large amount of PyTensor's
    ``set_subtensor`` calls needed to train the model.

    Examples
    --------
    >>> from blocks.bricks import MLP, Logistic
    >>> from blocks.bricks.cost import SquaredError
    >>> from blocks.graph import ComputationGraph
    >>> from pytensor import tensor
    >>> x = tensor.matrix()
    >>> mlp = MLP(activations=[Logistic(), Logistic()],
    ...           dims=[784, 100, 784])
    >>> cost = SquaredError().apply(x, mlp.apply(x))
    >>> cg = ComputationGraph(cost)
    >>> new_cg = collect_parameters(cg, cg.shared_variables)

    The new graph only has a single shared variable. This variable receives
    the :const:`.COLLECTOR` role.

    >>> new_cg.shared_variables
    [collected_parameters]

    The bricks' variables have been replaced with reshaped segments of this
    single shared variable. These replacements are given the
    :const:`.COLLECTED` role.

    >>> from blocks.filter import VariableFilter
    >>> from blocks.roles import COLLECTED
    >>> var_filter = VariableFilter(roles=[COLLECTED])
    >>> sorted(v.eval().shape for v in var_filter(new_cg.variables))
    [(100,), (100, 784), (784,), (784, 100)]

    """
    parameters = list(parameters)
    not_shared = [parameter for parameter in parameters
                  if not is_shared_variable(parameter)]
    if not_shared:
        raise TypeError("parameters must be shared variables, got {!r} in "
                        "them".format(not_shared[0]))
    if not parameters:
        raise ValueError("parameters must list at least one shared "
                         "variable, got none")
    parameter_values, parameter_sizes, parameter_shapes = [], [], []
    for parameter in parameters:
        parameter_values.append(parameter.get_value(borrow=True))
        parameter_sizes.append(parameter_values[-1].size)
        parameter_shapes.append(parameter_values[-1].shape)

    new_parameters = shared_floatx_zeros(sum(parameter_sizes))
    new_parameters.set_value(numpy.concatenate(
        [numpy.asarray(value).flatten() for value in parameter_values]
    ).astype(new_parameters.dtype))
    new_parameters.name = 'collected_parameters'
    add_role(new_parameters, COLLECTOR)

    replacements = {}
    for parameter, shape, i, j in zip(parameters, parameter_shapes,
                                      numpy.cumsum([0] + parameter_sizes[:-1]),
                                      numpy.cumsum(parameter_sizes)):
        new_parameter = new_parameters[int(i):int(j)].reshape(shape)
        new_parameter.replacement_of = parameter
        new_parameter.tag.replacement_of = parameter
        add_role(new_parameter, COLLECTED)
        replacements[parameter] = new_parameter
    return computation_graph.replace(replacements)
