"""Some of the simplest individual bricks."""
from pytensor import tensor
from pytensor.tensor.special import log_softmax, softmax

from blocks.bricks.base import application, Brick, lazy
from blocks.bricks.interfaces import (Activation, Feedforward, Initializable,
                                      LinearLike)
from blocks.bricks.wrappers import WithExtraDims
from blocks.roles import add_role, WEIGHT, BIAS
from blocks.utils import shared_floatx_nans


class Linear(LinearLike, Feedforward):
    r"""A linear transformation with optional bias.

    Brick which applies a linear (affine) transformation by multiplying
    the input with a weight matrix. By default, a bias term is added
    (see :class:`Initializable` for information on disabling this).

    Parameters
    ----------
    input_dim : int
        The dimension of the input. Required by :meth:`~.Brick.allocate`.
    output_dim : int
        The dimension of the output. Required by :meth:`~.Brick.allocate`.

    Notes
    -----
    See :class:`Initializable` for initialization parameters.

    A linear transformation with bias is a matrix multiplication followed
    by a vector summation.

    .. math:: f(\mathbf{x}) = \mathbf{W}\mathbf{x} + \mathbf{b}

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.initialization import Constant
    >>> linear = Linear(3, 2, weights_init=Constant(1.), biases_init=Constant(0.5))
    >>> linear.initialize()
    >>> x = tensor.matrix('x')
    >>> linear.apply(x).eval({x: [[1., 1., 1.]]}).tolist()
    [[3.5, 3.5]]

    """
    @lazy(allocation=['input_dim', 'output_dim'])
    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim

    def _allocate(self):
        W = shared_floatx_nans((self.input_dim, self.output_dim), name='W')
        add_role(W, WEIGHT)
        self.parameters.append(W)
        self.add_auxiliary_variable(W.norm(2), name='W_norm')
        if self.use_bias:
            b = shared_floatx_nans((self.output_dim,), name='b')
            add_role(b, BIAS)
            self.parameters.append(b)
            self.add_auxiliary_variable(b.norm(2), name='b_norm')

    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the linear transformation.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input on which to apply the transformation

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The transformed input plus optional bias

        """
        output = tensor.dot(input_, self.W)
        if self.use_bias:
            output += self.b
        return output

    def get_dim(self, name):
        if name == 'input_':
            return self.input_dim
        if name == 'output':
            return self.output_dim
        return super().get_dim(name)


class Bias(Feedforward, Initializable):
    """Add a bias (i.e. sum with a vector).

    Parameters
    ----------
    dim : int
        The dimension of the input, the output and the bias. Required by
        :meth:`~.Brick.allocate`.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.initialization import Constant
    >>> bias = Bias(2, biases_init=Constant(1.))
    >>> bias.initialize()
    >>> x = tensor.matrix('x')
    >>> bias.apply(x).eval({x: [[1., 2.]]}).tolist()
    [[2.0, 3.0]]

    """
    @lazy(allocation=['dim'])
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def _allocate(self):
        b = shared_floatx_nans((self.output_dim,), name='b')
        add_role(b, BIAS)
        self.parameters.append(b)

    def _initialize(self):
        b, = self.parameters
        self._initialize_parameter(b, 'biases_init')

    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Add the bias to the last axis of the input.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input, whose last axis has length :attr:`dim`.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            ``input_ + b``, the bias broadcast over the other axes.

        """
        b, = self.parameters
        return input_ + b

    def get_dim(self, name):
        if name in ['input_', 'output']:
            return self.dim
        return super().get_dim(name)

    def _get_dim(self):
        return self.dim

    def _set_dim(self, value):
        self.dim = value

    input_dim = output_dim = property(_get_dim, _set_dim)


class Maxout(Brick):
    """Maxout pooling transformation.

    A brick that does max pooling over groups of input units. If you use
    this code in a research project, please cite [GWFM13]_.

    .. [GWFM13] Ian J. Goodfellow, David Warde-Farley, Mehdi Mirza, Aaron
       Courville, and Yoshua Bengio, *Maxout networks*, ICML (2013), pp.
       1319-1327.

    Parameters
    ----------
    num_pieces : int
        The size of the groups the maximum is taken over.

    Notes
    -----
    Maxout applies a set of linear transformations to a vector and selects
    for each output dimension the result with the highest value.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x = tensor.matrix('x')
    >>> Maxout(num_pieces=2).apply(x).eval({x: [[1., 3., 5., 4.]]}).tolist()
    [[3.0, 5.0]]

    """
    @lazy(allocation=['num_pieces'])
    def __init__(self, num_pieces, **kwargs):
        super().__init__(**kwargs)
        self.num_pieces = num_pieces

    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the maxout transformation.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input on which to apply the transformation

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The transformed input

        """
        last_dim = input_.shape[-1]
        output_dim = last_dim // self.num_pieces
        new_shape = ([input_.shape[i] for i in range(input_.ndim - 1)] +
                     [output_dim, self.num_pieces])
        output = tensor.max(input_.reshape(new_shape, ndim=input_.ndim + 1),
                            axis=input_.ndim)
        return output


class LinearMaxout(Initializable, Feedforward):
    """Maxout pooling following a linear transformation.

    This code combines the :class:`Linear` brick with a :class:`Maxout`
    brick.

    Parameters
    ----------
    input_dim : int
        The dimension of the input. Required by :meth:`~.Brick.allocate`.
    output_dim : int
        The dimension of the output. Required by :meth:`~.Brick.allocate`.
    num_pieces : int
        The number of linear functions. Required by
        :meth:`~.Brick.allocate`.

    Notes
    -----
    See :class:`Initializable` for initialization parameters.

    """
    @lazy(allocation=['input_dim', 'output_dim', 'num_pieces'])
    def __init__(self, input_dim, output_dim, num_pieces, **kwargs):
        self.linear = Linear()
        self.maxout = Maxout()
        children = [self.linear, self.maxout]
        kwargs.setdefault('children', []).extend(children)
        super().__init__(**kwargs)

        self.input_dim = input_dim
        self.output_dim = output_dim
        self.num_pieces = num_pieces

    @property
    def input_dim(self):
        return self.linear.input_dim

    @input_dim.setter
    def input_dim(self, value):
        self.linear.input_dim = value

    def _push_allocation_config(self):
        self.linear.output_dim = self.output_dim * self.num_pieces
        self.maxout.num_pieces = self.num_pieces

    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the linear transformation followed by maxout.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input on which to apply the transformations

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The transformed input

        """
        pre_activation = self.linear.apply(input_)
        output = self.maxout.apply(pre_activation)
        return output


class Identity(Activation):
    """Elementwise application of identity function.

    >>> from pytensor import tensor
    >>> x = tensor.vector('x')
    >>> Identity().apply(x).eval({x: [-1., 2.]}).tolist()
    [-1.0, 2.0]

    """
    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the identity function elementwise."""
        return input_


class Tanh(Activation):
    """Elementwise application of tanh function.

    >>> from pytensor import tensor
    >>> x = tensor.vector('x')
    >>> Tanh().apply(x).eval({x: [0.]}).tolist()
    [0.0]

    """
    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the tanh function elementwise."""
        return tensor.tanh(input_)


class Logistic(Activation):
    r"""Elementwise application of the logistic function :math:`1 / (1 + e^{-x})`.

    >>> from pytensor import tensor
    >>> x = tensor.vector('x')
    >>> Logistic().apply(x).eval({x: [0.]}).tolist()
    [0.5]

    """
    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the logistic function elementwise."""
        return tensor.sigmoid(input_)


class Softplus(Activation):
    r"""Elementwise application of softplus function.

    .. math:: \log(1 + e^x)

    >>> from pytensor import tensor
    >>> x = tensor.vector('x')
    >>> round(float(Softplus().apply(x).eval({x: [0.]})[0]), 4)
    0.6931

    """
    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the softplus function elementwise."""
        return tensor.softplus(input_)


class Rectifier(Activation):
    r"""Elementwise :math:`\max(0, x)`.

    >>> from pytensor import tensor
    >>> x = tensor.vector('x')
    >>> Rectifier().apply(x).eval({x: [-1., 2.]}).tolist()
    [0.0, 2.0]

    """
    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the rectifier function elementwise."""
        return tensor.maximum(input_, 0)


class LeakyRectifier(Activation):
    r"""Elementwise application of leakyrectifier function.

    This function has a non-zero gradient for negative inputs, controlled
    by `leak`:

    .. math:: f(x) = \max(x, \text{leak} \cdot x)

    Parameters
    ----------
    leak : float, optional
        The slope for negative inputs. Defaults to 0.01.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x = tensor.vector('x')
    >>> LeakyRectifier(leak=0.5).apply(x).eval({x: [-2., 2.]}).tolist()
    [-1.0, 2.0]

    """
    def __init__(self, leak=0.01, **kwargs):
        super().__init__(**kwargs)
        self._leak = leak

    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the leakyrectifier function elementwise."""
        return tensor.switch(input_ > 0, input_, self._leak * input_)


class Softmax(Brick):
    """A softmax brick.

    Works with 2-dimensional inputs only. If you need more,
    see :class:`NDimensionalSoftmax`.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x = tensor.matrix('x')
    >>> Softmax().apply(x).eval({x: [[0., 0.]]}).tolist()
    [[0.5, 0.5]]

    """
    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Standard softmax.

        Parameters
        ----------
        input_ : :class:`~pytensor.graph.basic.Variable`
            A matrix, each row contains unnormalized log-probabilities of a
            distribution.

        Returns
        -------
        output_ : :class:`~pytensor.graph.basic.Variable`
            A matrix with probabilities in each row for each distribution
            from `input_`.

        """
        return softmax(input_, axis=-1)

    @application(inputs=['input_'], outputs=['output'])
    def log_probabilities(self, input_):
        """Normalize log-probabilities.

        Converts unnormalized log-probabilities (exponents of which do not
        sum to one) into actual log-probabilities (exponents of which sum
        to one).

        Parameters
        ----------
        input_ : :class:`~pytensor.graph.basic.Variable`
            A matrix, each row contains unnormalized log-probabilities of a
            distribution.

        Returns
        -------
        output : :class:`~pytensor.graph.basic.Variable`
            A matrix with normalized log-probabilities in each row for each
            distribution from `input_`.

        """
        return log_softmax(input_, axis=-1)

    @application(inputs=['y', 'x'], outputs=['output'])
    def categorical_cross_entropy(self, application_call, y, x):
        """Computationally stable cross-entropy for pre-softmax values.

        Parameters
        ----------
        y : :class:`~tensor.TensorVariable`
            In the case of a matrix argument, each row represents a
            probabilility distribution. In the vector case, each element
            represents a distribution by specifying the position of 1 in a
            1-hot vector.
        x : :class:`~tensor.TensorVariable`
            A matrix, each row contains unnormalized probabilities of a
            distribution.

        Returns
        -------
        cost : :class:`~tensor.TensorVariable`
            A vector of cross-entropies between respective distributions
            from y and x.

        Examples
        --------
        >>> from pytensor import tensor
        >>> x, y = tensor.matrix('x'), tensor.lvector('y')
        >>> cost = Softmax().categorical_cross_entropy(y, x)
        >>> cost.eval({x: [[0., 1000.]], y: [1]}).tolist()
        [0.0]

        """
        x = self.log_probabilities(x)
        application_call.add_auxiliary_variable(
            x.copy(name='log_probabilities'))
        if y.ndim == x.ndim - 1:
            return -select_classes(x, y)
        if y.ndim == x.ndim:
            # A class without target weight adds 0, even at probability 0
            # (log-probability -inf), where the product would be NaN.
            return -tensor.switch(tensor.eq(y, 0), 0, x * y).sum(axis=-1)
        raise TypeError("rank mismatch between x ({} dimensions) and y ({} "
                        "dimensions): y must have the same number of "
                        "dimensions as x, or one less".format(x.ndim, y.ndim))


def select_classes(log_probabilities, classes):
    """Pick, in each row of a matrix, the entry of the given class.

    ``log_probabilities[arange(n), classes]``: the entries of the other
    classes take no part, so an exact 0 elsewhere in the row (``-inf``
    after a log) cannot turn the result or its gradient into NaN, as a
    one-hot product (``-inf * 0``) would. The JAX mode compiles this
    ``arange`` through :mod:`blocks.compile.jax_support`.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x, y = tensor.matrix('x'), tensor.lvector('y')
    >>> select_classes(x, y).eval({x: [[float('-inf'), 0.]], y: [1]}).tolist()
    [0.0]

    """
    if not classes.dtype.startswith(("int", "uint")):
        # A brick's input is a copy named after the brick; tag.name is the
        # argument's own name.
        name = getattr(classes.tag, 'name', None) or classes.name
        raise TypeError("class labels must be integers, got {} of dtype {}; "
                        "cast the labels to an integer dtype (e.g. "
                        "'int64')".format(name, classes.dtype))
    if log_probabilities.ndim != classes.ndim + 1:
        raise TypeError("the classes ({} dimensions) must have one dimension "
                        "less than the values they select from ({} "
                        "dimensions)".format(classes.ndim,
                                             log_probabilities.ndim))
    if classes.ndim > 1:
        # Leading axes (time, batch, ...) are merged and split again.
        rows = log_probabilities.reshape((-1, log_probabilities.shape[-1]))
        return select_classes(rows, classes.flatten()).reshape(classes.shape)
    rows = tensor.arange(classes.shape[0])
    return log_probabilities[rows, classes]


class NDimensionalSoftmax(Softmax):
    """A :class:`Softmax` whose applications accept inputs with extra leading dimensions.

    Every application takes an ``extra_ndim`` argument: the number of
    leading axes that are merged with the first axis before the softmax and
    split again afterwards (built with :class:`.WithExtraDims`).

    Examples
    --------
    >>> from pytensor import tensor
    >>> x = tensor.tensor3('x')
    >>> y = NDimensionalSoftmax().apply(x, extra_ndim=1)
    >>> y.eval({x: [[[0., 0.]], [[0., 0.]]]}).tolist()
    [[[0.5, 0.5]], [[0.5, 0.5]]]

    """
    decorators = [WithExtraDims()]
