"""The picklers behind :mod:`blocks.serialization`.

Three jobs, all inside the standard library's C pickler:

* parameter values are pickled by reference (a persistent id naming the
  array in the checkpoint's ``_parameters`` member), so the pickle holds no
  copy of them and the arrays stay readable without unpickling;
* ``jax.Array`` values are pickled as NumPy arrays (a checkpoint loads
  without JAX) and objects defined in ``__main__`` are reported;
* deep graphs pickle without deep recursion. A PyTensor graph nests once per
  operation (a variable holds its ``owner``, which holds its ``inputs``...),
  so a chain of 3,000 additions nests some 15,000 objects. Raising the
  recursion limit and running in a thread with a large stack used to be
  enough, but from Python 3.12 on the C pickler's nesting is bounded by a
  fixed C recursion limit (about 1,500 levels on 3.12, 10,000 on 3.13) that
  neither ``sys.setrecursionlimit`` nor the thread's stack raises, and the
  pure-Python pickler goes through the same limit (``save_reduce`` is called
  with ``*args``). So the pickler flattens graphs instead: the first time it
  meets a variable (or an application node) whose ancestors it has not
  scheduled yet, it pickles the list of those ancestors' application nodes
  in topological order first (:func:`_graph_node`), so that each node finds
  its inputs already in the pickle's memo. The nesting then stays a few
  levels per graph whatever its depth; the unpickler, a stack machine, never
  recursed.

"""
import io
import pickle
import threading
import types
import warnings

import numpy
from pytensor.graph.basic import Apply, Variable

from blocks.compile.jax_support import is_jax_array
from blocks.config import config
from blocks.utils import change_recursion_limit

MAIN_MODULE_WARNING = (
    "{kind} {name} is defined in __main__, so the pickle refers to it as "
    "__main__.{name}: it can only be loaded by a script that defines {name} "
    "itself; move it into a module that can be imported")

UNPICKLABLE = (
    "{object_} cannot be pickled, so it cannot be checkpointed: {error}. "
    "Everything a main loop holds must pickle: use module-level functions "
    "(not lambdas or nested functions), picklable_itertools objects (not "
    "generators or itertools objects), and no open files or bound methods "
    "stored as attributes")

#: The stack of the thread that (un)pickles: nested objects other than
#: graphs (long chains of bricks, lists of lists) still take several frames
#: of the pickler each.
DEEP_STACK_SIZE = 512 * 2 ** 20
#: The recursion limit in that thread (at least ``config.recursion_limit``).
DEEP_RECURSION_LIMIT = 10 ** 6

_STACK_LOCK = threading.Lock()


def is_array(value):
    """Whether `value` is a NumPy array or a JAX array."""
    return type(value) is numpy.ndarray or is_jax_array(value)


def _graph_node(ancestors, obj):
    """Return `obj`; its ancestors were unpickled first, as the argument.

    The reduction of a variable (or application node) whose graph is
    flattened: ``(_graph_node, (ancestors, obj))``. Pickles refer to this
    function by name, so it never moves.

    >>> _graph_node([], 'x')
    'x'

    """
    return obj


def _unscheduled_ancestors(node, scheduled):
    """The application nodes `node` depends on, ancestors first.

    Iterative (a graph may be deeper than the recursion limit); stops at the
    nodes in `scheduled` (a dict of id to node, kept alive), and adds the
    nodes it returns to it.

    """
    order = []
    stack = [(node, False)]
    while stack:
        current, expanded = stack.pop()
        if expanded:
            order.append(current)
            continue
        if id(current) in scheduled:
            continue
        scheduled[id(current)] = current
        stack.append((current, True))
        for input_ in current.inputs:
            owner = input_.owner
            if owner is not None and id(owner) not in scheduled:
                stack.append((owner, False))
    return order


class PersistentPickler(pickle.Pickler):
    """Pickles the values of the given parameters by reference.

    Any other ``jax.Array`` (the value of a shared variable after a call in
    the JAX mode) is pickled as a NumPy array, so that the checkpoint
    loads in every mode, and without JAX. Functions and classes defined in
    ``__main__`` are pickled with a warning. Graphs are flattened (see the
    module's docstring).

    Parameters
    ----------
    file_ : file
        Where the pickle goes.
    external_objects : dict
        Maps the ``id`` of an array to the name it has in the checkpoint's
        ``_parameters`` member.
    protocol : int
        The pickle protocol.

    """
    def __init__(self, file_, external_objects, protocol):
        super().__init__(file_, protocol=protocol)
        self.external_objects = external_objects
        self.protocol = protocol
        self.warned = set()
        self.scheduled = {}

    def persistent_id(self, obj):
        # Called for every object: one dict look-up. The arrays it names are
        # alive (held by their shared variables), so their ids are theirs.
        return self.external_objects.get(id(obj))

    def reducer_override(self, obj):
        if isinstance(obj, (Variable, Apply)):
            node = obj.owner if isinstance(obj, Variable) else obj
            if node is None or id(node) in self.scheduled:
                return NotImplemented
            # The ancestors pickle first, each finding its inputs in the
            # memo; `obj` itself is pickled (and memoized) inside them.
            return _graph_node, (_unscheduled_ancestors(node, self.scheduled),
                                 obj)
        if is_jax_array(obj):
            # A writable copy, so that the unpickled array is writable.
            return numpy.array(obj).__reduce_ex__(self.protocol)
        if (isinstance(obj, (type, types.FunctionType)) and
                getattr(obj, '__module__', None) == '__main__' and
                obj not in self.warned):
            # Another process (blocks-continue) cannot find it
            self.warned.add(obj)
            warnings.warn(MAIN_MODULE_WARNING.format(
                kind='class' if isinstance(obj, type) else 'function',
                name=obj.__qualname__))
        return NotImplemented


class PersistentUnpickler(pickle.Unpickler):
    """Unpickles what :class:`PersistentPickler` wrote.

    Parameters
    ----------
    file_ : file
        The pickle.
    parameters : dict
        The arrays of the checkpoint's ``_parameters`` member, by name.

    """
    def __init__(self, file_, parameters):
        super().__init__(file_)
        self.parameters = parameters

    def persistent_load(self, pid):
        try:
            return self.parameters[pid]
        except KeyError:
            raise pickle.UnpicklingError(
                "the pickle refers to the parameter {!r}, which is missing "
                "from the archive's _parameters".format(pid)) from None


def run_with_deep_stack(function, *args):
    """Run ``function(*args)`` in a thread with a large stack and recursion limit.

    Pickling recurses once per nested object, so the default recursion
    limit (and the main thread's stack) can be too small for long chains of
    objects. The calling thread waits; exceptions propagate.

    >>> run_with_deep_stack(sum, [1, 2])
    3

    """
    outcome = {}

    def target():
        try:
            outcome['value'] = function(*args)
        except BaseException as error:  # re-raised in the calling thread
            outcome['error'] = error

    limit = max(config.recursion_limit, DEEP_RECURSION_LIMIT)
    with _STACK_LOCK, change_recursion_limit(limit):
        previous = threading.stack_size(DEEP_STACK_SIZE)
        try:
            thread = threading.Thread(target=target, name='blocks-pickle')
            thread.start()
        finally:
            threading.stack_size(previous)
        thread.join()
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']


def pickle_bytes(object_, protocol, external_objects=None):
    """Pickle `object_` with :class:`PersistentPickler`; return the bytes.

    Raises
    ------
    pickle.PicklingError
        When something in `object_` cannot be pickled, with a message that
        teaches the fix (:data:`UNPICKLABLE`).

    """
    buffer = io.BytesIO()
    pickler = PersistentPickler(buffer, external_objects or {}, protocol)
    try:
        run_with_deep_stack(pickler.dump, object_)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise pickle.PicklingError(UNPICKLABLE.format(
            object_=type(object_).__name__, error=error)) from error
    return buffer.getvalue()


def unpickle_bytes(data, parameters):
    """Unpickle what :func:`pickle_bytes` wrote, given the parameters by name."""
    return run_with_deep_stack(
        PersistentUnpickler(io.BytesIO(data), parameters).load)
