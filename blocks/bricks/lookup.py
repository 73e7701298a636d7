"""Introduces Lookup brick."""
from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Feedforward, Initializable
from blocks.roles import add_role, WEIGHT
from blocks.utils import shared_floatx_nans


class LookupTable(Initializable, Feedforward):
    """Encapsulates representations of a range of integers.

    This brick can be used to embed integers, e.g. word indices,
    into a vector space.

    Parameters
    ----------
    length : int
        The size of the lookup table, or in other words, one plus the
        maximum index for which a representation is contained.
    dim : int
        The dimensionality of representations.

    Notes
    -----
    See :class:`.Initializable` for initialization parameters.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> from blocks.initialization import Constant
    >>> table = LookupTable(length=3, dim=2, weights_init=Constant(0.))
    >>> table.initialize()
    >>> table.W.set_value(numpy.arange(6.).reshape(3, 2).astype(table.W.dtype))
    >>> indices = tensor.lmatrix('indices')
    >>> table.apply(indices).eval({indices: [[2, 0]]}).tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]

    """
    has_bias = False

    @lazy(allocation=['length', 'dim'])
    def __init__(self, length, dim, **kwargs):
        super().__init__(**kwargs)
        self.length = length
        self.dim = dim

    @property
    def W(self):
        return self.parameters[0]

    def _allocate(self):
        self.parameters.append(shared_floatx_nans((self.length, self.dim),
                               name='W'))
        add_role(self.parameters[-1], WEIGHT)

    def _initialize(self):
        self._initialize_parameter(self.W, 'weights_init')

    @application(inputs=['indices'], outputs=['output'])
    def apply(self, indices):
        """Perform lookup.

        Parameters
        ----------
        indices : :class:`~tensor.TensorVariable`
            The indices of interest. The dtype must be integer.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            Representations for the indices of the query. Has :math:`k+1`
            dimensions, where :math:`k` is the number of dimensions of the
            `indices` parameter. The last dimension stands for the
            representation element.

        """
        if not indices.dtype.startswith(('int', 'uint')):
            raise TypeError("the indices of {} must have an integer dtype, "
                            "got {!r} ({})".format(self.name, indices.dtype,
                                                   indices))
        output_shape = [indices.shape[i]
                        for i in range(indices.ndim)] + [self.dim]
        return self.W[indices.flatten()].reshape(output_shape,
                                                 ndim=indices.ndim + 1)

    def get_dim(self, name):
        if name == 'output':
            return self.dim
        if name == 'indices':
            return 0
        return super().get_dim(name)

    @property
    def input_dim(self):
        return 0

    @input_dim.setter
    def input_dim(self, dim):
        if dim != 0:
            raise ValueError("the input of a LookupTable is integer indices, "
                             "so its input_dim can only be 0, got "
                             "{!r}".format(dim))

    @property
    def output_dim(self):
        return self.dim

    @output_dim.setter
    def output_dim(self, dim):
        self.dim = dim
