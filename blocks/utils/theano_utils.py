"""Helpers for PyTensor variables: shared variables in floatX, hooks, copies.

The module keeps its Theano-era name, as user code imports from it.
"""
import numpy
import pytensor
from pytensor import tensor
from pytensor.compile import SharedVariable
from pytensor.compile.ops import ViewOp
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.tensor.random.type import RandomType
from pytensor.tensor.sharedvar import TensorSharedVariable


class FloatXSharedVariable(TensorSharedVariable):
    """The shared variables :func:`shared_floatx` makes: always true.

    Theano's variables were true in a boolean context and Blocks' own
    bricks of the last release tested parameters with ``if
    self.parameters[i]:`` (code that subclasses them, such as the original
    machine translation example, still does); PyTensor's raise
    ``TypeError``. A shared variable always holds a value, so this one is
    true, as in Theano. Symbolic variables keep PyTensor's behaviour.

    """
    def __bool__(self):
        return True


def shared_floatx_zeros_matching(shared_variable, name=None, **kwargs):
    r"""Create another shared variable with matching shape and broadcast.

    Parameters
    ----------
    shared_variable : :class:`~pytensor.compile.SharedVariable`
        A shared variable whose shape and static shape will be matched.
    name : :obj:`str`, optional
        The name for the shared variable. Defaults to `None`.
    \*\*kwargs
        Keyword arguments to pass to the :func:`shared_floatx_zeros`
        function.

    Returns
    -------
    :class:`~pytensor.compile.SharedVariable`
        A new shared variable, initialized to all zeros, with the same
        shape and static shape as `shared_variable`.

    """
    if not is_shared_variable(shared_variable):
        raise ValueError('argument must be a shared variable, got {!r}'
                         .format(shared_variable))
    return shared_floatx(numpy.zeros(shared_variable.get_value().shape),
                         name=name, shape=shared_variable.type.shape,
                         **kwargs)


def shared_floatx_zeros(shape, **kwargs):
    r"""Creates a shared variable array filled with zeros.

    Parameters
    ----------
    shape : tuple
        A tuple of integers representing the shape of the array.
    \*\*kwargs
        Keyword arguments to pass to the :func:`shared_floatx` function.

    Returns
    -------
    :class:`~pytensor.compile.SharedVariable`
        A PyTensor shared variable filled with zeros.

    >>> shared_floatx_zeros((2,)).get_value().tolist()
    [0.0, 0.0]

    """
    return shared_floatx(numpy.zeros(_integral_shape(shape)), **kwargs)


def _integral_shape(shape):
    """Return `shape` with whole-number floats (``8 / 2``) made ints.

    Scripts written for Python 2 compute dimensions with ``/`` (the
    original machine translation example sets ``input_dim=state_dim / 2``);
    Theano's NumPy accepted ``4.0`` in a shape, today's NumPy does not.

    """
    if numpy.ndim(shape) == 0:
        shape = (shape,)
    result = []
    for dim in shape:
        if isinstance(dim, (float, numpy.floating)):
            if not float(dim).is_integer():
                raise ValueError('shape must hold whole numbers, got {!r}'
                                 .format(tuple(shape)))
            dim = int(dim)
        result.append(dim)
    return tuple(result)


def shared_floatx_nans(shape, **kwargs):
    r"""Creates a shared variable array filled with nans.

    Parameters
    ----------
    shape : tuple
         A tuple of integers representing the shape of the array.
    \*\*kwargs
        Keyword arguments to pass to the :func:`shared_floatx` function.

    Returns
    -------
    :class:`~pytensor.compile.SharedVariable`
        A PyTensor shared variable filled with nans.

    """
    return shared_floatx(numpy.nan * numpy.zeros(_integral_shape(shape)),
                         **kwargs)


def shared_floatx(value, name=None, borrow=False, dtype=None, **kwargs):
    r"""Transform a value into a shared variable of type floatX.

    Parameters
    ----------
    value : :class:`~numpy.ndarray`
        The value to associate with the PyTensor shared.
    name : :obj:`str`, optional
        The name for the shared variable. Defaults to `None`.
    borrow : :obj:`bool`, optional
        If set to True, the given `value` will not be copied if possible.
        This can save memory and speed. Defaults to False.
    dtype : :obj:`str`, optional
        The `dtype` of the shared variable. Default value is
        :attr:`pytensor.config.floatX`.
    \*\*kwargs
        Keyword arguments to pass to the :func:`pytensor.shared` function
        (``shape=`` for a static shape; Theano's ``broadcastable=`` is
        translated to it).

    Returns
    -------
    :class:`~pytensor.compile.SharedVariable`
        A PyTensor shared variable with the requested value and `dtype`.

    >>> shared_floatx([1, 2], name='a').dtype == pytensor.config.floatX
    True

    """
    if dtype is None:
        dtype = pytensor.config.floatX
    if 'broadcastable' in kwargs:
        broadcastable = kwargs.pop('broadcastable')
        kwargs['shape'] = tuple(1 if flag else None for flag in broadcastable)
    variable = pytensor.shared(numpy.asarray(value, dtype=dtype),
                               name=name, borrow=borrow, **kwargs)
    if type(variable) is TensorSharedVariable:
        variable.__class__ = FloatXSharedVariable
    return variable


def shared_like(variable, name=None, **kwargs):
    r"""Construct a shared variable to hold the value of a tensor variable.

    Parameters
    ----------
    variable : :class:`~pytensor.tensor.TensorVariable`
        The variable whose dtype and ndim will be used to construct
        the new shared variable.
    name : :obj:`str` or :obj:`None`
        The name of the shared variable. If None, the name is determined
        based on variable's name.
    \*\*kwargs
        Keyword arguments to pass to the :func:`~pytensor.shared` function.

    """
    variable = tensor.as_tensor_variable(variable)
    if name is None:
        name = "shared_{}".format(variable.name)
    return pytensor.shared(numpy.zeros((0,) * variable.ndim,
                                       dtype=variable.dtype),
                           name=name, **kwargs)


def is_graph_input(variable):
    """Check if variable is a user-provided graph input.

    To be considered an input the variable must have no owner, and not
    be a constant or shared variable.

    Parameters
    ----------
    variable : :class:`~pytensor.graph.basic.Variable`

    Returns
    -------
    bool
        ``True`` If the variable is a user-provided input to the graph.

    """
    return (not variable.owner and
            not isinstance(variable, SharedVariable) and
            not isinstance(variable, Constant))


def is_shared_variable(variable):
    """Check if a variable is a PyTensor shared variable.

    Notes
    -----
    This function excludes shared variables that store the state of random
    number generators.

    """
    return (isinstance(variable, SharedVariable) and
            not isinstance(variable.type, RandomType))


def named_copy(variable, new_name):
    """Clones a variable and set a new name.

    Parameters
    ----------
    variable : :class:`~pytensor.graph.basic.Variable`
        The variable to be copied.
    new_name : str
        The new name of the copy.

    Notes
    -----
    The copy is a new variable (an identity operation on the original)
    with a fresh tag: roles and annotations can be added to it without
    changing the original, and the original's are not carried over.

    Examples
    --------
    >>> x = tensor.vector('x')
    >>> y = named_copy(x, 'y')
    >>> y.name, y.owner.inputs[0] is x
    ('y', True)

    """
    result = variable.copy()
    result.name = new_name
    return result


def check_theano_variable(variable, n_dim, dtype_prefix):
    """Check number of dimensions and dtype of a PyTensor variable.

    If the input is not a PyTensor variable, it is converted to one. `None`
    input is handled as a special case: no checks are done.

    Parameters
    ----------
    variable : :class:`~pytensor.graph.basic.Variable` or convertible to one
        A variable to check.
    n_dim : int
        Expected number of dimensions or None. If None, no check is
        performed.
    dtype_prefix : str
        Expected dtype prefix or None. If None, no check is performed.

    """
    if variable is None:
        return

    if not isinstance(variable, Variable):
        variable = tensor.constant(variable)

    if n_dim and variable.ndim != n_dim:
        raise ValueError("Wrong number of dimensions:"
                         "\n\texpected {}, got {}".format(
                             n_dim, variable.ndim))

    if dtype_prefix and not variable.dtype.startswith(dtype_prefix):
        raise ValueError("Wrong dtype prefix:"
                         "\n\texpected starting with {}, got {}".format(
                             dtype_prefix, variable.dtype))


class _Hook:
    """Picklable callable for :func:`put_hook` (no lambdas in graphs)."""
    def __init__(self, hook_function):
        self.hook_function = hook_function

    def __call__(self, op, value):
        return self.hook_function(value)


def put_hook(variable, hook_fn, *args):
    r"""Put a hook on a PyTensor variable.

    Ensures that the hook function is executed every time when the value
    of the PyTensor variable is available.

    Parameters
    ----------
    variable : :class:`~pytensor.tensor.TensorVariable`
        The variable to put a hook on.
    hook_fn : function
        The hook function. Should take a single argument: the variable's
        value.
    \*args : list
        Positional arguments to pass to the hook function.

    Notes
    -----
    The hook is a :class:`pytensor.printing.Print` op: it runs in the C VM,
    the Python VM and (in object mode) the Numba mode, but not in the JAX
    mode, which cannot call back into Python.

    """
    if args:
        hook_fn = _BoundHook(hook_fn, args)
    return pytensor.printing.Print(global_fn=_Hook(hook_fn))(variable)


class _BoundHook:
    def __init__(self, function, args):
        self.function, self.args = function, args

    def __call__(self, value):
        return self.function(value, *self.args)


class _PrintHook:
    """Prints a header and the sum or the shape of a value (picklable)."""
    def __init__(self, what, header):
        self.what, self.header = what, header

    def __call__(self, value):
        result = value.sum() if self.what == 'sum' else value.shape
        print('{}: {}'.format(self.header, result))


def print_sum(x, header=None):
    """Wrap `x` so that its sum is printed whenever it is computed.

    Parameters
    ----------
    x : :class:`~pytensor.tensor.TensorVariable`
        The variable to watch.
    header : str, optional
        Printed before the sum, ``'print_sum'`` by default.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x = tensor.vector('x')
    >>> print_sum(2 * x, header='doubled').eval({x: [1., 2.]})
    doubled: 6.0
    array([2., 4.])

    """
    return put_hook(x, _PrintHook('sum', header or 'print_sum'))


def print_shape(x, header=None):
    """Wrap `x` so that its shape is printed whenever it is computed.

    Parameters
    ----------
    x : :class:`~pytensor.tensor.TensorVariable`
        The variable to watch.
    header : str, optional
        Printed before the shape, ``'print_shape'`` by default.

    """
    return put_hook(x, _PrintHook('shape', header or 'print_shape'))


class Unbroadcast(ViewOp):
    """Forget the static length-1 dimensions of a variable.

    A replacement for Theano's ``tensor.unbroadcast``, which PyTensor
    removed: ``scan`` demands that an initial state and the step's output
    have the same static shape, so an initial state of static shape
    ``(1, dim)`` must be made ``(None, dim)``.

    """
    __props__ = ('axes',)

    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(sorted(axes))

    def make_node(self, x):
        x = tensor.as_tensor_variable(x)
        axes = range(x.ndim) if self.axes is None else self.axes
        shape = tuple(None if i in axes else dim
                      for i, dim in enumerate(x.type.shape))
        return Apply(self, [x], [x.type.clone(shape=shape)()])


def unbroadcast(variable, *axes):
    """Make the given (default: all) axes of a variable non-broadcastable.

    >>> x = tensor.row('x')
    >>> x.type.shape, unbroadcast(x).type.shape
    ((1, None), (None, None))

    """
    variable = tensor.as_tensor_variable(variable)
    if not any(dim == 1 for dim in variable.type.shape):
        return variable
    return Unbroadcast(axes or None)(variable)
