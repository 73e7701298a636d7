"""Compiling Blocks functions in PyTensor's JAX mode.

:func:`~blocks.utils.compile_function` hands every function whose mode has
a :class:`~pytensor.link.jax.linker.JAXLinker` (``mode='JAX'``) to
:func:`compile_jax_function`, which works around what PyTensor 3.0.7's JAX
backend cannot do by itself:

* **Missing JAX.** Compiling in the JAX mode without the ``jax`` package
  raises an :class:`ImportError` that says how to install it.
* **Shape checks.** PyTensor guards broadcasting against sizes that are
  not known statically with ``Assert`` nodes, which the JAX backend drops
  anyway; left in the graph, they hide the shapes that ``arange``,
  ``reshape`` and ``alloc`` must see as array shapes. The JAX mode of
  Blocks removes them before compiling (PyTensor's ``unsafe`` rewrite).
* **arange.** ``arange(0, n)`` over a batch of 128 rows or more overflows
  in PyTensor 3.0.7's JAX code (its constant start is an ``int8``). The
  constants of ``arange`` are cast to its output type first. And the
  backend compiles ``arange`` only when its bounds are constants or array
  sizes, while shape rewrites turn ``arange(y.flatten().shape[0])`` (the
  rows of a cost's ``y_hat[arange(n), y]``) into a product of sizes: such a
  bound is given back as the size of the flattened array.
* **Random streams.** The JAX backend compiles a *copy* of each random
  generator (a shared variable of
  :class:`~pytensor.tensor.random.type.RandomType`): within one compiled
  function the draws advance from call to call, but the shared variable
  itself never changes, so that every new compilation (a resumed
  checkpoint, another function on the same stream) would replay the same
  draws. :class:`JAXFunction` writes the state of the copy back into the
  shared variable, as a NumPy generator, after every call, and loads the
  shared variable's state into the copy before a call when something else
  (another function, :meth:`~blocks.random_streams.RandomStream.seed`,
  ``set_value``) changed it. Random streams thus behave as in the other
  modes: two functions drawing from one stream continue each other's
  draws, and a checkpoint holds the state reached, so that training
  resumed in the JAX mode draws exactly what it would have drawn without
  the interruption.

After a call in the JAX mode, shared variables hold ``jax.Array`` values
(on the GPU when JAX runs there), which the other backends reject. Blocks
converts them to NumPy arrays where it reads them (:func:`as_numpy`,
:func:`shared_value`); checkpoints store NumPy arrays, so that they load in
every mode.

"""
import sys

import numpy

__all__ = ['INSTALL_HINT', 'require_jax', 'is_jax_mode', 'jax_mode',
           'compile_jax_function', 'JAXFunction', 'is_jax_array', 'as_numpy',
           'shared_value']

INSTALL_HINT = ("install JAX with `pip install jax` (CPU), `pip install "
                "'jax[cuda12]'` (NVIDIA GPU), or Blocks with its JAX extra, "
                "`pip install -e '.[jax]'`")

_COPY_WARNING = ("The RandomType SharedVariables .* will not be used in the "
                 "compiled JAX graph")
_LOW_64_BITS = (1 << 64) - 1


def require_jax():
    """Import and return the ``jax`` module, or explain how to install it.

    Raises
    ------
    ImportError
        If JAX is not installed, with the command that installs it.

    Examples
    --------
    >>> try:
    ...     jax = require_jax()
    ... except ImportError as error:
    ...     print('pip install jax' in str(error))
    ... else:
    ...     print(hasattr(jax, 'jit'))
    True

    """
    try:
        import jax
    except ImportError as error:
        raise ImportError(
            "the JAX compile mode needs the jax package, which cannot be "
            "imported ({}); {}".format(error, INSTALL_HINT)) from error
    return jax


def is_jax_mode(mode):
    """Whether a PyTensor mode (a name or a Mode) compiles with JAX.

    Examples
    --------
    >>> is_jax_mode('JAX'), is_jax_mode('FAST_COMPILE')
    (True, False)

    """
    from pytensor.compile.mode import get_mode
    from pytensor.link.jax.linker import JAXLinker
    try:
        linker = get_mode(mode).linker
    except Exception:
        return False
    return isinstance(linker, JAXLinker)


def _arange_with_typed_constants():
    """A rewrite that gives the constants of ``arange`` its output dtype."""
    from pytensor.graph.rewriting.basic import in2out, node_rewriter
    from pytensor.graph.basic import Constant
    from pytensor.tensor import constant
    from pytensor.tensor.basic import ARange

    @node_rewriter([ARange])
    def local_arange_typed_constants(fgraph, node):
        dtype = node.op.dtype
        if not any(isinstance(input_, Constant) and input_.dtype != dtype
                   for input_ in node.inputs):
            return None
        inputs = [constant(numpy.asarray(input_.data, dtype=dtype))
                  if isinstance(input_, Constant) else input_
                  for input_ in node.inputs]
        new_output = node.op(*inputs)
        if new_output.type != node.outputs[0].type:
            return None
        return [new_output]

    return in2out(local_arange_typed_constants,
                  name='blocks_jax_arange_typed_constants')


def _arange_with_static_bounds():
    """A rewrite that gives ``arange`` bounds JAX can see as static sizes.

    PyTensor's JAX backend compiles ``arange`` only when each bound is a
    constant or an array's ``Shape_i``; shape rewrites turn the length of a
    flattened vector into a product of sizes (``arange(y.flatten().shape[0])``
    becomes ``arange(y.shape[0] * y.shape[1])``), which it refuses. Such a
    bound is replaced by the size of a variable of the graph that has it as
    its shape (the flattened vector), found with PyTensor's shape inference.

    """
    from pytensor.graph.basic import Constant, equal_computations
    from pytensor.graph.rewriting.basic import GraphRewriter
    from pytensor.graph.traversal import ancestors
    from pytensor.tensor.basic import ARange
    from pytensor.tensor.shape import Shape_i

    from blocks.compile import pytensor_internals as internals

    def static(bound):
        return isinstance(bound, Constant) or (
            bound.owner is not None and isinstance(bound.owner.op, Shape_i))

    def size_for(bound, node, fgraph, shape_feature):
        for variable in fgraph.variables:
            shape = internals.inferred_shape(shape_feature, variable) or ()
            for axis, size in enumerate(shape):
                if (equal_computations([bound], [size]) and
                        node.outputs[0] not in ancestors([variable])):
                    return Shape_i(axis)(variable)
        return bound

    class ArangeWithStaticBounds(GraphRewriter):
        def apply(self, fgraph):
            nodes = [node for node in fgraph.toposort()
                     if isinstance(node.op, ARange) and
                     not all(map(static, node.inputs))]
            if not nodes:
                return
            shape_feature, attached = internals.shape_feature_of(fgraph)
            try:
                for node in nodes:
                    bounds = [bound if static(bound) else
                              size_for(bound, node, fgraph, shape_feature)
                              for bound in node.inputs]
                    if bounds != node.inputs:
                        fgraph.replace(node.outputs[0], node.op(*bounds),
                                       reason='blocks_jax_arange_static_bounds')
            finally:
                if attached:
                    fgraph.remove_feature(shape_feature)

    return ArangeWithStaticBounds()


def jax_mode(mode='JAX'):
    """The mode Blocks compiles a JAX function with.

    It is `mode` plus PyTensor's ``unsafe`` rewrite (which removes the
    ``Assert`` nodes that the JAX backend would skip anyway) and two
    rewrites of ``arange``: one gives its bounds as sizes of arrays, one
    types its constants.

    Parameters
    ----------
    mode : str or :class:`~pytensor.compile.mode.Mode`
        A mode with a JAX linker.

    Examples
    --------
    >>> type(jax_mode('JAX').linker).__name__
    'JAXLinker'

    """
    from pytensor.compile.mode import get_mode
    mode = get_mode(mode)
    try:
        mode = mode.including('unsafe')
        return mode.register((_arange_with_static_bounds(), 98.9),
                             (_arange_with_typed_constants(), 99))
    except AttributeError:
        # A mode built on a graph rewriter rather than a database query
        # cannot be extended; it is used as it is.
        return mode


def is_jax_array(value):
    """Whether `value` is a ``jax.Array`` (never imports JAX).

    Examples
    --------
    >>> is_jax_array(numpy.zeros(2))
    False

    """
    jax = sys.modules.get('jax')
    return jax is not None and isinstance(value, getattr(jax, 'Array', ()))


def as_numpy(value):
    """`value` as a NumPy array when it is a ``jax.Array``, else unchanged.

    The array comes back to the host; it may be read-only.

    Examples
    --------
    >>> as_numpy([1, 2])
    [1, 2]

    """
    if is_jax_array(value):
        return numpy.asarray(value)
    return value


def shared_value(variable, borrow=False):
    """The value of a shared variable, as a NumPy array after JAX calls too.

    Parameters
    ----------
    variable : :class:`~pytensor.compile.SharedVariable`
    borrow : bool
        If False (default), the result is a copy that the caller may
        change; if True, it may be the internal value or a read-only view
        of it.

    Examples
    --------
    >>> import pytensor
    >>> shared_value(pytensor.shared(numpy.ones(2))).tolist()
    [1.0, 1.0]

    """
    value = variable.get_value(borrow=True)
    if is_jax_array(value):
        return numpy.asarray(value) if borrow else numpy.array(value)
    return value if borrow else variable.get_value()


def _is_random_state(variable):
    from pytensor.compile import SharedVariable
    from pytensor.tensor.random.type import RandomType
    return (isinstance(variable, SharedVariable) and
            isinstance(variable.type, RandomType))


def _generator_from_jax_state(state, previous):
    """A NumPy generator that PyTensor's JAX backend reads back as `state`.

    PyTensor turns a PCG64 :class:`numpy.random.Generator` into a JAX key
    made of the low 64 bits of its 128-bit state (two 32-bit words, the
    least significant first). The generator returned has those 64 bits
    set to the key of `state` and keeps the rest of `previous`, so that
    the conversion gives back exactly the key reached, and a NumPy backend
    continues with a valid generator.

    """
    from blocks.compile.pytensor_internals import JAX_STATE_KEY
    key = numpy.asarray(state[JAX_STATE_KEY]).astype(numpy.uint64)
    low = int(key[0]) | (int(key[1]) << 32)
    bit_state = previous.bit_generator.state
    bit_state['state']['state'] = (
        (bit_state['state']['state'] & ~_LOW_64_BITS) | low)
    bit_state['has_uint32'] = 0
    bit_state['uinteger'] = 0
    bit_generator = numpy.random.PCG64()
    bit_generator.state = bit_state
    return numpy.random.Generator(bit_generator)


class JAXFunction:
    """A JAX-mode function that keeps its generators in their shared variables.

    Behaves as the compiled PyTensor function it wraps (calls and
    attributes are passed on), and keeps the shared random generators of
    the graph in step with the copies the JAX backend compiles (see the
    module's documentation).

    :func:`compile_jax_function` returns one for a graph that draws
    random numbers (see its example).

    Parameters
    ----------
    function : :class:`~pytensor.compile.function.types.Function`
        A function compiled in the JAX mode.
    random_states : list of (shared variable, container) pairs
        Each shared random generator with a ``default_update`` or an
        update, and the function's container holding its compiled copy.

    """
    def __init__(self, function, random_states):
        self.function = function
        self.random_states = random_states
        self._written = [shared.container.storage[0]
                         for shared, _ in random_states]

    def __call__(self, *args, **kwargs):
        from blocks.compile.pytensor_internals import jax_typify
        for index, (shared, container) in enumerate(self.random_states):
            value = shared.container.storage[0]
            if value is not self._written[index]:
                container.storage[0] = jax_typify(value)
                self._written[index] = value
        outputs = self.function(*args, **kwargs)
        for index, (shared, container) in enumerate(self.random_states):
            generator = _generator_from_jax_state(
                container.storage[0], shared.container.storage[0])
            shared.container.storage[0] = generator
            self._written[index] = generator
        return outputs

    def __getattr__(self, name):
        if name == 'function':
            raise AttributeError(name)
        return getattr(self.function, name)


def _random_state_containers(function):
    """The updated shared generators of `function` and their containers."""
    pairs = []
    for input_, container in zip(function.maker.inputs,
                                 function.input_storage):
        variable = input_.variable
        if not _is_random_state(variable) or input_.update is None:
            continue
        generator = variable.container.storage[0]
        if generator.bit_generator.state['bit_generator'] != 'PCG64':
            # PyTensor's JAX backend converts PCG64 generators only.
            continue
        pairs.append((variable, container))
    return pairs


def compile_jax_function(inputs, outputs=None, mode='JAX', **kwargs):
    r"""Compile a PyTensor function in a JAX mode.

    Parameters
    ----------
    inputs, outputs, \*\*kwargs
        As for :func:`pytensor.function`.
    mode : str or :class:`~pytensor.compile.mode.Mode`
        A mode with a JAX linker; see :func:`jax_mode` for what is added.

    Returns
    -------
    :class:`~pytensor.compile.function.types.Function` or :class:`JAXFunction`
        The compiled function; wrapped in a :class:`JAXFunction` when
        its graph draws random numbers from shared generators.

    Raises
    ------
    ImportError
        If JAX is not installed.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.graph import ComputationGraph, apply_dropout
    >>> x = tensor.vector('x')
    >>> dropped = apply_dropout(ComputationGraph([x]), [x], 0.5).outputs[0]
    >>> try:
    ...     f = compile_jax_function([x], [2 * x, dropped])
    ... except ImportError:  # JAX is not installed
    ...     print([2.0, 4.0], 'JAXFunction')
    ... else:
    ...     doubled, _ = f([1., 2.])
    ...     print(numpy.asarray(doubled).tolist(), type(f).__name__)
    [2.0, 4.0] JAXFunction

    """
    import warnings

    import pytensor
    require_jax()
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=_COPY_WARNING,
                                category=UserWarning)
        function = pytensor.function(inputs, outputs, mode=jax_mode(mode),
                                     **kwargs)
    random_states = _random_state_containers(function)
    if random_states:
        return JAXFunction(function, random_states)
    return function
