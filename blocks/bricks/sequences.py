"""Bricks that compose other bricks."""
import copy

from toolz import interleave, unique

from blocks.bricks.base import application, BoundApplication, Brick, lazy
from blocks.bricks.base import NoneAllocation
from blocks.bricks.interfaces import Feedforward, Initializable
from blocks.bricks.simple import Linear
from blocks.utils import pack


class Sequence(Brick):
    """A sequence of bricks.

    This brick applies a sequence of bricks, assuming that their in- and
    outputs are compatible.

    Parameters
    ----------
    application_methods : list
        List of :class:`.BoundApplication` or :class:`.Brick` to apply.
        For :class:`.Brick`, the ``.apply`` method is used.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.bricks import Rectifier, Tanh
    >>> sequence = Sequence([Rectifier().apply, Tanh()])
    >>> x = tensor.vector('x')
    >>> [round(v, 4) for v in sequence.apply(x).eval({x: [-1., 1.]}).tolist()]
    [0.0, 0.7616]

    """
    def __init__(self, application_methods, **kwargs):
        pairs = [(method, method.brick)
                 if isinstance(method, BoundApplication)
                 else (method.apply, method)
                 for method in application_methods]
        if not pairs:
            raise ValueError("application_methods must list at least one "
                             "brick or application")
        application_methods, bricks = zip(*pairs)
        self.application_methods = list(application_methods)
        kwargs.setdefault('children', []).extend(unique(bricks))
        super().__init__(**kwargs)

    @application
    def apply(self, *args):
        child_input = args
        for application_method in self.application_methods:
            output = application_method(*pack(child_input))
            child_input = output
        return output

    @apply.property('inputs')
    def apply_inputs(self):
        return self.application_methods[0].inputs

    @apply.property('outputs')
    def apply_outputs(self):
        return self.application_methods[-1].outputs


class FeedforwardSequence(Sequence, Feedforward):
    """A sequence where the first and last bricks are feedforward.

    Parameters
    ----------
    application_methods : list
        List of :class:`.BoundApplication` to apply. The first and last
        application method should belong to a :class:`Feedforward` brick.

    """
    @property
    def input_dim(self):
        return self.children[0].input_dim

    @input_dim.setter
    def input_dim(self, value):
        self.children[0].input_dim = value

    @property
    def output_dim(self):
        return self.children[-1].output_dim

    @output_dim.setter
    def output_dim(self, value):
        self.children[-1].output_dim = value


class MLP(FeedforwardSequence, Initializable):
    """A simple multi-layer perceptron.

    Parameters
    ----------
    activations : list of :class:`.Brick`, :class:`.BoundApplication`,
                  or ``None``
        A list of activations to apply after each linear transformation.
        Give ``None`` to not apply any activation. It is assumed that the
        application method to use is ``apply``. Required for
        :meth:`__init__`.
    dims : list of ints
        A list of input dimensions, as well as the output dimension of the
        last layer. Required for :meth:`~.Brick.allocate`.
    prototype : :class:`.Brick`, optional
        The transformation prototype. A copy will be created for every
        activation. If not provided, an instance of :class:`~simple.Linear`
        will be used.

    Notes
    -----
    See :class:`Initializable` for initialization parameters.

    Note that the ``weights_init``, ``biases_init`` (as well as
    ``use_bias`` if set to a value other than the default of ``None``)
    configurations will overwrite those of the layers each time the
    :class:`MLP` is re-initialized. For more fine-grained control, push the
    configuration to the child layers manually before initialization.

    >>> from blocks.bricks import Tanh
    >>> from blocks.initialization import IsotropicGaussian, Constant
    >>> mlp = MLP(activations=[Tanh(), None], dims=[30, 20, 10],
    ...           weights_init=IsotropicGaussian(),
    ...           biases_init=Constant(1))
    >>> mlp.push_initialization_config()  # Configure children
    >>> mlp.children[0].weights_init = IsotropicGaussian(0.1)
    >>> mlp.initialize()

    """
    @lazy(allocation=['dims'])
    def __init__(self, activations, dims, prototype=None, **kwargs):
        if not isinstance(activations, (list, tuple)):
            raise TypeError("activations must be a list of bricks (or None "
                            "for no activation), got {!r}".format(activations))
        self.activations = list(activations)
        self.prototype = Linear() if prototype is None else prototype
        self.linear_transformations = []
        for i in range(len(activations)):
            linear = copy.deepcopy(self.prototype)
            name = self.prototype.__class__.__name__.lower()
            linear.name = '{}_{}'.format(name, i)
            self.linear_transformations.append(linear)
        # As in Blocks, `dims` is checked at allocation: a parent may give a
        # partial list now and complete it before (LeNet's top MLP gets its
        # input dimension from the convolutions).
        # Blocks also took None (or an empty list) for "not known yet".
        if not dims:
            dims = [NoneAllocation] * (len(activations) + 1)
        self.dims = list(dims)
        # Interleave the transformations and activations
        applications = [a for a in interleave([self.linear_transformations,
                                               activations]) if a is not None]
        super().__init__(applications, **kwargs)

    @property
    def input_dim(self):
        return self.dims[0]

    @input_dim.setter
    def input_dim(self, value):
        self.dims[0] = value

    @property
    def output_dim(self):
        return self.dims[-1]

    @output_dim.setter
    def output_dim(self, value):
        self.dims[-1] = value

    def _push_allocation_config(self):
        if len(self.dims) - 1 != len(self.linear_transformations):
            raise ValueError("dims must list one more dimension than there "
                             "are linear transformations ({} + 1), got "
                             "{}".format(len(self.linear_transformations),
                                         self.dims))
        if any(dim is NoneAllocation or dim is None for dim in self.dims):
            raise ValueError('allocation config not set: dims '
                             '(got {})'.format(self.dims))
        for input_dim, output_dim, layer in zip(
                self.dims[:-1], self.dims[1:], self.linear_transformations):
            layer.input_dim = input_dim
            layer.output_dim = output_dim
            if 'use_bias' in self.__dict__:
                layer.use_bias = self.use_bias
