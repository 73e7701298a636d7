"""Objects for encapsulating parameter initialization strategies."""
import numbers

import numpy
import pytensor

from blocks.utils.utils import repr_attrs

__all__ = ['NdarrayInitialization', 'Constant', 'IsotropicGaussian',
           'Uniform', 'Identity', 'Orthogonal', 'Sparse', 'SparseND']


class NdarrayInitialization:
    """Base class specifying the interface for ndarray initialization."""
    def generate(self, rng, shape):
        """Generate an initial set of parameters from a given distribution.

        Parameters
        ----------
        rng : :class:`numpy.random.RandomState`
        shape : tuple
            A shape tuple for the requested parameter array shape.

        Returns
        -------
        output : :class:`~numpy.ndarray`
            An ndarray with values drawn from the distribution specified by
            this object, of shape `shape`, with dtype
            :attr:`pytensor.config.floatX`.

        """
        raise NotImplementedError

    def initialize(self, var, rng, shape=None):
        """Initialize a shared variable with generated parameters.

        Parameters
        ----------
        var : object
            A PyTensor shared variable whose value will be set with values
            drawn from this :class:`NdarrayInitialization` instance.
        rng : :class:`numpy.random.RandomState`
        shape : tuple
            A shape tuple for the requested parameter array shape.

        """
        if not shape:
            shape = var.get_value(borrow=True,
                                  return_internal_type=True).shape
        value = numpy.asarray(self.generate(rng, shape))
        if value.shape != tuple(shape):
            raise ValueError("{} generated an array of shape {} for {} of "
                             "shape {}".format(self, value.shape, var,
                                               tuple(shape)))
        var.set_value(value.astype(var.dtype, copy=False))

    #: The attributes the representation shows, as in Blocks:
    #: ``<blocks.initialization.Constant object at 0x...: constant=1.0>``.
    _repr_attributes = ()

    def __repr__(self):
        return repr_attrs(self, *self._repr_attributes)


class Constant(NdarrayInitialization):
    """Initialize parameters to a constant.

    The constant may be a scalar or a :class:`~numpy.ndarray` of any shape
    that is broadcastable with the requested parameter arrays.

    Parameters
    ----------
    constant : :class:`~numpy.ndarray`
        The initialization value to use. Must be a scalar or an ndarray (or
        compatible object, such as a nested list) that has a shape that is
        broadcastable with any shape requested by `initialize`.

    Examples
    --------
    >>> Constant(0.5).generate(None, (2,)).tolist()
    [0.5, 0.5]

    """
    _repr_attributes = ('constant',)

    def __init__(self, constant):
        self.constant = numpy.asarray(constant)

    def generate(self, rng, shape):
        dest = numpy.empty(shape, dtype=pytensor.config.floatX)
        dest[...] = self.constant
        return dest


class IsotropicGaussian(NdarrayInitialization):
    """Initialize parameters from an isotropic Gaussian distribution.

    Parameters
    ----------
    std : float, optional
        The standard deviation of the Gaussian distribution. Defaults to 1.
    mean : float, optional
        The mean of the Gaussian distribution. Defaults to 0

    Notes
    -----
    Be careful: the standard deviation goes first and the mean goes
    second!

    Examples
    --------
    >>> rng = numpy.random.RandomState(1)
    >>> IsotropicGaussian(0.01).generate(rng, (3, 2)).shape
    (3, 2)

    """
    _repr_attributes = ('mean', 'std')

    def __init__(self, std=1, mean=0):
        if std < 0:
            raise ValueError("std must be non-negative, got {!r}".format(std))
        self.mean = mean
        self.std = std

    def generate(self, rng, shape):
        m = rng.normal(self.mean, self.std, size=shape)
        return m.astype(pytensor.config.floatX)


class Uniform(NdarrayInitialization):
    """Initialize parameters from a uniform distribution.

    Parameters
    ----------
    mean : float, optional
        The mean of the uniform distribution (i.e. the center of mass for
        the density function); Defaults to 0.
    width : float, optional
        One way of specifying the range of the uniform distribution. The
        support will be [mean - width/2, mean + width/2]. **Exactly one**
        of `width` or `std` must be specified.
    std : float, optional
        An alternative method of specifying the range of the uniform
        distribution. Chooses the width of the uniform such that random
        variates will have a desired standard deviation. **Exactly one** of
        `width` or `std` must be specified.

    Examples
    --------
    >>> rng = numpy.random.RandomState(1)
    >>> values = Uniform(width=2.).generate(rng, (1000,))
    >>> bool(values.min() >= -1. and values.max() <= 1.)
    True

    """
    _repr_attributes = ('mean', 'width')

    def __init__(self, mean=0., width=None, std=None):
        if (width is not None) == (std is not None):
            raise ValueError("must specify width or std, but not both")
        if std is not None:
            # Variance of a uniform is 1/12 * width^2
            self.width = numpy.sqrt(12) * std
        else:
            self.width = width
        self.mean = mean

    def generate(self, rng, shape):
        w = self.width / 2
        m = rng.uniform(self.mean - w, self.mean + w, size=shape)
        return m.astype(pytensor.config.floatX)


class Identity(NdarrayInitialization):
    """Initialize to the identity matrix.

    Only works for 2D arrays. If the number of columns is not equal to the
    number of rows, the array will be truncated or padded with zeros.

    Parameters
    ----------
    mult : float, optional
        Multiply the identity matrix with a scalar. Defaults to 1.

    Examples
    --------
    >>> Identity(2).generate(None, (2, 3)).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]

    """
    _repr_attributes = ('mult',)

    def __init__(self, mult=1):
        self.mult = mult

    def generate(self, rng, shape):
        if len(shape) != 2:
            raise ValueError("Identity initialization works for 2D arrays "
                             "only, got shape {}".format(tuple(shape)))
        rows, cols = shape
        return self.mult * numpy.eye(rows, cols, dtype=pytensor.config.floatX)


class Orthogonal(NdarrayInitialization):
    """Initialize a random orthogonal matrix.

    Only works for 2D arrays.

    Parameters
    ----------
    scale : float, optional
        Multiply the resulting matrix with a scalar. Defaults to 1.
        For a discussion of the importance of scale for training time
        and generalization refer to [Saxe2013]_.

        .. [Saxe2013] Saxe, A.M., McClelland, J.L., Ganguli, S., 2013.,
           *Exact solutions to the nonlinear dynamics of learning in deep
           linear neural networks*,
           arXiv:1312.6120 [cond-mat, q-bio, stat].

    Examples
    --------
    >>> W = Orthogonal().generate(numpy.random.RandomState(1), (3, 3))
    >>> bool(numpy.allclose(W.dot(W.T), numpy.eye(3), atol=1e-6))
    True

    """
    _repr_attributes = ('scale',)

    def __init__(self, scale=1):
        self.scale = scale

    def generate(self, rng, shape):
        if len(shape) != 2:
            raise ValueError("Orthogonal initialization works for 2D arrays "
                             "only, got shape {}".format(tuple(shape)))
        if shape[0] == shape[1]:
            # For square weight matrices we can simplify the logic
            # and be more exact:
            M = rng.randn(*shape).astype(pytensor.config.floatX)
            Q, R = numpy.linalg.qr(M)
            Q = Q * numpy.sign(numpy.diag(R))
            return Q * self.scale

        M1 = rng.randn(shape[0], shape[0]).astype(pytensor.config.floatX)
        M2 = rng.randn(shape[1], shape[1]).astype(pytensor.config.floatX)

        # QR decomposition of matrix with entries in N(0, 1) is random
        Q1, R1 = numpy.linalg.qr(M1)
        Q2, R2 = numpy.linalg.qr(M2)
        # Correct that NumPy doesn't force diagonal of R to be non-negative
        Q1 = Q1 * numpy.sign(numpy.diag(R1))
        Q2 = Q2 * numpy.sign(numpy.diag(R2))

        n_min = min(shape[0], shape[1])
        return numpy.dot(Q1[:, :n_min], Q2[:n_min, :]) * self.scale


class Sparse(NdarrayInitialization):
    """Initialize only a fraction of the weights, row-wise.

    Parameters
    ----------
    num_init : int or float
        If int, this is the number of weights to initialize per row. If
        float, it's the fraction of the weights per row to initialize.
    weights_init : :class:`NdarrayInitialization` instance
        The initialization scheme to initialize the weights with.
    sparse_init : :class:`NdarrayInitialization` instance, optional
        What to set the non-initialized weights to (0. by default)

    Examples
    --------
    >>> rng = numpy.random.RandomState(1)
    >>> W = Sparse(2, Constant(1.)).generate(rng, (3, 5))
    >>> W.sum(axis=1).tolist()
    [2.0, 2.0, 2.0]

    """
    def __init__(self, num_init, weights_init, sparse_init=None):
        if isinstance(num_init, numbers.Integral):
            if not num_init > 0:
                raise ValueError("num_init must be positive, got "
                                 "{!r}".format(num_init))
        elif not 1 >= num_init > 0:
            raise ValueError("num_init must be an integer, or a fraction in "
                             "(0, 1], got {!r}".format(num_init))
        self.num_init = num_init
        self.weights_init = weights_init
        if sparse_init is None:
            sparse_init = Constant(0.)
        self.sparse_init = sparse_init

    def generate(self, rng, shape):
        weights = self.sparse_init.generate(rng, shape)
        if isinstance(self.num_init, numbers.Integral):
            num_init = self.num_init
        else:
            num_init = int(self.num_init * shape[1])
        if num_init > shape[1]:
            raise ValueError("cannot initialize {} weights per row of a "
                             "matrix with {} columns".format(num_init,
                                                             shape[1]))
        values = self.weights_init.generate(rng, (shape[0], num_init))
        for i in range(shape[0]):
            random_indices = rng.choice(shape[1], num_init, replace=False)
            weights[i, random_indices] = values[i]
        return weights


class SparseND(Sparse):
    """Initialize only a fraction of the weights with configurable axes.

    Parameters
    ----------
    axis : int or sequence
        Which axis or axes are to be treated as a "unit" for the purpose
        of the number of elements initialized. For example, an axis of
        (0, 1) when initializing a 4D tensor `W` will treat the first two
        axes of the weight tensor as a grid and initialize `num_init`
        elements of `W[0, 0, :, :]`, another `num_init` elements of
        `W[0, 1, :, :]`, and so on.

    Notes
    -----
    See :class:`Sparse` for documentation of other arguments.

    Examples
    --------
    >>> rng = numpy.random.RandomState(1)
    >>> W = SparseND(axis=(0, 1), num_init=3,
    ...              weights_init=Constant(1.)).generate(rng, (2, 2, 3, 3))
    >>> W.sum(axis=(2, 3)).tolist()
    [[3.0, 3.0], [3.0, 3.0]]

    """
    def __init__(self, axis, **kwargs):
        if isinstance(axis, numbers.Integral):
            self.axis = (axis,)
        else:
            self.axis = tuple(axis)
        if not all(isinstance(a, numbers.Integral) for a in self.axis):
            raise ValueError("axis must be an integer or a sequence of "
                             "integers, got {!r}".format(axis))
        super().__init__(**kwargs)

    def generate(self, rng, shape):
        ndim = len(shape)
        axis = tuple(a % ndim for a in self.axis)
        other = tuple(i for i in range(ndim) if i not in axis)
        unit_shape = tuple(shape[i] for i in axis)
        element_shape = tuple(shape[i] for i in other)
        matrix = super().generate(rng, (int(numpy.prod(unit_shape)),
                                        int(numpy.prod(element_shape))))
        permuted = matrix.reshape(unit_shape + element_shape)
        # Move the unit axes back to where they belong
        order = numpy.argsort(axis + other)
        return permuted.transpose(order)
