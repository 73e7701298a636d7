"""The brick machinery: :class:`Brick`, :func:`application`, :func:`lazy`.

A brick is a parametrized graph operation. Its life cycle (configuration,
allocation, application, initialization) is driven from here; the
application decorator annotates every input and output variable with its
role, the brick and the :class:`ApplicationCall` that made it.

"""
import builtins
import functools
import inspect
import logging
import warnings
from collections import OrderedDict
from operator import attrgetter

import pytensor
from pytensor.graph.basic import Variable

from blocks.graph.annotations import add_annotation, Annotation
from blocks.roles import add_role, INPUT, OUTPUT, PARAMETER
from blocks.utils import pack, repr_attrs, reraise_as, unpack
from blocks.utils.containers import AnnotatingList

logger = logging.getLogger(__name__)

NOT_A_CHILD = (
    "brick {caller} applied brick {callee}, which is not among its children; "
    "list {callee} in {caller}.children (or decorate the method of {caller} "
    "that calls it with @application), otherwise parameters and "
    "configuration are not pushed to it")


def _variable_name(brick_name, application_name, name):
    return "{}_{}_{}".format(brick_name, application_name, name)


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


def _class_application(owner, name):
    """Unpickle an :class:`Application` by finding it on its class."""
    return owner.__dict__[name]


def _bound_application(owner, name, brick):
    """Unpickle a :class:`BoundApplication` by binding its application again."""
    return owner.__dict__[name].__get__(brick, type(brick))


class Application:
    """An application method belonging to a particular type of brick.

    The application methods of each :class:`Brick` class are automatically
    replaced by an instance of :class:`Application`. This allows us to
    store metadata about particular application methods (such as their in-
    and outputs) easily.

    Attributes
    ----------
    application : callable
        The original (unbounded) application function defined on the
        :class:`Brick`.
    delegate_function : callable
        A function that takes a :class:`Brick` instance as an argument and
        returns a :class:`BoundApplication` object to which attribute
        requests should be routed.
    properties : :obj:`dict` (:obj:`str`, :obj:`callable`)
        A dictionary of property getters that should be called when an
        attribute with the given name is requested.
    instances : :obj:`dict` (:class:`Brick`, :class:`BoundApplication`)
        A record of bound application instances created by the descriptor
        protocol.
    call_stack : :obj:`list` of :class:`Brick`
        The call stack of brick application methods. Used to check whether
        the current call was made by a parent brick.
    brick : type
        The brick class to which this instance belongs.

    Raises
    ------
    ValueError
        If a brick's application method is applied by another brick which
        does not list the former as a child.
    ValueError
        If the application method's inputs and/or outputs don't match with
        the function signature or the values returned (respectively).

    Notes
    -----
    When a :class:`Brick` is instantiated and its application method (i.e.
    an instance of this class) requested, the descriptor protocol (through
    the :meth:`__get__` method) automatically instantiates a
    :class:`BoundApplication` class and returns this. This bound
    application class can be used to store application information
    particular to a brick instance. Any attributes unknown to the bounded
    application are automatically routed to the application that
    instantiated it.

    Applications pickle by reference to the class that defines them, so
    that graphs and bricks pickle without pickling functions.

    """
    call_stack = []

    def __init__(self, application_function):
        self.__doc__ = application_function.__doc__
        self._application_function = application_function
        self.application_name = application_function.__name__
        self.delegate_function = None
        self.properties = {}
        self.brick = None
        signature = inspect.signature(application_function)
        parameters = list(signature.parameters.values())[1:]  # skip self
        self._arg_names = [p.name for p in parameters
                           if p.kind in (p.POSITIONAL_ONLY,
                                         p.POSITIONAL_OR_KEYWORD)]
        self._varargs = next((p.name for p in parameters
                              if p.kind == p.VAR_POSITIONAL), None)

    def __set_name__(self, owner, name):
        self.brick = owner

    @property
    def application_function(self):
        return self._application_function

    def property(self, name):
        """Decorator to make application properties.

        Parameters
        ----------
        name : str
            The name the property should take.

        Examples
        --------
        >>> class Foo(Brick):
        ...     @application
        ...     def apply(self, x):
        ...         return x + 1
        ...
        ...     @apply.property('inputs')
        ...     def apply_inputs(self):
        ...         return ['foo', 'bar']
        >>> foo = Foo()
        >>> foo.apply.inputs
        ['foo', 'bar']

        """
        if not isinstance(name, str):
            raise TypeError("the name of an application property must be a "
                            "string, got {!r}".format(name))

        def wrap_property(application_property):
            self.properties[name] = application_property.__name__
            return application_property
        return wrap_property

    def delegate(self, f):
        """Pass calls of unknown attributes to another application method.

        Decorate a brick method that returns a bound application; the
        attributes this application does not know (``inputs``,
        ``outputs``, ...) are looked up on that one.

        """
        self.delegate_function = f.__name__
        return f

    def __get__(self, instance, owner):
        """Instantiate :class:`BoundApplication` for each :class:`Brick`."""
        if instance is None:
            return self
        bound_applications = instance.__dict__.setdefault(
            '_bound_applications', {})
        key = (self.brick, self.application_name)
        bound = bound_applications.get(key)
        if bound is None:
            bound = bound_applications[key] = BoundApplication(self, instance)
        return bound

    def __getattr__(self, name):
        # Mimic behavior of properties
        if name.startswith('__') or name in ('_inputs', 'properties'):
            raise AttributeError(name)
        if name in self.properties:
            raise AttributeError(
                "the property {} of the application {} is defined per brick "
                "instance; ask a brick for it".format(name,
                                                      self.application_name))
        raise AttributeError("application {} has no attribute {!r}".format(
            self.application_name, name))

    def __setattr__(self, name, value):
        # Mimic behavior of read-only properties
        if name in self.__dict__.get('properties', {}):
            raise AttributeError("can't set attribute {}: it is a property "
                                 "of the application".format(name))
        super().__setattr__(name, value)

    def __reduce__(self):
        return _class_application, (self.brick, self.application_name)

    @builtins.property
    def inputs(self):
        return self._inputs

    @inputs.setter
    def inputs(self, inputs):
        allowed = self._arg_names + ([self._varargs] if self._varargs else [])
        unexpected = [input_ for input_ in inputs if input_ not in allowed]
        if unexpected:
            raise ValueError(
                "inputs {} of the application {} are not arguments of its "
                "function (which takes {})".format(
                    unexpected, self.application_name, allowed))
        self._inputs = inputs

    @builtins.property
    def name(self):
        return self.application_name

    def __call__(self, brick, *args, **kwargs):
        if not isinstance(brick, Brick) and (len(args) == 0
                                             or self.brick is None):
            raise TypeError("an application called at class level needs the "
                            "brick as its first argument")
        return self.__get__(brick, type(brick))(*args, **kwargs)

    def apply(self, bound_application, *args, **kwargs):
        as_dict = kwargs.pop('as_dict', False)
        as_list = kwargs.pop('as_list', False)
        call_id = kwargs.pop('call_id', None)
        if as_list and as_dict:
            raise ValueError("as_list and as_dict cannot both be true")

        brick = bound_application.brick

        # Find the names of the inputs to the application method
        args_names, varargs_name = self._arg_names, self._varargs

        # Construct the ApplicationCall, used to store data in for this call
        call = ApplicationCall(bound_application)
        call.metadata['call_id'] = call_id
        args = list(args)
        if 'application' in args_names:
            args.insert(args_names.index('application'), bound_application)
        if 'application_call' in args_names:
            args.insert(args_names.index('application_call'), call)

        # Allocate before applying, and optionally initialize
        if not brick.allocated:
            brick.allocate()
        if not brick.lazy and not brick.initialized:
            brick.initialize()

        def copy_and_tag(variable, role, name):
            """Helper method to copy a variable and annotate it."""
            copy = variable.copy()
            # PyTensor name
            copy.name = _variable_name(brick.name, self.name, name)
            add_annotation(copy, brick)
            add_annotation(copy, call)
            # Blocks name
            copy.tag.name = name
            add_role(copy, role)
            if brick.print_shapes:
                logged = pytensor.printing.Print(copy.name, attrs=('shape',))(
                    copy)
                logged.name, logged.tag = copy.name, copy.tag
                return logged
            return copy

        # Annotate all the input variables which are PyTensor variables
        for i, input_ in enumerate(args):
            if isinstance(input_, Variable):
                if i < len(args_names):
                    name = args_names[i]
                else:
                    name = "{}_{}".format(varargs_name, i - len(args_names))
                args[i] = copy_and_tag(input_, INPUT, name)

        for name, input_ in kwargs.items():
            if isinstance(input_, Variable):
                kwargs[name] = copy_and_tag(input_, INPUT, name)

        # Run the application method on the annotated variables
        last_brick = self.call_stack[-1] if self.call_stack else None
        if (last_brick and brick is not last_brick and
                brick not in last_brick.children):
            warnings.warn(NOT_A_CHILD.format(caller=last_brick, callee=brick))
        self.call_stack.append(brick)
        try:
            outputs = self.application_function(brick, *args, **kwargs)
            outputs = pack(outputs)
        finally:
            self.call_stack.pop()

        # Rename and annotate output variables
        for i, output in enumerate(outputs):
            if isinstance(output, Variable):
                try:
                    name = bound_application.outputs[i]
                except AttributeError:
                    name = "output_{}".format(i)
                except IndexError:
                    reraise_as(ValueError(
                        "the application {} of {} returned {} outputs, more "
                        "than the {} it declares".format(
                            self.name, brick, len(outputs),
                            len(bound_application.outputs))))
                outputs[i] = copy_and_tag(outputs[i], OUTPUT, name)

        # Return values
        if as_list:
            return outputs
        if as_dict:
            return OrderedDict(zip(bound_application.outputs, outputs))
        return unpack(outputs)


class BoundApplication:
    """An application method bound to a :class:`Brick` instance."""
    def __init__(self, application, brick):
        self.application = application
        self.brick = brick

    def __getattr__(self, name):
        # Prevent infinite loops
        if name in ('application', 'brick') or name.startswith('__'):
            raise AttributeError(name)
        application = self.application
        if name in application.properties:
            return getattr(self.brick, application.properties[name])()
        # First try the parent (i.e. class level), before trying the delegate
        try:
            return getattr(application, name)
        except AttributeError:
            if application.delegate_function:
                delegate = getattr(self.brick, application.delegate_function)
                return getattr(delegate(), name)
            raise

    @property
    def name(self):
        return self.application.name

    def __call__(self, *args, **kwargs):
        return self.application.apply(self, *args, **kwargs)

    def __reduce__(self):
        return _bound_application, (self.application.brick,
                                    self.application.application_name,
                                    self.brick)

    def __repr__(self):
        return "<BoundApplication {} of {}>".format(self.name, self.brick)


class ApplicationCall(Annotation):
    """A link between the variable tags and bricks.

    The application call can be used to attach to an apply call auxiliary
    variables (e.g. monitors or regularizers) that do not form part of the
    main computation graph.

    The application call object is created before the call to the
    application method and can be accessed by specifying an
    application_call argument.

    Also see :class:`.Annotation`.

    Parameters
    ----------
    application : :class:`BoundApplication` instance
        The bound application (i.e. belong to a brick instance) object
        being called

    Examples
    --------
    >>> class Foo(Brick):
    ...     @application
    ...     def apply(self, x, application_call):
    ...         application_call.add_auxiliary_variable(x.mean())
    ...         return x + 1
    >>> x = pytensor.tensor.vector()
    >>> y = Foo().apply(x)
    >>> from blocks.filter import get_application_call
    >>> get_application_call(y) # doctest: +ELLIPSIS
    <blocks.bricks.base.ApplicationCall object at ...>

    """
    def __init__(self, application):
        self.application = application
        self.metadata = {}
        super().__init__()

    def add_auxiliary_variable(self, variable, roles=None, name=None):
        if name:
            variable.name = _variable_name(
                self.application.brick.name, self.application.name, name)
            variable.tag.name = name
            name = None
        super().add_auxiliary_variable(variable, roles, name)


def application(*args, **kwargs):
    r"""Decorator for methods that apply a brick to inputs.

    Parameters
    ----------
    \*args, optional
        The application method to wrap.
    \*\*kwargs, optional
        Attributes to attach to this application.

    Notes
    -----
    This decorator replaces application methods with :class:`Application`
    instances. It also sets the attributes given as keyword arguments to
    the decorator.

    Note that this decorator purposely does not wrap the original method
    using e.g. :func:`~functools.wraps` or
    :func:`~functools.update_wrapper`, since that would make the class
    impossible to pickle (see notes at :class:`Application`).

    Examples
    --------
    >>> class Foo(Brick):
    ...     @application(inputs=['x'], outputs=['y'])
    ...     def apply(self, x):
    ...         return x + 1
    ...     @application
    ...     def other_apply(self, x):
    ...         return x - 1
    >>> foo = Foo()
    >>> Foo.apply.inputs
    ['x']
    >>> foo.apply.outputs
    ['y']
    >>> Foo.other_apply # doctest: +ELLIPSIS
    <blocks.bricks.base.Application object at ...>

    """
    if not ((args and not kwargs) or (not args and kwargs)):
        raise TypeError("application takes either the method to decorate "
                        "or keyword arguments, not both")
    if args:
        application_function, = args
        return Application(application_function)

    def wrap_application(application_function):
        application = Application(application_function)
        for key, value in kwargs.items():
            setattr(application, key, value)
        return application
    return wrap_application


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
    #: to initialize bricks on their first application.
    lazy = True
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
        if not isinstance(name, str):
            raise TypeError("the name of a brick must be a string, got "
                            "{!r}".format(name))
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
        missing_config = [arg for arg in getattr(self, 'allocation_args', [])
                          if getattr(self, arg) is NoneAllocation]
        if missing_config:
            raise ValueError('allocation config not set: '
                             '{}'.format(', '.join(missing_config)))
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
        """Brick implementation of parameter initialization.

        Implement this if your brick needs to allocate its parameters.

        .. warning::

           This method should never be called directly. Call
           :meth:`initialize` instead.

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
        missing_config = [arg for arg in
                          getattr(self, 'initialization_args', [])
                          if getattr(self, arg) is NoneInitialization]
        if missing_config:
            raise ValueError('initialization config not set: '
                             '{}'.format(', '.join(missing_config)))
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
        self._push_allocation_config()
        self.allocation_config_pushed = True
        for child in self.children:
            try:
                child.push_allocation_config()
            except Exception:
                self.allocation_config_pushed = False
                raise

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
        self._push_initialization_config()
        self.initialization_config_pushed = True
        for child in self.children:
            try:
                child.push_initialization_config()
            except Exception:
                self.initialization_config_pushed = False
                raise

    def _push_initialization_config(self):
        """Brick implementation of configuring child before initialization.

        Implement this if your brick needs to set the configuration of its
        children before initialization.

        .. warning::

           This method should never be called directly. Call
           :meth:`push_initialization_config` instead.

        """
        pass

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

    def get_hierarchical_name(self, parameter, delimiter='/'):
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


def args_to_kwargs(args, f):
    """Map the positional arguments of a call to `f` to their names."""
    names = [p.name for p in inspect.signature(f).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(args) > len(names):
        raise TypeError("{}() takes at most {} positional arguments ({} "
                        "given)".format(f.__qualname__, len(names),
                                        len(args)))
    return dict(zip(names, args))


class LazyNone:
    """The value of a lazy argument that has not been given yet.

    It is false in a boolean context, prints as its name, and pickles as
    the same module-level object.

    """
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __bool__(self):
        return False

    def __reduce__(self):
        return self.name


NoneAllocation = LazyNone('NoneAllocation')
NoneInitialization = LazyNone('NoneInitialization')


def lazy(allocation=None, initialization=None):
    """Makes the initialization lazy.

    This decorator allows the user to define positional arguments which
    will not be needed until the allocation or initialization stage of the
    brick. If these arguments are not passed, it will automatically replace
    them with a custom ``None`` object. It is assumed that the missing
    arguments can be set after initialization by setting attributes with
    the same name.

    Parameters
    ----------
    allocation : list
        A list of argument names that are needed for allocation.
    initialization : list
        A list of argument names that are needed for initialization.

    Examples
    --------
    >>> class SomeBrick(Brick):
    ...     @lazy(allocation=['a'], initialization=['b'])
    ...     def __init__(self, a, b, c='c', d=None):
    ...         print(a, b, c, d)
    >>> brick = SomeBrick('a')
    a NoneInitialization c None
    >>> brick = SomeBrick(d='d', b='b')
    NoneAllocation b c d

    """
    allocation = list(allocation or [])
    initialization = list(initialization or [])

    def lazy_wrapper(init):
        arg_names = list(inspect.signature(init).parameters)
        unknown = [arg for arg in allocation + initialization
                   if arg not in arg_names]
        if unknown:
            raise ValueError("lazy arguments {} are not arguments of "
                             "{}".format(unknown, init.__qualname__))

        @functools.wraps(init)
        def lazy_init(*args, **kwargs):
            self = args[0]
            self.allocation_args = _merge(
                getattr(self, 'allocation_args', []), allocation)
            self.initialization_args = _merge(
                getattr(self, 'initialization_args', []), initialization)
            positional = args_to_kwargs(args, init)
            duplicated = set(positional) & set(kwargs)
            if duplicated:
                raise TypeError("{}() got multiple values for argument "
                                "{}".format(init.__qualname__,
                                            sorted(duplicated)[0]))
            kwargs.update(positional)
            for allocation_arg in allocation:
                kwargs.setdefault(allocation_arg, NoneAllocation)
            for initialization_arg in initialization:
                kwargs.setdefault(initialization_arg, NoneInitialization)
            return init(**kwargs)
        return lazy_init
    return lazy_wrapper


def _merge(existing, new):
    return list(existing) + [arg for arg in new if arg not in existing]


def rename_function(function, new_name):
    """Give a function a new name (used when wrapping applications)."""
    old_name = function.__name__
    function.__name__ = new_name
    if hasattr(function, '__qualname__'):
        function.__qualname__ = function.__qualname__.replace(
            old_name, new_name)
    return function
