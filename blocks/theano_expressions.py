"""Frequently used PyTensor expressions.

The module keeps its Theano-era name, as user code imports from it.

"""
import numpy
from pytensor import tensor
from pytensor.gradient import pushforward

__all__ = ['l2_norm', 'hessian_times_vector']


# NumPy ufuncs take at most 32 operands, outputs included.
MAX_NUMPY_OPERANDS = 32


def l2_norm(tensors, squared=False):
    """Computes the total L2 norm of a set of tensors.

    Converts all operands to :class:`~pytensor.tensor.TensorVariable`
    (see :func:`~pytensor.tensor.as_tensor_variable`).

    Parameters
    ----------
    tensors : iterable of :class:`~pytensor.tensor.TensorVariable`
        The tensors (or anything :func:`~pytensor.tensor.as_tensor_variable`
        converts).
    squared : bool, optional
        If `True`, return the squared L2 norm. Default: `False`.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x, y = tensor.vector('x'), tensor.matrix('y')
    >>> norm = l2_norm([x, y])
    >>> round(float(norm.eval({x: [3.], y: [[4.]]})), 4)
    5.0
    >>> round(float(l2_norm([x], squared=True).eval({x: [3., 4.]})), 4)
    25.0

    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("l2_norm needs at least one tensor, got none")
    summed = tensor.stack([tensor.sqr(tensor.as_tensor_variable(t)).sum()
                           for t in tensors], axis=0)
    if len(tensors) < MAX_NUMPY_OPERANDS:
        total = summed.sum()
    else:
        # PyTensor rewrites the sum of stacked sums into one Elemwise add,
        # which its Python implementation (FAST_COMPILE) cannot run past
        # NumPy's 32 operands; a product with a vector of ones adds the
        # same numbers and is left alone.
        total = tensor.dot(summed, numpy.ones(len(tensors), summed.dtype))
    return total if squared else tensor.sqrt(total)


def hessian_times_vector(gradient, parameter, vector, r_op=False):
    """Return an expression for the Hessian times a vector.

    Parameters
    ----------
    gradient : :class:`~pytensor.tensor.TensorVariable`
        The gradient of a cost with respect to `parameter`
    parameter : :class:`~pytensor.tensor.TensorVariable`
        The parameter with respect to which to take the gradient
    vector : :class:`~pytensor.tensor.TensorVariable`
        The vector with which to multiply the Hessian
    r_op : bool, optional
        Whether to use the R-operator (Theano's ``Rop``, PyTensor's
        :func:`~pytensor.gradient.pushforward`) or not. Defaults to
        ``False``. Which solution is fastest normally needs to be
        determined by profiling.

    Examples
    --------
    The Hessian of :math:`x_0^2 x_1` at :math:`(1, 2)` is
    :math:`((4, 2), (2, 0))`:

    >>> from pytensor import tensor
    >>> x, v = tensor.vector('x'), tensor.vector('v')
    >>> gradient = tensor.grad(x[0] ** 2 * x[1], x)
    >>> hv = hessian_times_vector(gradient, x, v)
    >>> hv.eval({x: [1., 2.], v: [1., 0.]}).tolist()
    [4.0, 2.0]
    >>> hv = hessian_times_vector(gradient, x, v, r_op=True)
    >>> hv.eval({x: [1., 2.], v: [0., 1.]}).tolist()
    [2.0, 0.0]

    """
    if r_op:
        return pushforward(gradient, parameter, vector)
    return tensor.grad(tensor.sum(gradient * vector), parameter)
