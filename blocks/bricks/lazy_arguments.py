"""Lazy configuration of bricks: :func:`lazy` and its placeholders.

A brick's constructor may leave out the sizes and initialization schemes it
needs only later; :func:`lazy` fills each missing one with a placeholder
(:data:`NoneAllocation` or :data:`NoneInitialization`) that
:meth:`~blocks.bricks.base.Brick.allocate` and
:meth:`~blocks.bricks.base.Brick.initialize` check before they run.
:mod:`blocks.bricks.base` re-exports these names. (The module is not
named ``lazy`` because ``blocks.bricks.lazy`` is the decorator.)

"""
import functools
import inspect


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


class MultipleValuesError(TypeError, ValueError):
    """An argument of a lazy constructor was given twice.

    Python raises a :class:`TypeError` for this; Blocks raised a
    :class:`ValueError` (its ``dict_union`` found the duplicate). This is
    both, so code written for either catches it.

    """


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
    >>> from blocks.bricks.base import Brick
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
                raise MultipleValuesError(
                    "{}() got multiple values for argument "
                    "{}".format(init.__qualname__, sorted(duplicated)[0]))
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
