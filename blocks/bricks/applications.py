"""Application methods: :func:`application` and the objects behind it.

The :func:`application` decorator turns a method of a brick into an
:class:`Application`; reading it from a brick gives a
:class:`BoundApplication`, and each call makes an :class:`ApplicationCall`.
A call copies every input and output variable and annotates the copy with
its role, the brick and the call, so that graph filters can find them.

The brick life cycle itself (allocation, initialization) lives in
:mod:`blocks.bricks.base`, which re-exports these names. (The module's name
is plural because ``blocks.bricks.application`` is the decorator.)

"""
import builtins
import inspect
import threading
import warnings
from collections import OrderedDict

import pytensor
from pytensor.graph.basic import Variable

from blocks.graph.annotations import add_annotation, Annotation
from blocks.roles import add_role, INPUT, OUTPUT
from blocks.utils import pack, reraise_as, unpack

NOT_A_CHILD = (
    "brick {caller} applied brick {callee}, which is not among its children; "
    "list {callee} in {caller}.children (or decorate the method of {caller} "
    "that calls it with @application), otherwise parameters and "
    "configuration are not pushed to it")


def _variable_name(brick_name, application_name, name):
    return "{}_{}_{}".format(brick_name, application_name, name)


def copy_and_tag(variable, brick, call, role, application_name, name):
    """Copy a variable and annotate the copy as an input or output.

    The copy is named ``<brick>_<application>_<name>`` for PyTensor and
    ``name`` for Blocks (``tag.name``), carries the role, and is annotated
    with the brick and the :class:`ApplicationCall`. With the brick's
    ``print_shapes`` set, the copy prints its shape when evaluated.

    """
    copy = variable.copy()
    copy.name = _variable_name(brick.name, application_name, name)
    add_annotation(copy, brick)
    add_annotation(copy, call)
    copy.tag.name = name
    add_role(copy, role)
    if brick.print_shapes:
        logged = pytensor.printing.Print(copy.name, attrs=('shape',))(copy)
        logged.name, logged.tag = copy.name, copy.tag
        return logged
    return copy


class _PerThreadList:
    """A class attribute whose value is a list private to each thread.

    Read on the class or on an instance, it gives the calling thread's
    list, created empty on the thread's first read.

    """
    def __init__(self):
        self._local = threading.local()

    def __get__(self, instance, owner):
        try:
            return self._local.items
        except AttributeError:
            items = self._local.items = []
            return items


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
        the current call was made by a parent brick. Each thread sees its
        own stack, so bricks can be applied from several threads at once.
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
    call_stack = _PerThreadList()

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
        >>> from blocks.bricks.base import Brick
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
        # Imported here: the brick module builds on this one.
        from blocks.bricks.base import Brick
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

        # Annotate all the input variables which are PyTensor variables
        for i, input_ in enumerate(args):
            if isinstance(input_, Variable):
                if i < len(args_names):
                    name = args_names[i]
                else:
                    name = "{}_{}".format(varargs_name, i - len(args_names))
                args[i] = copy_and_tag(input_, brick, call, INPUT, self.name,
                                       name)

        for name, input_ in kwargs.items():
            if isinstance(input_, Variable):
                kwargs[name] = copy_and_tag(input_, brick, call, INPUT,
                                            self.name, name)

        # Run the application method on the annotated variables
        call_stack = self.call_stack
        last_brick = call_stack[-1] if call_stack else None
        if (last_brick and brick is not last_brick and
                brick not in last_brick.children):
            warnings.warn(NOT_A_CHILD.format(caller=last_brick, callee=brick))
        call_stack.append(brick)
        try:
            outputs = self.application_function(brick, *args, **kwargs)
            outputs = pack(outputs)
        finally:
            call_stack.pop()

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
                outputs[i] = copy_and_tag(outputs[i], brick, call, OUTPUT,
                                          self.name, name)

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
    >>> import pytensor
    >>> from blocks.bricks.base import Brick, application
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
        # As in Blocks, the variable also belongs to the brick (get_brick).
        add_annotation(variable, self.application.brick)
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
    >>> from blocks.bricks.base import Brick
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


def rename_function(function, new_name):
    """Give a function a new name (used when wrapping applications)."""
    old_name = function.__name__
    function.__name__ = new_name
    if hasattr(function, '__qualname__'):
        function.__qualname__ = function.__qualname__.replace(
            old_name, new_name)
    return function


# Blocks defined these classes in blocks.bricks.base, which re-exports them:
# they keep that name in their reprs, in pickles and in the documentation.
for _class in (Application, BoundApplication, ApplicationCall):
    _class.__module__ = 'blocks.bricks.base'
del _class
