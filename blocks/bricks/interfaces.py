"""Interfaces of bricks: what a kind of brick promises to its users."""
from abc import ABCMeta

import numpy

from blocks.bricks.base import Brick, lazy
from blocks.config import config
from blocks.random_streams import RandomStream

UNINITIALIZED = (
    "{brick} has no {setting}, so its parameters cannot be initialized; pass "
    "{setting}=... (e.g. IsotropicGaussian(0.01) or Constant(0)) to it or "
    "to one of its parents before calling initialize()")


class RNGMixin:
    """Mixin for initialization random number generators.

    A brick's :attr:`rng` is a :class:`numpy.random.RandomState` seeded
    with :attr:`seed`, which defaults to ``config.default_seed``: two bricks
    configured alike are initialized alike, and a script gives the same
    parameters on every run. Parents push their ``rng`` to their children
    (see :class:`Initializable`), so the layers of one model differ.

    """
    @property
    def seed(self):
        if getattr(self, '_seed', None) is None:
            self._seed = config.default_seed
        return self._seed

    @seed.setter
    def seed(self, value):
        if getattr(self, '_seed', None) is not None:
            raise AttributeError("seed already set")
        self._seed = value

    @property
    def rng(self):
        if getattr(self, '_rng', None) is None:
            self._rng = numpy.random.RandomState(self.seed)
        return self._rng

    @rng.setter
    def rng(self, rng):
        self._rng = rng


class Initializable(RNGMixin, Brick):
    """Base class for bricks which push parameter initialization.

    Many bricks will initialize children which perform a linear
    transformation, often with biases. This brick allows the weights
    and biases initialization to be configured in the parent brick and
    pushed down the hierarchy.

    Parameters
    ----------
    weights_init : object
        A `NdarrayInitialization` instance which will be used by to
        initialize the weight matrix. Required by
        :meth:`~.Brick.initialize`.
    biases_init : :obj:`object`, optional
        A `NdarrayInitialization` instance that will be used to initialize
        the biases. Required by :meth:`~.Brick.initialize` when `use_bias`
        is `True`. Only supported by bricks for which :attr:`has_biases` is
        ``True``.
    use_bias : :obj:`bool`, optional
        Whether to use a bias. Defaults to `True`. Required by
        :meth:`~.Brick.initialize`. Only supported by bricks for which
        :attr:`has_biases` is ``True``.
    seed : int, optional
        The seed of :attr:`rng`, the :class:`numpy.random.RandomState`
        the initialization schemes draw from.

    Attributes
    ----------
    has_biases : bool
        ``False`` if the brick does not support biases, and only has
        :attr:`weights_init`.  For an example of this, see
        :class:`.Bidirectional`. If this is ``False``, the brick does not
        support the arguments ``biases_init`` or ``use_bias``.

    """
    has_biases = True
    use_bias = True

    @lazy()
    def __init__(self, weights_init=None, biases_init=None, use_bias=None,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.weights_init = weights_init
        if self.has_biases:
            self.biases_init = biases_init
        elif biases_init is not None or use_bias:
            raise ValueError("{} does not support biases, so it takes "
                             "neither biases_init nor use_bias".format(
                                 type(self).__name__))
        if use_bias is not None:
            self.use_bias = use_bias
        self.seed = seed

    def _push_initialization_config(self):
        for child in self.children:
            if isinstance(child, Initializable):
                child.rng = self.rng
                if self.weights_init:
                    child.weights_init = self.weights_init
        if getattr(self, 'biases_init', None):
            for child in self.children:
                if (isinstance(child, Initializable) and
                        hasattr(child, 'biases_init')):
                    child.biases_init = self.biases_init

    def _initialize_parameter(self, parameter, setting):
        """Initialize `parameter` with the scheme stored in `setting`."""
        scheme = getattr(self, setting, None)
        if scheme is None:
            raise ValueError(UNINITIALIZED.format(brick=self, setting=setting))
        scheme.initialize(parameter, self.rng)


class LinearLike(Initializable):
    """Initializable subclass with logic for :class:`Linear`-like classes.

    Notes
    -----
    Provides `W` and `b` properties that can be overridden in subclasses
    to implement pre-application transformations on the weights and
    biases.  Application methods should refer to ``self.W`` and ``self.b``
    rather than accessing the parameters list directly.

    This assumes a layout of the parameters list with the weights coming
    first and biases (if ``use_bias`` is True) coming second.

    """
    @property
    def W(self):
        return self.parameters[0]

    @property
    def b(self):
        if self.use_bias:
            return self.parameters[1]
        raise AttributeError('use_bias is False')

    def _initialize(self):
        # Use self.parameters[] references in case W and b are overridden
        # to return non-shared-variables.
        if self.use_bias:
            self._initialize_parameter(self.parameters[1], 'biases_init')
        self._initialize_parameter(self.parameters[0], 'weights_init')


#: The stream of :class:`Random` bricks (its old name, which checkpoints of
#: earlier Blocks releases refer to).
PicklableRandomStream = RandomStream


class Random(Brick):
    """A mixin class for Bricks which need PyTensor RNGs.

    Parameters
    ----------
    theano_seed : int or list, optional
        Seed to use for a
        :class:`~blocks.random_streams.RandomStream` object (the
        argument keeps its Theano-era name).

    Notes
    -----
    Theano's ``MRG_RandomStreams`` is gone; Blocks'
    :class:`~blocks.random_streams.RandomStream` (PyTensor's stream, which
    PyTensor deprecated, on PyTensor's public API) keeps one shared
    NumPy ``Generator`` per random variable, advanced automatically by
    every compiled function that draws from it.

    """
    seed_rng = numpy.random.RandomState(config.default_seed)

    def __init__(self, theano_seed=None, **kwargs):
        super().__init__(**kwargs)
        self.theano_seed = theano_seed

    @property
    def theano_seed(self):
        if getattr(self, '_theano_seed', None) is not None:
            return self._theano_seed
        self._theano_seed = self.seed_rng.randint(
            numpy.iinfo(numpy.int32).max)
        return self._theano_seed

    @theano_seed.setter
    def theano_seed(self, value):
        if getattr(self, '_theano_seed', None) is not None:
            raise AttributeError("seed already set")
        self._theano_seed = value

    @property
    def theano_rng(self):
        """Returns Brick's PyTensor RNG, or a default one.

        The default seed can be set through ``blocks.config``.

        """
        if getattr(self, '_theano_rng', None) is None:
            self._theano_rng = PicklableRandomStream(self.theano_seed)
        return self._theano_rng

    @theano_rng.setter
    def theano_rng(self, theano_rng):
        self._theano_rng = theano_rng


class ActivationDocumentation(ABCMeta):
    """Documents activations that do not document themselves.

    The metaclass of :class:`Activation`: a subclass without a docstring
    gets "Elementwise application of NAME function.", and its ``apply``
    method, if undocumented, a description of its input and output.

    """
    def __new__(cls, name, bases, classdict):
        function = name.lower()
        if not classdict.get('__doc__'):
            classdict['__doc__'] = (
                "Elementwise application of {} function.".format(function))
        apply = classdict.get('apply')
        if apply is not None and not getattr(apply, '__doc__', None):
            apply.__doc__ = APPLY_DOCUMENTATION.format(function)
        return super().__new__(cls, name, bases, classdict)


APPLY_DOCUMENTATION = """Apply the {0} function elementwise.

        Parameters
        ----------
        input_ : :class:`~pytensor.tensor.TensorVariable`
            The variable to apply {0} to, elementwise.

        Returns
        -------
        output : :class:`~pytensor.tensor.TensorVariable`
            The input with the activation function applied.

        """


class Activation(Brick, metaclass=ActivationDocumentation):
    """Elementwise application of activation function."""


class Feedforward(Brick):
    """Declares an interface for bricks with one input and one output.

    Many bricks have just one input and just one output (activations,
    :class:`Linear`, :class:`MLP`). To make such bricks interchangable
    in most contexts they should share an interface for configuring
    their input and output dimensions. This brick declares such an
    interface.

    Attributes
    ----------
    input_dim : int
        The input dimension of the brick.
    output_dim : int
        The output dimension of the brick.

    """
