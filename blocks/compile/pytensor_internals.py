"""Every private PyTensor API the compile backend uses, in one place.

PyTensor promises nothing about the objects below (they are not in its
documented API), and the compile backend leans on each of them. They are
gathered here so that an update of PyTensor breaks in one module, and so
that a version nobody checked makes Blocks fall back to PyTensor's own
path instead of failing somewhere deep.

Checked against PyTensor **3.0.7** (the pinned set of ``req.txt``, Python
3.11) and **3.3.8** (what pip resolves on Python 3.13), the versions
:data:`CHECKED_VERSIONS` lists. On any other version,
:func:`fast_path_available` warns once and returns ``False``: the C VM then
links exactly as PyTensor's own (no parallel compilation, no Python or
NumPy thunks), which is slower to compile but relies on nothing below.
Set ``BLOCKS_TRUST_PYTENSOR=1`` to use the fast path on an unchecked
version anyway (and please report what happens).

What is used, and by whom:

* ``config._config_var_dict`` and ``config.fetch_val_for_key``:
  :func:`user_configured` (whether the user set ``mode``, ``linker`` or
  ``blas__ldflags``);
* ``optdb`` and its ``'specialize'`` database: :func:`register_rewrite`
  (the ``blocks_cvm`` inlining rewrite);
* ``inline_ofg_node`` (defined in ``pytensor.compile.rewriting`` from 3.3
  on, in ``pytensor.tensor.rewriting.ofg`` before) and ``TensorSymbolicOp``:
  :mod:`blocks.compile.compilation` (inlining ``Softmax`` and friends);
* ``VMLinker.make_all``, ``.schedule``, ``.c_thunks``, ``.use_cloop``:
  :class:`~blocks.compile.linker.ParallelCVMLinker`;
* ``Op.make_thunk`` set on an instance: :func:`shadow_make_thunk` (one
  implementation per node);
* ``CLinker().accept(...)``, ``.cmodule_key``, ``.node_order``,
  ``Op.prepare_node``, ``.get_src_code``, ``.compile_args``,
  ``.header_dirs``, ``.lib_dirs``, ``.libraries``,
  ``.c_compiler().compile_str``, ``.get_dynamic_module().code_hash``:
  :func:`c_module_key`, :func:`c_module_source`,
  :func:`c_module_build_settings` (a node's module as PyTensor builds it);
* ``get_module_cache``, ``ModuleCache.entry_from_key``,
  ``.module_hash_to_key_data``, ``.stats``, ``.module_from_key(key, lnk)``
  with a stand-in linker (it asks ``lnk.get_src_code()`` and
  ``lnk.compile_cmodule(location)``), ``get_module_hash``, ``dlimport``,
  ``std_include_dirs``: :func:`module_known`, :func:`file_module`,
  :func:`compiled_module_count` (:mod:`blocks.compile.c_modules`);
* ``Composite.fgraph`` and ``nfunc_spec``: :func:`scalar_graph_nodes`,
  :func:`scalar_graph_inputs_outputs`, :func:`numpy_spec` (the NumPy
  thunks);
* ``ShapeFeature.shape_of`` (before 3.3) or ``.shape_tuple`` (from 3.3 on):
  :func:`shape_feature_of`, :func:`inferred_shape` (the bounds of
  ``arange`` in the JAX mode);
* ``jax_typify`` and a PCG64 generator's state as the JAX backend keeps it
  (``state['jax_state']``, the two 32-bit words of the low 64 bits):
  :func:`jax_typify`, :data:`JAX_STATE_KEY`
  (:mod:`blocks.compile.jax_support`);
* an attribute set on a ``Scan`` op instance, which the op keeps through
  graph cloning and pickles with its ``__dict__``: :func:`record_step_graph`,
  :func:`recorded_step_graph` (the annotated step of a recurrent brick, for
  :class:`~blocks.graph.ComputationGraph`; from 3.3 on the op's own inner
  graph is a frozen copy without names and tags).

Importing this module compiles nothing and reads no PyTensor option.

"""
import functools
import os
import warnings

import pytensor

#: The PyTensor versions every function here was checked against.
CHECKED_VERSIONS = ('3.0.7', '3.3.8')

#: The environment variable that enables the fast path on any version.
TRUST_VARIABLE = 'BLOCKS_TRUST_PYTENSOR'


class FastPathWarning(RuntimeWarning):
    """Blocks' fast compile path is off or failed; PyTensor's own path is used."""


_warned = set()


def warn_once(what, error=None):
    """Warn, once per process and `what`, that the fast path fell back.

    Parameters
    ----------
    what : str
        What failed, as the start of a sentence ("parallel compilation of
        the C modules failed").
    error : Exception, optional
        The error, named in the message.

    """
    if what in _warned:
        return
    _warned.add(what)
    message = what
    if error is not None:
        message += ' ({}: {})'.format(type(error).__name__, error)
    warnings.warn(message + "; using PyTensor's own path instead (slower "
                  "to compile, same results)", FastPathWarning, stacklevel=3)


# --- Imports that may move between versions ---------------------------------

_missing = []


def _import(module, name):
    """``from module import name``, or ``None`` (recorded) when missing."""
    try:
        return getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError):
        _missing.append('{}.{}'.format(module, name))
        return None


def _first(*places):
    """The first of several ``(module, name)`` places that imports."""
    for module, name in places:
        try:
            return getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue
    _missing.append(' or '.join('{}.{}'.format(*place) for place in places))
    return None


optdb = _import('pytensor.compile', 'optdb')
TensorSymbolicOp = _import('pytensor.tensor.symbolic', 'TensorSymbolicOp')
# Defined in pytensor.compile.rewriting from 3.3 on (which the old module
# imports), in pytensor.tensor.rewriting.ofg before.
inline_ofg_node = _first(('pytensor.compile.rewriting', 'inline_ofg_node'),
                         ('pytensor.tensor.rewriting.ofg', 'inline_ofg_node'))
get_module_cache = _import('pytensor.link.c.basic', 'get_module_cache')
get_module_hash = _import('pytensor.link.c.cmodule', 'get_module_hash')
dlimport = _import('pytensor.link.c.cmodule', 'dlimport')
std_include_dirs = _import('pytensor.link.c.cmodule', 'std_include_dirs')


def pytensor_version():
    """The installed PyTensor's version string."""
    return pytensor.__version__


def scan_inherits_outer_mode():
    """Whether a scan's inner graph compiles in its outer function's mode.

    From PyTensor 3.3 on it does, and scan's ``mode`` argument is
    deprecated; before, the inner graph compiled in the mode given to
    ``scan`` (PyTensor's C VM by default).

    """
    release = pytensor_version().split('+')[0].split('.')[:2]
    return tuple(int(part) for part in release) >= (3, 3)


def version_checked(version=None):
    """Whether `version` (by default the installed one) was checked.

    Examples
    --------
    >>> version_checked('3.0.7'), version_checked('9.0.0')
    (True, False)

    """
    version = pytensor_version() if version is None else version
    return version.split('+')[0] in CHECKED_VERSIONS


def fast_path_available():
    """Whether the fast path may use the private APIs of this module.

    ``False``, with a warning the first time, when the installed PyTensor
    is not one of :data:`CHECKED_VERSIONS` (unless ``BLOCKS_TRUST_PYTENSOR``
    is set) or one of the imports above failed.

    """
    if _missing:
        warn_once("Blocks' compile fast path needs PyTensor internals that "
                  "PyTensor {} lacks: {}".format(
                      pytensor_version(), ', '.join(_missing)))
        return False
    if version_checked() or os.environ.get(TRUST_VARIABLE):
        return True
    warn_once("Blocks' compile fast path was checked with PyTensor {}, not "
              "{} (set {}=1 to use it anyway)".format(
                  ' and '.join(CHECKED_VERSIONS), pytensor_version(),
                  TRUST_VARIABLE))
    return False


# --- Configuration ------------------------------------------------------------

def user_configured(name):
    """Whether the user set PyTensor's option `name` (flags or .pytensorrc).

    An option whose value was never read still holds no value, so the
    flags and the configuration file are asked directly.

    """
    parameter = pytensor.config._config_var_dict.get(name)
    if parameter is not None and hasattr(parameter, 'val'):
        return not parameter.is_default
    try:
        pytensor.config.fetch_val_for_key(name)
    except KeyError:
        return False
    return True


# --- Rewrites -------------------------------------------------------------------

def register_rewrite(database, name, rewrite, *tags):
    """Register `rewrite` in ``optdb[database]`` under `name`, once.

    Registering again (a module reloaded) changes nothing; PyTensor itself
    refuses a name twice.

    """
    target = optdb[database]
    if name not in target.__db__:
        target.register(name, rewrite, *tags)


# --- Linking with the VM --------------------------------------------------------

def shadow_make_thunk(op, make_thunk):
    """Make `op` (this instance only) use `make_thunk` to make its thunks.

    PyTensor's VM calls ``node.op.make_thunk(node, storage_map,
    compute_map, no_recycling, impl=...)`` for each node, so an instance
    attribute takes precedence over the class's method.

    """
    op.__dict__['make_thunk'] = make_thunk


def unshadow_make_thunk(op):
    """Undo :func:`shadow_make_thunk`."""
    op.__dict__.pop('make_thunk', None)


def class_make_thunk(op, node, storage_map, compute_map, no_recycling,
                     impl=None):
    """The thunk `op`'s class would make (``impl='py'`` for Python)."""
    return type(op).make_thunk(op, node, storage_map, compute_map,
                               no_recycling, impl=impl)


def output_containers(function):
    """The containers of a compiled function's outputs, or ``None``.

    ``Function.output_storage`` (checked on 3.0.7 and 3.3.8): one container
    per output, whose ``storage[0]`` the VM hands to the node computing the
    output as the array to reuse; a C implementation writes into it when it
    has the right shape, dtype and layout. Data-parallel training puts
    views of its reduction buffer there, so that the gradients are computed
    in place (:mod:`blocks.distributed.algorithms`), and checks by identity
    whether they were.
    """
    return getattr(function, 'output_storage', None)


# --- PyTensor's C module cache ---------------------------------------------------

def c_module_key(node):
    """``(linker, key)``: the C linker of `node` alone and its module's key.

    Raises what PyTensor raises for a node without C code (see
    :func:`no_c_code_errors`).

    """
    from pytensor.graph.fg import FunctionGraph
    from pytensor.link.c.basic import CLinker
    linker = CLinker().accept(FunctionGraph(node.inputs, node.outputs))
    return linker, linker.cmodule_key()


def c_module_source(linker):
    """The source of the module of a linker from :func:`c_module_key`."""
    # As CLinker.cthunk_factory does between the key and the code.
    for linker_node in linker.node_order:
        linker_node.op.prepare_node(linker_node, None, None, 'c')
    return linker.get_src_code()


def is_c_op(op):
    """Whether `op` has C code for PyTensor's C linker."""
    from pytensor.link.c.op import COp
    return isinstance(op, COp)


def no_c_code_errors():
    """The exceptions by which PyTensor says a node has no C code."""
    from pytensor.graph.utils import MethodNotDefined
    return (MethodNotDefined, NotImplementedError)


def compile_errors():
    """The exceptions of a C compilation that failed."""
    from pytensor.link.c.exceptions import CompileError
    return (CompileError,)


def c_module_build_settings(linker):
    """What ``g++`` needs for a linker's module: flags, directories, libraries."""
    return {'flags': linker.compile_args(),
            'include_dirs': linker.header_dirs(),
            'all_include_dirs': linker.header_dirs() + std_include_dirs(),
            'lib_dirs': linker.lib_dirs(), 'libs': linker.libraries(),
            'compiler': linker.c_compiler(),
            'module_name': linker.get_dynamic_module().code_hash}


def module_known(cache, key=None, module_hash=None):
    """Whether PyTensor's module cache holds the module of `key` or hash."""
    if key is not None and key in cache.entry_from_key:
        return True
    return (module_hash is not None
            and module_hash in cache.module_hash_to_key_data)


def compiled_module_count(cache):
    """How many modules the cache compiled (or was handed) in this process."""
    return cache.stats[2]


def file_module(cache, key, stand_in):
    """Have `cache` file a module built elsewhere, as if it compiled it.

    ``ModuleCache.module_from_key(key, lnk)`` asks its linker for
    ``get_src_code()`` and, when the module is new, for
    ``compile_cmodule(location)``, which must put the module's files into
    `location` and return the loaded module: `stand_in` answers both.

    """
    return cache.module_from_key(key=key, lnk=stand_in)


# --- Elementwise operations -----------------------------------------------------

def scalar_graph_nodes(composite):
    """The scalar nodes of a fused ``Composite`` op, in order."""
    return composite.fgraph.toposort()


def scalar_graph_inputs_outputs(composite):
    """The scalar inputs and outputs of a fused ``Composite`` op."""
    return composite.fgraph.inputs, composite.fgraph.outputs


def numpy_spec(scalar_op):
    """``(name, number of inputs, number of outputs)`` of `scalar_op`'s
    NumPy function, or ``None``."""
    return getattr(scalar_op, 'nfunc_spec', None)


# --- Shape inference --------------------------------------------------------------

def infer_shape_method(function):
    """Make ``function(self, node, input_shapes)`` an ``Op.infer_shape``.

    PyTensor 3.0 calls ``op.infer_shape(fgraph, node, input_shapes)``; 3.3
    calls ``op.infer_shape(node, input_shapes)`` and warns about methods
    that still take ``fgraph``. The method returned accepts both calls, and
    its signature (through ``__wrapped__``) has no ``fgraph``.

    """
    @functools.wraps(function)
    def infer_shape(self, *arguments):
        node, input_shapes = arguments[-2:]
        return function(self, node, input_shapes)
    return infer_shape


def shape_feature_of(fgraph):
    """``(feature, attached)``: the graph's ``ShapeFeature``, attaching one
    (``attached`` is then ``True``: remove it with ``fgraph.remove_feature``)
    when it has none."""
    from pytensor.tensor.rewriting.shape import ShapeFeature
    feature = getattr(fgraph, 'shape_feature', None)
    if feature is not None:
        return feature, False
    feature = ShapeFeature()
    fgraph.attach_feature(feature)
    return feature, True


def inferred_shape(shape_feature, variable):
    """The shape PyTensor infers for `variable` (a tuple of scalar
    variables), or ``None``: ``shape_tuple`` from 3.3 on, the ``shape_of``
    dictionary before."""
    if 'shape_of' in vars(shape_feature):  # a dictionary before 3.3
        return shape_feature.shape_of.get(variable)
    if not hasattr(variable.type, 'ndim'):
        return None
    return shape_feature.shape_tuple(variable)


# --- JAX ------------------------------------------------------------------------

#: Where the JAX backend keeps a generator's key in its state dictionary.
JAX_STATE_KEY = 'jax_state'


def jax_typify(value):
    """A value as PyTensor's JAX backend stores it (a generator: a key)."""
    from pytensor.link.jax.dispatch import jax_typify as typify
    return typify(value)


# --- Scan -------------------------------------------------------------------------

#: The attribute of a ``Scan`` op that holds the step graph Blocks built.
STEP_GRAPH_ATTRIBUTE = '_blocks_step_graph'


def record_step_graph(scan_op, outputs, outer_inputs):
    """Keep, with `scan_op`, the graph of its step as the step built it.

    The Scan op keeps its own copy of the step (``scan_op.inner_outputs``):
    PyTensor 3.0 clones the step with its tags, but from 3.3 on the copy is a
    frozen graph (``FunctionGraph.freeze``) whose variables have no names and
    no tags, and are shared by all structurally equal graphs. The variables
    recorded here are the step's own, annotations included; the op holds
    them in its ``__dict__``, so they follow it through ``clone_replace``
    (which reuses the op) and pickling.

    Parameters
    ----------
    scan_op : :class:`~pytensor.scan.op.Scan`
        The op of the node that :func:`pytensor.scan` built.
    outputs : list of :class:`~pytensor.graph.basic.Variable`
        The outputs the step returned to :func:`pytensor.scan`.
    outer_inputs : list of :class:`~pytensor.graph.basic.Variable`
        The inputs of the Scan node: the step's graph stops at those of
        them it uses (shared variables and other outer variables that the
        step reads).

    """
    scan_op.__dict__[STEP_GRAPH_ATTRIBUTE] = (tuple(outputs),
                                              tuple(outer_inputs))


def recorded_step_graph(scan_op):
    """``(outputs, outer_inputs)`` from :func:`record_step_graph`, or ``None``."""
    return getattr(scan_op, '__dict__', {}).get(STEP_GRAPH_ATTRIBUTE)
