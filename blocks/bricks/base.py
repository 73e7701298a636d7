"""Bricks: the :class:`Brick` class and its life cycle.

A brick is a parametrized graph operation. Its life cycle (configuration,
allocation, application, initialization) is driven from here. The pieces it
builds on live in their own modules and are re-exported from here, so that
``from blocks.bricks.base import X`` and pickles that name
``blocks.bricks.base.X`` keep working:

- :mod:`blocks.bricks.applications`: :func:`application`,
  :class:`Application`, :class:`BoundApplication`,
  :class:`ApplicationCall` (the annotation of inputs and outputs);
- :mod:`blocks.bricks.lazy_arguments`: :func:`lazy`, :data:`NoneAllocation`,
  :data:`NoneInitialization`.

"""
import logging
from collections import OrderedDict
from operator import attrgetter

from pytensor.graph.basic import Variable

from blocks.bricks.applications import (  # noqa: F401 (re-exported)
    _bound_application, _class_application, _variable_name, Application,
    application, ApplicationCall, BoundApplication, copy_and_tag,
    NOT_A_CHILD, rename_function)
from blocks.bricks.lazy_arguments import (  # noqa: F401 (re-exported)
    _merge, args_to_kwargs, lazy, LazyNone, NoneAllocation,
    NoneInitialization)
from blocks.graph.annotations import add_annotation, Annotation
from blocks.roles import add_role, PARAMETER
from blocks.utils import repr_attrs
from blocks.utils.containers import AnnotatingList

logger = logging.getLogger(__name__)

#: The separator of brick names in hierarchical parameter names.
BRICK_DELIMITER = '/'

#: Blocks' name for :class:`property`, kept for code that imports it (it
#: worked around Python 2's unbound methods).
property_ = property


def create_unbound_method(func, cls):
    """`func` as a method of `cls`: in Python 3, the function itself.

    Blocks needed this for Python 2's unbound methods; it is kept for code
    that imports it.

    """
    return func


class Parameters(AnnotatingList):
    """Adds the PARAMETER role to parameters automatically."""
    def __init__(self, brick, *args, **kwargs):
        self.brick = brick
        super().__init__(*args, **kwargs)

    def _setitem(self, key, value):
        if isinstance(value, Variable):
            add_role(value, PARAMETER)
            add_annotation(value, self.brick)


class Children(AnnotatingList):
    """Adds the brick to the list of parents of its children."""
    def __init__(self, brick, *args, **kwargs):
        self.brick = brick
        super().__init__(*args, **kwargs)

    def _setitem(self, key, value):
        if value is not None:
            value.parents.append(self.brick)

    def _delitem(self, key):
        child = self._items[key]
        if child is not None:
            child.parents.remove(self.brick)


class Brick(Annotation):
    """A brick encapsulates PyTensor operations with parameters.

    A brick goes through the following stages:

    1. Construction: The call to :meth:`__init__` constructs a
       :class:`Brick` instance with a name and creates any child bricks as
       well.
    2. Allocation of parameters:

       a) Allocation configuration of children: The
          :meth:`push_allocation_config` method configures any children of
          this block.
       b) Allocation: The :meth:`allocate` method allocates the shared
          PyTensor variables required for the parameters. Also allocates
          parameters for all children.

    3. The following can be done in either order:

       a) Application: By applying the brick to a set of PyTensor
          variables a part of the computational graph of the final model is
          constructed.
       b) The initialization of parameters:

          1. Initialization configuration of children: The
             :meth:`push_initialization_config` method configures any
             children of this block.
          2. Initialization: This sets the initial values of the
             parameters by a call to :meth:`initialize`, which is needed
             to call the final compiled PyTensor function.  Also
             initializes all children.

    Not all stages need to be called explicitly. Step 3(a) will
    automatically allocate the parameters if needed. Similarly, step
    3(b.2) and 2(b) will automatically perform steps 3(b.1) and 2(a) if
    needed. They only need to be called separately if greater control is
    required. The only two methods which always need to be called are an
    application method to construct the computational graph, and the
    :meth:`initialize` method in order to initialize the parameters.

    At each different stage, a brick might need a certain set of
    configuration settings. All of these settings can be passed to the
    :meth:`__init__` constructor. However, by default many bricks support
    *lazy initialization*. This means that the configuration settings can
    be set later.

    .. note::

       Some arguments to :meth:`__init__` are *always* required, even when
       lazy initialization is enabled. Other arguments must be given before
       calling :meth:`allocate`, while others yet only need to be given in
       order to call :meth:`initialize`. Always read the documentation of
       each brick carefully.

    Lazy initialization can be turned off by setting ``Brick.lazy =
    False``. In this case, there is no need to call :meth:`initialize`
    manually anymore, but all the configuration must be passed to the
    :meth:`__init__` method.

    Parameters
    ----------
    name : str, optional
        The name of this brick. This can be used to filter the application
        of certain modifications by brick names. By default, the brick
        receives the name of its class (lowercased).

    Attributes
    ----------
    name : str
        The name of this brick.
    print_shapes : bool
        ``False`` by default. If ``True`` it logs the shapes of all the
        input and output variables, which can be useful for debugging.
    parameters : list of :class:`~pytensor.tensor.sharedvar.TensorSharedVariable` and ``None``
        After calling the :meth:`allocate` method this attribute will be
        populated with the shared variables storing this brick's
        parameters. Allows for ``None`` so that parameters can always be
        accessed at the same index, even if some parameters are only
        defined given a particular configuration.
    children : list of bricks
        The children of this brick.
    allocated : bool
        ``False`` if :meth:`allocate` has not been called yet. ``True``
        otherwise.
    initialized : bool
        ``False`` if :meth:`allocate` has not been called yet. ``True``
        otherwise.
    allocation_config_pushed : bool
        ``False`` if :meth:`allocate` or :meth:`push_allocation_config`
        hasn't been called yet. ``True`` otherwise.
    initialization_config_pushed : bool
        ``False`` if :meth:`initialize` or
        :meth:`push_initialization_config` hasn't been called yet. ``True``
        otherwise.

    Notes
    -----
    To provide support for lazy initialization, apply the :meth:`lazy`
    decorator to the :meth:`__init__` method.

    Brick implementations *must* call the :meth:`__init__` constructor of
    their parent using `super().__init__(**kwargs)` at the
    beginning of the overriding `__init__`.

    The methods :meth:`_allocate` and :meth:`_initialize` need to be
    overridden if the brick needs to allocate shared variables and
    initialize their values in order to function.

    A brick can have any number of methods which apply the brick on PyTensor
    variables. These methods should be decorated with the
    :func:`application` decorator.

    If a brick has children, they must be listed in the :attr:`children`
    attribute. Moreover, if the brick wants to control the configuration of
    its children, the :meth:`_push_allocation_config` and
    :meth:`_push_initialization_config` methods need to be overridden.

    Examples
    --------
    Most bricks have lazy initialization enabled.

    >>> import pytensor
    >>> from blocks.initialization import IsotropicGaussian, Constant
    >>> from blocks.bricks import Linear
    >>> linear = Linear(input_dim=5, output_dim=3,
    ...                 weights_init=IsotropicGaussian(),
    ...                 biases_init=Constant(0))
    >>> x = pytensor.tensor.vector()
    >>> linear.apply(x)  # Calls linear.allocate() automatically
    linear_apply_output
    >>> linear.initialize()  # Initializes the weight matrix

    """
    #: See :attr:`print_shapes` above.
    print_shapes = False
    #: Set to ``False`` (on a class, or on :class:`Brick` for all bricks)
    #: to initialize bricks on their first application. (It shadows the
    #: module's :func:`lazy` inside the class body only.)
    lazy = True  # noqa: F811
    #: Wrappers (see :mod:`blocks.bricks.wrappers`) applied to the
    #: applications this class inherits.
    decorators = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        decorators = cls.__dict__.get('decorators', ())
        if not decorators:
            return
        inherited = OrderedDict()
        for base in reversed(cls.__mro__[1:]):
            for name, value in vars(base).items():
                if isinstance(value, Application):
                    inherited[name] = value
        namespace = {}
        for decorator in decorators:
            for name, wrapped in inherited.items():
                if name not in cls.__dict__:
                    decorator.wrap(wrapped, namespace)
        for name, value in namespace.items():
            setattr(cls, name, value)
            if isinstance(value, Application):
                value.__set_name__(cls, name)

    def __init__(self, name=None, children=None):
        if name is None:
            name = self.__class__.__name__.lower()
        if children is None:
            children = []

        self.name = name
        self.parents = []
        self.children = children

        self.allocated = False
        self.allocation_config_pushed = False
        self.initialized = False
        self.initialization_config_pushed = False
        super().__init__()

    def __repr__(self):
        return repr_attrs(self, 'name')

    def __getstate__(self):
        state = self.__dict__.copy()
        # Bound applications are recreated on demand
        state.pop('_bound_applications', None)
        return state

    @property
    def parameters(self):
        try:
            return self.__dict__['_parameters']
        except KeyError:
            raise AttributeError("'{}' object has no attribute "
                                 "'parameters'".format(
                                     type(self).__name__)) from None

    @parameters.setter
    def parameters(self, value):
        self._parameters = Parameters(self, value)

    @property
    def children(self):
        return self._children

    @children.setter
    def children(self, value):
        self._children = Children(self, value)

    def allocate(self):
        """Allocate shared variables for parameters.

        Based on the current configuration of this :class:`Brick` create
        PyTensor shared variables to store the parameters.  After
        allocation, parameters are accessible through the
        :attr:`parameters` attribute.

        This method calls the :meth:`allocate` method of all children
        first, allowing the :meth:`_allocate` method to override the
        parameters of the children if needed.

        Raises
        ------
        ValueError
            If the configuration of this brick is insufficient to determine
            the number of parameters or their dimensionality to be
            initialized.

        Notes
        -----
        This method sets the :attr:`parameters` attribute to an empty list.
        This is in order to ensure that calls to this method completely
        reset the parameters.

        """
        self._check_config('allocation', NoneAllocation)
        if not self.allocation_config_pushed:
            self.push_allocation_config()
        for child in self.children:
            child.allocate()
        previous = self.__dict__.get('_parameters')
        self.parameters = []
        try:
            self._allocate()
        except Exception:
            if previous is None:
                del self._parameters
            else:
                self._parameters = previous
            raise
        self.allocated = True

    def _allocate(self):
        """Brick implementation of parameter allocation.

        Implement this if your brick needs to allocate its parameters.

        .. warning::

           This method should never be called directly. Call
           :meth:`allocate` instead.

        """
        pass

    def initialize(self):
        """Initialize parameters.

        Intialize parameters, such as weight matrices and biases.

        Notes
        -----
        If the brick has not allocated its parameters yet, this method will
        call the :meth:`allocate` method in order to do so.

        """
        self._check_config('initialization', NoneInitialization)
        if not self.allocated:
            self.allocate()
        if not self.initialization_config_pushed:
            self.push_initialization_config()
        for child in self.children:
            child.initialize()
        self._initialize()
        self.initialized = True

    def _initialize(self):
        """Brick implementation of parameter initialization.

        Implement this if your brick needs to initialize its parameters.

        .. warning::

           This method should never be called directly. Call
           :meth:`initialize` instead.

        """
        pass

    def push_allocation_config(self):
        """Push the configuration for allocation to child bricks.

        Bricks can configure their children, based on their own current
        configuration. This will be automatically done by a call to
        :meth:`allocate`, but if you want to override the configuration of
        child bricks manually, then you can call this function manually.

        """
        self._push_config('allocation')

    def _push_allocation_config(self):
        """Brick implementation of configuring child before allocation.

        Implement this if your brick needs to set the configuration of its
        children before allocation.

        .. warning::

           This method should never be called directly. Call
           :meth:`push_allocation_config` instead.

        """
        pass

    def push_initialization_config(self):
        """Push the configuration for initialization to child bricks.

        Bricks can configure their children, based on their own current
        configuration. This will be automatically done by a call to
        :meth:`initialize`, but if you want to override the configuration
        of child bricks manually, then you can call this function manually.

        """
        self._push_config('initialization')

    def _push_initialization_config(self):
        """Brick implementation of configuring child before initialization.

        Implement this if your brick needs to set the configuration of its
        children before initialization.

        .. warning::

           This method should never be called directly. Call
           :meth:`push_initialization_config` instead.

        """
        pass

    def _check_config(self, stage, placeholder):
        """Raise if a lazy argument ``stage`` needs is still `placeholder`.

        ``stage`` is ``'allocation'`` or ``'initialization'``; the arguments
        are those :func:`lazy` recorded in ``<stage>_args``.

        """
        missing = [arg for arg in getattr(self, stage + '_args', [])
                   if getattr(self, arg) is placeholder]
        if missing:
            raise ValueError('{} config not set: {}'.format(
                stage, ', '.join(missing)))

    def _push_config(self, stage):
        """Run this brick's ``_push_<stage>_config``, then the children's.

        The brick counts as configured (``<stage>_config_pushed``) only once
        every child is: after a failure, the next call pushes again.

        """
        getattr(self, '_push_{}_config'.format(stage))()
        pushed = '{}_config_pushed'.format(stage)
        setattr(self, pushed, True)
        for child in self.children:
            try:
                getattr(child, 'push_{}_config'.format(stage))()
            except Exception:
                setattr(self, pushed, False)
                raise

    def get_dim(self, name):
        """Get dimension of an input/output variable of a brick.

        Parameters
        ----------
        name : str
            The name of the variable.

        """
        raise ValueError("No dimension information for {} available"
                         .format(name))

    def get_dims(self, names):
        """Get list of dimensions for a set of input/output variables.

        Parameters
        ----------
        names : list
            The variable names.

        Returns
        -------
        dims : list
            The dimensions of the sources.

        """
        return [self.get_dim(name) for name in names]

    def get_unique_path(self):
        """Returns unique path to this brick in the application graph.

        The path is the list of bricks from a top brick down to this one.
        Where a brick has several parents, the one with the smallest name
        is followed, so the path does not depend on the order in which the
        parents were built.

        >>> from blocks.bricks import MLP, Tanh
        >>> mlp = MLP([Tanh(), None], [3, 4, 2])
        >>> [brick.name for brick in
        ...  mlp.linear_transformations[1].get_unique_path()]
        ['mlp', 'linear_1']

        """
        path = [self]
        seen = {id(self)}
        brick = self
        while brick.parents:
            brick = min(brick.parents, key=attrgetter('name'))
            if id(brick) in seen:
                raise ValueError("the brick hierarchy of {} has a "
                                 "cycle".format(self))
            seen.add(id(brick))
            path.append(brick)
        return path[::-1]

    def get_hierarchical_name(self, parameter,
                              delimiter=BRICK_DELIMITER):
        """Return hierarhical name for a parameter.

        Returns a path of the form ``/brick1/brick2/brick3.parameter1``. The
        delimiter is configurable.

        Parameters
        ----------
        delimiter : str
            The delimiter used to separate brick names in the path.

        Examples
        --------
        >>> from blocks.bricks import MLP, Tanh
        >>> mlp = MLP([Tanh(), None], [3, 4, 2])
        >>> mlp.allocate()
        >>> linear = mlp.linear_transformations[1]
        >>> linear.get_hierarchical_name(linear.parameters[0])
        '/mlp/linear_1.W'

        """
        path = ''.join(delimiter + brick.name
                       for brick in self.get_unique_path())
        return '{}.{}'.format(path, parameter.name)
