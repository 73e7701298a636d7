"""Blocks native serialization: tar archives of a pickle and its parameters.

The ability to save models and their training progress is important for
two reasons:

1. Neural nets can take days or even weeks to train. If training is
   interrupted during this time, it is important that we can continue from
   where we left off.
2. We need the ability to save models in order to share them with others
   or save them for later use or inspection.

These two goals come with differing requirements, which is why Blocks
implements a custom serialization approach that tries to meet both needs in
the :func:`dump` and :func:`load` functions.

A checkpoint is a tar archive. Its member ``_parameters`` is a NumPy
``.npz`` file holding the value of every parameter under its hierarchical
name (``/mlp/linear_0.W``, with ``/`` written ``|`` inside the npz), and
its member ``_pkl`` is the pickled object, in which the values of those
parameters are references into ``_parameters`` rather than copies. Further
members (``save_separately``, :func:`add_to_dump`) hold other pickled
objects, such as the log. The parameters can thus be read with ``tarfile``
and ``numpy`` alone, even when the pickle cannot be loaded any more:

>>> import tarfile, numpy  # doctest: +SKIP
>>> with tarfile.open('checkpoint.tar') as archive:  # doctest: +SKIP
...     parameters = numpy.load(archive.extractfile('_parameters'))

Compiled PyTensor functions are never pickled: the objects that hold them
(training algorithms, evaluators) drop them and compile them again on first
use, so that a checkpoint loads under another compile mode or on another
device.

"""
import io
import logging
import os
import pickle
import tarfile
import tempfile
import threading
import types
import warnings
from pickle import DEFAULT_PROTOCOL

import numpy

from blocks.config import config
from blocks.filter import get_parameter_path
from blocks.utils import change_recursion_limit
from blocks.compile.jax_support import is_jax_array

logger = logging.getLogger(__name__)

BRICK_DELIMITER = '|'
PARAMETERS_MEMBER = '_parameters'
PICKLE_MEMBER = '_pkl'


class CorruptCheckpointError(ValueError):
    """A checkpoint that cannot be read: truncated, corrupt or not a checkpoint."""


def _file_name(file_):
    return getattr(file_, 'name', repr(file_))


def _parameter_names(parameters):
    """Map each parameter to a unique npz key."""
    names = {}
    used = set()
    for parameter in parameters:
        name = get_parameter_path(parameter).replace('/', BRICK_DELIMITER)
        if name in used:
            index = 2
            while '{}_{}'.format(name, index) in used:
                index += 1
            warnings.warn("several parameters are named {}; saving them as "
                          "{}_2, {}_3, ...; give their bricks distinct names "
                          "to load them by name".format(name, name, name))
            name = '{}_{}'.format(name, index)
        used.add(name)
        names[parameter] = name
    return names


def _is_array(value):
    """Whether `value` is a NumPy array or a JAX array."""
    return type(value) is numpy.ndarray or is_jax_array(value)


MAIN_MODULE_WARNING = (
    "{kind} {name} is defined in __main__, so the pickle refers to it as "
    "__main__.{name}: it can only be loaded by a script that defines {name} "
    "itself; move it into a module that can be imported")


class _PersistentPickler(pickle.Pickler):
    """Pickles the values of the given parameters by reference.

    Any other ``jax.Array`` (the value of a shared variable after a call in
    the JAX mode) is pickled as a NumPy array, so that the checkpoint
    loads in every mode, and without JAX. Functions and classes defined in
    ``__main__`` are pickled with a warning.

    """
    def __init__(self, file_, external_objects, protocol):
        super().__init__(file_, protocol=protocol)
        self.external_objects = external_objects
        self.protocol = protocol
        self.warned = set()

    def persistent_id(self, obj):
        if _is_array(obj):
            return self.external_objects.get(id(obj))
        return None

    def reducer_override(self, obj):
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


class _PersistentUnpickler(pickle.Unpickler):
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


def _add_member(tar_file, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar_file.addfile(info, io.BytesIO(data))


#: The stack of the thread that (un)pickles: deep graphs (long chains of
#: operations, unrolled recurrences) nest thousands of objects, each taking
#: several frames of the pickler.
DEEP_STACK_SIZE = 512 * 2 ** 20
#: The recursion limit in that thread (at least ``config.recursion_limit``).
DEEP_RECURSION_LIMIT = 10 ** 6


def run_with_deep_stack(function, *args):
    """Run ``function(*args)`` in a thread with a large stack and recursion limit.

    Pickling a graph recurses once per object it nests, so the default
    recursion limit (and the main thread's stack) are too small for deep
    graphs. The calling thread waits; exceptions propagate.

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


_STACK_LOCK = threading.Lock()


UNPICKLABLE = (
    "{object_} cannot be pickled, so it cannot be checkpointed: {error}. "
    "Everything a main loop holds must pickle: use module-level functions "
    "(not lambdas or nested functions), picklable_itertools objects (not "
    "generators or itertools objects), and no open files or bound methods "
    "stored as attributes")


def _pickle_bytes(object_, protocol, external_objects=None):
    buffer = io.BytesIO()
    pickler = _PersistentPickler(buffer, external_objects or {}, protocol)
    try:
        run_with_deep_stack(pickler.dump, object_)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise pickle.PicklingError(UNPICKLABLE.format(
            object_=type(object_).__name__, error=error)) from error
    return buffer.getvalue()


def dump(object_, file_, parameters=None, use_cpickle=False,
         protocol=DEFAULT_PROTOCOL, **kwargs):
    r"""Pickles an object, optionally saving its parameters separately.

    Parameters
    ----------
    object_ : object
        The object to pickle. If None, only the parameters passed to the
        `parameters` argument will be saved.
    file_ : file
        The destination for saving, opened in binary write mode.
    parameters : list, optional
        Shared variables whose internal numpy arrays should be saved
        separately in the `_parameters` field of the tar file.
    use_cpickle : bool
        Kept for compatibility: the standard library's C pickler is always
        used.
    protocol : int, optional
        The pickling protocol to use. Unlike Python's built-in pickle, the
        default is set to the newest protocol Python supports by default.
    \*\*kwargs
        Keyword arguments to be passed to `pickle.Pickler`.

    Examples
    --------
    >>> import io
    >>> from blocks.bricks import MLP, Tanh
    >>> mlp = MLP([Tanh(), None], [3, 4, 2])
    >>> mlp.allocate()
    >>> parameters = [parameter for linear in mlp.linear_transformations
    ...               for parameter in linear.parameters]
    >>> file_ = io.BytesIO()
    >>> dump(mlp, file_, parameters=parameters)
    >>> _ = file_.seek(0)
    >>> sorted(load_parameters(file_))
    ['/mlp/linear_0.W', '/mlp/linear_0.b', '/mlp/linear_1.W', '/mlp/linear_1.b']

    """
    external_objects = {}
    with tarfile.TarFile(fileobj=file_, mode='w') as tar_file:
        if parameters:
            names = _parameter_names(parameters)
            arrays = {}
            for parameter, name in names.items():
                internal = parameter.container.storage[0]
                arrays[name] = numpy.asarray(internal)
                if _is_array(internal):
                    external_objects[id(internal)] = name
            buffer = io.BytesIO()
            numpy.savez(buffer, **arrays)
            _add_member(tar_file, PARAMETERS_MEMBER, buffer.getvalue())
        if object_ is not None:
            _add_member(tar_file, PICKLE_MEMBER,
                        _pickle_bytes(object_, protocol, external_objects))


def _read_parameters_member(tar_file, path):
    member = tar_file.extractfile(PARAMETERS_MEMBER)
    try:
        with numpy.load(io.BytesIO(member.read())) as npz:
            return {name: npz[name] for name in npz.files}
    except Exception as error:
        raise CorruptCheckpointError(
            "the parameters of the checkpoint {} cannot be read (the file "
            "is truncated or corrupt): {}".format(path, error)) from error


def _open_archive(file_):
    path = _file_name(file_)
    try:
        return tarfile.open(fileobj=file_, mode='r:'), path
    except tarfile.TarError as error:
        raise CorruptCheckpointError(
            "{} is not a Blocks checkpoint (a tar archive): it is truncated "
            "or corrupt ({})".format(path, error)) from error


def _members(tar_file, path):
    try:
        return tar_file.getnames()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise CorruptCheckpointError(
            "the checkpoint {} is truncated or corrupt: {}".format(
                path, error)) from error


def load(file_, name=PICKLE_MEMBER, use_cpickle=False, **kwargs):
    r"""Loads an object saved using the `dump` function.

    By default, this function loads the object saved by the `dump`
    function. If some objects have been added to the archive using the
    `add_to_dump` function, then you can load them by passing their name
    to the `name` parameter.

    Parameters
    ----------
    file_ : file
        The file that contains the object to load.
    name : str
        Name of the object to load. Default is `_pkl`, meaning that it is
        the original object which have been dumped that is loaded.
    use_cpickle : bool
        Kept for compatibility: the standard library's C unpickler is
        always used.
    \*\*kwargs
        Keyword arguments to be passed to `pickle.Unpickler`.

    Returns
    -------
        The object saved in ``file_``.

    Raises
    ------
    CorruptCheckpointError
        If the file is not a readable checkpoint, naming its path.

    """
    file_.seek(0)  # To be able to read several objects in one file
    tar_file, path = _open_archive(file_)
    with tar_file:
        names = _members(tar_file, path)
        if name not in names:
            raise ValueError("the checkpoint {} has no member {!r} (it has "
                             "{})".format(path, name, names))
        parameters = {}
        if PARAMETERS_MEMBER in names:
            parameters = _read_parameters_member(tar_file, path)
        data = tar_file.extractfile(name).read()
    try:
        return run_with_deep_stack(
            _PersistentUnpickler(io.BytesIO(data), parameters).load)
    except Exception as error:
        raise CorruptCheckpointError(
            "the object {!r} of the checkpoint {} cannot be unpickled ({}: "
            "{}); its parameters may still be read with "
            "load_parameters".format(name, path, type(error).__name__,
                                     error)) from error


def load_parameters(file_):
    """Loads the parameter values saved by :func:`dump`.

    This functions loads the parameters that have been saved separately by
    :func:`dump`, ie the ones given to its parameter `parameters`. It
    reads only the ``_parameters`` member, so it works when the pickled
    object is damaged or cannot be unpickled any more.

    Parameters
    ----------
    file_ : file
        The source to load the parameters from.

    Returns
    -------
    A dictionary of (parameter name, numpy array) pairs.

    """
    file_.seek(0)
    tar_file, path = _open_archive(file_)
    with tar_file:
        try:
            for member in tar_file:
                if member.name == PARAMETERS_MEMBER:
                    break
            else:
                raise ValueError("the checkpoint {} holds no parameters (no "
                                 "_parameters member)".format(path))
        except tarfile.TarError as error:
            raise CorruptCheckpointError(
                "the checkpoint {} is truncated or corrupt before its "
                "parameters: {}".format(path, error)) from error
        parameters = _read_parameters_member(tar_file, path)
    return {name.replace(BRICK_DELIMITER, '/'): value
            for name, value in parameters.items()}


def add_to_dump(object_, file_, name, parameters=None, use_cpickle=False,
                protocol=DEFAULT_PROTOCOL, **kwargs):
    r"""Pickles an object to an existing tar archive.

    This function allows to dump more objects to an existing archive. If
    the object you want to dump posesses the same set of shared variables
    as the object already dumped, you can pass them to the `parameters`
    argument, which will avoid them to be serialized a second time.
    However, it won't work if the shared variable you pass to the
    `parameters` argument are not already in the archive.

    Parameters
    ----------
    object_ : object
        The object to pickle.
    file_ : file
        The destination for saving, opened in read-write mode (`r+`).
    name : str
        The name of the object you are dumping. It will be used as a file
        name in the archive. '_pkl' and '_paramters' are reserved names
        and can't be used.
    parameters : list, optional
        Shared variables whose internal numpy arrays should be saved
        separately in the `_parameters` field of the tar file. Must be a
        subset of the parameters already in the archive.
    use_cpickle : bool
        Kept for compatibility.
    protocol : int, optional
        The pickling protocol to use.
    \*\*kwargs
        Keyword arguments to be passed to `pickle.Pickler`.

    """
    if name in [PICKLE_MEMBER, PARAMETERS_MEMBER]:
        raise ValueError("_pkl and _parameters are reserved names and can't"
                         " be used as name for your object.")

    external_parameters = {}
    if parameters is not None:
        names = _parameter_names(parameters)
        file_.seek(0)
        tar_file, path = _open_archive(file_)
        with tar_file:
            stored = set(_read_parameters_member(tar_file, path))
        missing = [name_ for name_ in names.values() if name_ not in stored]
        if missing:
            raise ValueError("the parameters {} are not in the archive; "
                             "add_to_dump can only refer to parameters "
                             "saved by dump".format(missing))
        for parameter, name_ in names.items():
            internal = parameter.container.storage[0]
            if _is_array(internal):
                external_parameters[id(internal)] = name_

    # Append to the archive
    file_.seek(0)
    data = _pickle_bytes(object_, protocol, external_parameters)
    with tarfile.TarFile(fileobj=file_, mode='a') as tar_file:
        _add_member(tar_file, name, data)


def dump_and_add_to_dump(object_, file_, parameters=None, to_add=None,
                         use_cpickle=False, protocol=DEFAULT_PROTOCOL,
                         **kwargs):
    r"""Calls both `dump` and `add_to_dump` to serialze several objects.

    This function is used to serialize several at the same time, using
    persistent ID. Its main advantage is that it can be used with
    `secure_dump`.

    Parameters
    ----------
    object_ : object
        The object to pickle. If None, only the parameters passed to the
        `parameters` argument will be saved.
    file_ : file
        The destination for saving.
    parameters : list, optional
        Shared variables whose internal numpy arrays should be saved
        separately in the `_parameters` field of the tar file.
    to_add : dict of objects
        A {'name': object} dictionnary of additional objects to save in
        the tar archive. Its keys will be used as name in the tar file.
    use_cpickle : bool
        Kept for compatibility.
    protocol : int, optional
        The pickling protocol to use.
    \*\*kwargs
        Keyword arguments to be passed to `pickle.Pickler`.

    """
    dump(object_, file_, parameters=parameters, use_cpickle=use_cpickle,
         protocol=protocol, **kwargs)
    if to_add is not None:
        for name, obj in to_add.items():
            add_to_dump(obj, file_, name, parameters=parameters,
                        use_cpickle=use_cpickle, protocol=protocol, **kwargs)


def secure_dump(object_, path, dump_function=dump, **kwargs):
    r"""Robust serialization - does not corrupt your files when failed.

    The object is written to a temporary file in the destination's
    directory, flushed to disk (``fsync``) and only then renamed over
    `path`, so that a crash or a kill while writing leaves the previous
    file in place.

    Parameters
    ----------
    object_ : object
        The object to be saved to the disk.
    path : str
        The destination for saving.
    dump_function : function
        The function that is used to perform the serialization. Must take
        an object and file object as arguments. By default, :func:`dump` is
        used. An alternative would be :func:`pickle.dump`.
    \*\*kwargs
        Keyword arguments to be passed to `dump_function`.

    """
    directory = os.path.dirname(os.path.abspath(path))
    temp = tempfile.NamedTemporaryFile(
        dir=directory, prefix='.' + os.path.basename(path) + '.',
        suffix='.tmp', delete=False)
    try:
        with temp:
            logger.debug("Dumping object to a temporary file")
            dump_function(object_, temp, **kwargs)
            temp.flush()
            os.fsync(temp.fileno())
        logger.debug("Moving the temporary file")
        os.replace(temp.name, path)
        _fsync_directory(directory)
        logger.debug("Dump finished")
    except BaseException:
        if os.path.exists(temp.name):
            os.remove(temp.name)
        raise


def _fsync_directory(directory):
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def continue_training(path):
    """Continues training using checkpoint.

    Parameters
    ----------
    path : str
        Path to checkpoint.

    Notes
    -----
    Python picklers can unpickle objects from global namespace only if
    they are present in namespace where unpickling happens. Often global
    functions are needed for mapping, filtering and other data stream
    operations. In a case if the main loop uses global objects and
    this function fails with a message like
    ```
    AttributeError: 'module' object has no attribute '...'
    ```
    it means that you need to import these objects.

    Examples
    --------
    This function can be used in two ways: in your script where a main
    loop defined or in a different script. For later options see Notes
    section.

    """
    with open(path, "rb") as f:
        main_loop = load(f)
    main_loop.run()
    return main_loop
