"""Model - heavily annotated computation graph.

A model in Blocks is simply an annotated computation graph.  The class
:class:`Model` extends :class:`blocks.graph.ComputationGraph`, which is
able to handle annotations and roles in general, but is deliberately made
unaware of specific annotations that a PyTensor graph created by Blocks
typically has, such as bricks and application calls.  The :class:`Model`
adds this functionality. Using :class:`Model` you can do things like query
all the bricks used to build the computation graph, request "hierarchical
names" of the parameters (a hierarchical name is a path-like string which
in addition to the parameter's name contains names of the bricks on the
path from a root brick to the brick that owns the parameters, e.g.
``/mlp/linear_0.W``).

For more information, see :class:`Model` docstring.

"""
import logging
from collections import Counter, OrderedDict
from itertools import chain

import numpy

from blocks.filter import get_brick, get_parameter_path
from blocks.graph import ComputationGraph
from blocks.compile.jax_support import shared_value

__all__ = ['Model']

logger = logging.getLogger(__name__)


class Model(ComputationGraph):
    """Handles annotations in Blocks-built computation graphs.

    Use this class to handle your Blocks-created computation graph.

    Parameters
    ----------
    outputs : (list of) :class:`~pytensor.tensor.TensorVariable`
        The output(s) of the graph, as for :class:`.ComputationGraph`.

    Raises
    ------
    ValueError
        If two top bricks have the same name, or two parameters get the
        same hierarchical name.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.bricks import MLP, Tanh
    >>> x = tensor.matrix('x')
    >>> mlp = MLP([Tanh(), Tanh()], [10, 10, 10])
    >>> y = mlp.apply(x)
    >>> model = Model(y)

    With :class:`Model` you can get access to the brick hierarchy. The
    brick hierarchy is defined by ``children`` attributes that every brick
    has.  The bricks that are not children of other bricks are called top
    bricks.  It is often useful to have access to top bricks of a brick
    hierarchy used to build a computation graph, and here is how you can do
    it:

    >>> model.get_top_bricks()
    [<blocks.bricks.sequences.MLP object at ...: name=mlp>]

    You can also get "hierarchical" names for the parameters,
    which encode the position of the owning brick in the
    brick hierarchy.

    >>> for name, parameter in model.get_parameter_dict().items():
    ...     print(name, parameter)
    /mlp/linear_1.b b
    /mlp/linear_0.b b
    /mlp/linear_0.W W
    /mlp/linear_1.W W

    """
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bricks = []
        seen = set()
        for var in chain(self.variables, self.scan_variables):
            brick = get_brick(var)
            if brick is not None and id(brick) not in seen:
                seen.add(id(brick))
                bricks.append(brick)
        children = set(id(child) for child in
                       chain(*(brick.children for brick in bricks)))
        self.top_bricks = [brick for brick in bricks
                           if id(brick) not in children]
        names = Counter([brick.name for brick in self.top_bricks])
        repeated_names = [name for name, count in names.items() if count > 1]
        if repeated_names:
            raise ValueError("top bricks with the same name: {}; give each "
                             "top brick a unique name (Brick(name=...))"
                             .format(', '.join(repeated_names)))
        parameter_list = [(get_parameter_path(parameter), parameter)
                          for parameter in self.parameters]
        names = Counter(name for name, _ in parameter_list)
        duplicates = [name for name, count in names.items() if count > 1]
        if duplicates:
            raise ValueError(
                "parameters with the same hierarchical name: {}; give bricks "
                "with a common parent, and parameters that belong to no "
                "brick, unique names".format(
                    ', '.join(repr(name) for name in duplicates)))
        self._parameter_dict = OrderedDict(parameter_list)

    def check_sanity(self, algorithm):
        """Warn when the model does not fit the training algorithm.

        The most common slip is a model built from one cost and a
        :class:`~blocks.algorithms.GradientDescent` minimizing another (for
        example the cost before regularization was added): checkpoints then
        save, and :class:`~blocks.extensions.monitoring` reports, a graph
        that training does not follow.

        Parameters
        ----------
        algorithm : :class:`~blocks.algorithms.TrainingAlgorithm`
            The algorithm the model is trained with.

        Examples
        --------
        >>> from pytensor import tensor
        >>> from blocks.algorithms import GradientDescent
        >>> from blocks.bricks import Linear
        >>> from blocks.initialization import Constant
        >>> x = tensor.matrix('x')
        >>> linear = Linear(2, 1, weights_init=Constant(1),
        ...                 biases_init=Constant(0))
        >>> cost = linear.apply(x).sum()
        >>> regularized = cost + 0.1 * (linear.W ** 2).sum()
        >>> algorithm = GradientDescent(cost=regularized,
        ...                             parameters=[linear.W, linear.b])
        >>> Model(cost).check_sanity(algorithm)  # logs a warning

        """
        from blocks.algorithms import GradientDescent
        cost = getattr(algorithm, 'cost', None)
        if (len(self.outputs) == 1 and isinstance(algorithm, GradientDescent)
                and cost is not None and self.outputs[0] is not cost):
            logger.warning(
                "the model's output %s is not the cost %s that the algorithm "
                "minimizes: the model (what checkpoints save and monitoring "
                "reports) does not describe what is trained. Build the Model "
                "from the algorithm's cost.", self.outputs[0], cost)

    def get_parameter_dict(self):
        """Returns parameters with their hierarchical names.

        The parameter names are formed from positions of their owner bricks
        in the bricks hierarchy. The variable names are used for the
        parameters that do not belong to any brick.

        Returns
        -------
        parameter_dict : OrderedDict
            A dictionary of (hierarchical name, shared variable) pairs.

        """
        return self._parameter_dict

    def get_parameter_values(self):
        """Return the values of model parameters.

        The same hierarhical names as in :meth:`get_parameter_dict` are
        used to uniquely identify parameters.

        Returns
        -------
        parameter_values : OrderedDict
            Dictionary of (hierarchical name, :class:`~numpy.ndarray`)
            pairs.

        Examples
        --------
        >>> from pytensor import tensor
        >>> from blocks.bricks import Linear
        >>> from blocks.initialization import Constant
        >>> linear = Linear(2, 1, weights_init=Constant(1.),
        ...                 biases_init=Constant(0.))
        >>> linear.initialize()
        >>> model = Model(linear.apply(tensor.matrix('x')))
        >>> {name: value.tolist()
        ...  for name, value in model.get_parameter_values().items()}
        {'/linear.b': [0.0], '/linear.W': [[1.0], [1.0]]}

        """
        return OrderedDict(
            (name, shared_value(parameter))
            for name, parameter in self.get_parameter_dict().items())

    def set_parameter_values(self, parameter_values):
        """Set the values of model parameters.

        The same hierarhical names as in :meth:`get_parameter_dict` are
        used to uniquely identify parameters.

        Parameters
        ----------
        parameter_values : OrderedDict
            Dictionary of (hierarchical name, :class:`~numpy.ndarray`)
            pairs.

        Raises
        ------
        ValueError
            If a value's shape differs from its parameter's; nothing is
            set then.

        Notes
        -----
        Unknown names and missing values are logged as errors and
        otherwise ignored, as in Blocks. A value is cast to its
        parameter's dtype, so that values saved in float64 load into a
        float32 model.

        Examples
        --------
        >>> from pytensor import tensor
        >>> from blocks.bricks import Linear
        >>> linear = Linear(2, 1)
        >>> model = Model(linear.apply(tensor.matrix('x')))
        >>> model.set_parameter_values({'/linear.W': numpy.ones((2, 1)),
        ...                             '/linear.b': numpy.zeros(1)})
        >>> linear.W.get_value().tolist()
        [[1.0], [1.0]]
        >>> model.set_parameter_values({'/linear.W': numpy.ones((1, 2))})
        Traceback (most recent call last):
        ...
        ValueError: Shape mismatch for parameter: /linear.W. Expected (2, 1),
        got (1, 2).

        """
        parameters = self.get_parameter_dict()

        unknown = [name for name in parameter_values if name not in parameters]
        missing = [name for name in parameters if name not in parameter_values]
        if unknown:
            logger.error("unknown parameter names: {}\n".format(unknown))
        if missing:
            logger.error("missing values for parameters: {}\n".format(missing))

        new_values = []
        for name, value in parameter_values.items():
            if name not in parameters:
                continue
            parameter = parameters[name]
            value = numpy.asarray(value)
            model_shape = parameter.get_value(borrow=True).shape
            if model_shape != value.shape:
                raise ValueError("Shape mismatch for parameter: {}. "
                                 "Expected {}, got {}."
                                 .format(name, model_shape, value.shape))
            new_values.append((parameter, value.astype(parameter.dtype)))
        for parameter, value in new_values:
            parameter.set_value(value)

    def get_top_bricks(self):
        """Get the bricks that do not have parents.

        Returns
        -------
        bricks : list of :class:`~blocks.bricks.base.Brick`

        """
        return self.top_bricks
