"""Blocks native serialization: tar archives of a pickle and its parameters.

(About 800 lines, half of them docstrings: the archive format, its writer
and its verifying reader are one unit with the functions that use them, and
:class:`CorruptCheckpointError` stays where checkpoints' users import it.
The picklers live in :mod:`blocks.pickling`, the temporary files and the
lock of a checkpoint in :mod:`blocks.checkpoint_files`.)

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

Every member carries the SHA-256 of its data in its own (PAX) header, and
the header of the last member also holds the manifest, which lists the
members with their sizes and checksums (so the archive holds exactly the
members Blocks wrote: ``_parameters``, ``_pkl`` and those added). Every
load reads the members in order and verifies them, so a truncated or
damaged checkpoint is a :class:`CorruptCheckpointError` naming
the file and the member, never a silently different object, and the
parameters stored before the damage are still returned by
:func:`load_parameters`. Checkpoints written before Blocks recorded
checksums still load, with an :class:`UnverifiedCheckpointWarning`.

.. warning::

   :func:`load` (and :class:`~blocks.extensions.saveload.Load`,
   :func:`continue_training`, ``blocks-continue``) unpickle, and unpickling
   runs code: load only checkpoints you trust. :func:`load_parameters` never
   unpickles; it is the way to read the parameters of a file from elsewhere.

Compiled PyTensor functions are never pickled: the objects that hold them
(training algorithms, evaluators) drop them and compile them again on first
use, so that a checkpoint loads under another compile mode or on another
device.

"""
import errno
import hashlib
import io
import json
import logging
import os
import tarfile
import warnings
import zipfile
import zlib
from pickle import DEFAULT_PROTOCOL

import numpy

from blocks.checkpoint_files import (remove_abandoned_temporaries,
                                     temporary_name)
from blocks.filter import get_parameter_path
from blocks.pickling import (  # noqa: F401 (re-exported: public names)
    MAIN_MODULE_WARNING, UNPICKLABLE, is_array, pickle_bytes,
    run_with_deep_stack, unpickle_bytes)

logger = logging.getLogger(__name__)

BRICK_DELIMITER = '|'
#: Blocks' name of :data:`BRICK_DELIMITER`.
SERIALIZATION_BRICK_DELIMITER = BRICK_DELIMITER
PARAMETERS_MEMBER = '_parameters'
PICKLE_MEMBER = '_pkl'
#: The manifest member that checkpoints of earlier versions of this project
#: end with (read, no longer written: the manifest now travels in the last
#: member's header, so that the archive holds only Blocks' own members).
MANIFEST_MEMBER = '_manifest'
RESERVED_MEMBERS = (PICKLE_MEMBER, PARAMETERS_MEMBER, MANIFEST_MEMBER)
#: The PAX header keyword holding a member's SHA-256.
CHECKSUM_KEY = 'BLOCKS.sha256'
#: The PAX header keywords of the last member holding the manifest (JSON)
#: and the manifest's SHA-256.
MANIFEST_KEY = 'BLOCKS.manifest'
MANIFEST_CHECKSUM_KEY = 'BLOCKS.manifest.sha256'
MANIFEST_FORMAT = 'blocks-checkpoint'
MANIFEST_VERSION = 1
#: The most bytes of arrays :func:`load_parameters` unpacks per byte of the
#: ``_parameters`` member (Blocks stores them uncompressed: about 1).
MAX_EXPANSION = 4


class CorruptCheckpointError(ValueError, tarfile.ReadError):
    """A checkpoint that cannot be read: truncated, corrupt or not a checkpoint.

    Also a :class:`tarfile.ReadError`, which is what Blocks raised when a
    file was not a checkpoint.

    """


class UnverifiedCheckpointWarning(UserWarning):
    """A checkpoint loaded without checksums (written before Blocks recorded them)."""


NOT_AN_ARCHIVE = ("{path} is not a Blocks checkpoint (a tar archive): it is "
                  "truncated or corrupt ({error})")
DAMAGED_MEMBER = ("the checkpoint {path} is damaged: its member {member!r} "
                  "{problem}; the file is truncated or corrupt, do not "
                  "resume from it")
UNVERIFIED = ("the checkpoint {path} has no checksums (written before Blocks "
              "recorded them): {what} loaded without verifying its integrity")
TOO_LARGE = ("the member {member!r} of the checkpoint {path} would unpack "
             "{size} bytes of arrays from {stored} stored bytes, more than "
             "max_expansion={max_expansion} times: refused (an archive that "
             "inflates like this is malformed or malicious); if you trust "
             "the file, pass a larger max_expansion, or None")


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


# Writing

def _sha256(data):
    return hashlib.sha256(data).hexdigest()


class _ArchiveWriter:
    """Adds members with their checksums; the last one, written by
    :meth:`close`, also carries the manifest in its header."""
    def __init__(self, file_, mode='w', listed=()):
        self.tar_file = tarfile.TarFile(fileobj=file_, mode=mode,
                                        format=tarfile.PAX_FORMAT)
        self.listed = list(listed)
        self._pending = None

    def add(self, name, data):
        # Held back until the next member (or close) says whether it is
        # the last one, which carries the manifest.
        self._write_pending()
        checksum = _sha256(data)
        self.listed.append({'name': name, 'size': len(data),
                            'sha256': checksum})
        self._pending = (name, data, {CHECKSUM_KEY: checksum})

    def _write_pending(self):
        if self._pending is not None:
            name, data, headers = self._pending
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.pax_headers = headers
            self.tar_file.addfile(info, io.BytesIO(data))
            self._pending = None

    def close(self):
        if self._pending is not None:
            manifest = json.dumps({'format': MANIFEST_FORMAT,
                                   'version': MANIFEST_VERSION,
                                   'members': self.listed},
                                  sort_keys=True)
            self._pending[2][MANIFEST_KEY] = manifest
            self._pending[2][MANIFEST_CHECKSUM_KEY] = _sha256(
                manifest.encode('utf-8'))
        self._write_pending()
        self.tar_file.close()


def _parameters_member(parameters):
    """The npz bytes of `parameters`, and a map of array ids to names."""
    external_objects = {}
    arrays = {}
    for parameter, name in _parameter_names(parameters).items():
        internal = parameter.container.storage[0]
        arrays[name] = numpy.asarray(internal)
        if is_array(internal):
            external_objects[id(internal)] = name
    buffer = io.BytesIO()
    numpy.savez(buffer, **arrays)
    return buffer.getvalue(), external_objects


def _dump_members(file_, object_, parameters, to_add, protocol):
    writer = _ArchiveWriter(file_)
    external_objects = {}
    if parameters:
        data, external_objects = _parameters_member(parameters)
        writer.add(PARAMETERS_MEMBER, data)
    if object_ is not None:
        writer.add(PICKLE_MEMBER,
                   pickle_bytes(object_, protocol, external_objects))
    for name, added in (to_add or {}).items():
        _check_added_name(name)
        writer.add(name, pickle_bytes(added, protocol, external_objects))
    writer.close()


def _check_added_name(name):
    if name in RESERVED_MEMBERS:
        raise ValueError("_pkl, _parameters and _manifest are reserved "
                         "names and can't be used as name for your object, "
                         "got {!r}".format(name))


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

    Notes
    -----
    Each member's SHA-256 is stored in its header and in the manifest,
    which the last member's header carries and every load verifies.

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
    _dump_members(file_, object_, parameters, None, protocol)


# Reading

class _Scan:
    """What a sequential read of an archive found.

    Attributes
    ----------
    data : dict
        Member name -> bytes (the last member of a name wins).
    checksums : dict
        Member name -> the SHA-256 its header records, if any.
    order : list
        The names of the members read whole, in order (``_manifest``
        members of earlier checkpoints excluded).
    manifest : bytes or None
        The manifest the last member read carries (or, in a checkpoint of
        an earlier release, the last member if it is ``_manifest``).
    manifest_holder : str or None
        The member that carries it.
    damage : str or None
        Where and how reading failed, if it did.

    """
    def __init__(self):
        self.data = {}
        self.checksums = {}
        self.order = []
        self.manifest = None
        self.manifest_checksum = None
        self.manifest_holder = None
        self.damage = None
        self.damaged_member = None

    @property
    def has_checksums(self):
        return bool(self.checksums) or self.manifest is not None


def _scan(file_, path, stop_after=None):
    """Read the members of a checkpoint in order, up to `stop_after`.

    Damage after the first member is recorded in the result, not raised, so
    that the members read before it can be used.

    Raises
    ------
    CorruptCheckpointError
        When the file is not a tar archive at all.

    """
    size = file_.seek(0, os.SEEK_END)
    file_.seek(0)
    try:
        tar_file = tarfile.open(fileobj=file_, mode='r:')
    except (tarfile.TarError, EOFError, OSError, ValueError,
            UnicodeError) as error:
        raise CorruptCheckpointError(NOT_AN_ARCHIVE.format(
            path=path, error=error)) from error
    scan = _Scan()
    member = tar_file.next()  # the first member, read by open()
    with tar_file:
        while True:
            if member is None:
                scan.damaged_member = None
                break
            name = member.name
            scan.damaged_member = name
            if not member.isreg() or member.issparse():
                scan.damage = "is not a regular file (type {!r})".format(
                    member.type)
                break
            if member.offset_data + member.size > size:
                # Checked before reading: a false size allocates nothing
                scan.damage = "is cut short ({} of its {} bytes)".format(
                    max(size - member.offset_data, 0), member.size)
                break
            try:
                data = tar_file.extractfile(member).read()
                if len(data) != member.size:
                    raise EOFError("unexpected end of data")
            except (tarfile.TarError, EOFError, OSError, ValueError) as error:
                scan.damage = "is cut short or malformed ({})".format(error)
                break
            checksum = member.pax_headers.get(CHECKSUM_KEY)
            if name == MANIFEST_MEMBER:
                scan.manifest, scan.manifest_checksum = data, checksum
                scan.manifest_holder = name
            else:
                scan.manifest = scan.manifest_holder = None
                manifest = member.pax_headers.get(MANIFEST_KEY)
                if manifest is not None:
                    # A damaged header decodes with surrogates: its bytes
                    # come back, and the checksum tells the damage.
                    scan.manifest = manifest.encode('utf-8',
                                                    'surrogateescape')
                    scan.manifest_checksum = member.pax_headers.get(
                        MANIFEST_CHECKSUM_KEY)
                    scan.manifest_holder = name
                scan.data[name] = data
                scan.order.append(name)
                if checksum is not None:
                    scan.checksums[name] = checksum
                elif name in scan.checksums:
                    del scan.checksums[name]
            if name == stop_after:
                break
            try:
                member = tar_file.next()
            except (tarfile.TarError, EOFError, OSError, ValueError,
                    UnicodeError) as error:
                scan.damage = ("is followed by a cut or malformed header "
                               "({})".format(error))
                break
    return scan


def _damaged(path, member, problem):
    return CorruptCheckpointError(DAMAGED_MEMBER.format(
        path=path, member=member, problem=problem))


def _verify_member(scan, name, path, listed=None):
    """Raise if a checksum of member `name` does not match its data."""
    actual = _sha256(scan.data[name])
    recorded = [checksum for checksum in (scan.checksums.get(name), listed)
                if checksum is not None]
    for checksum in recorded:
        if checksum != actual:
            raise _damaged(path, name, "does not match its checksum "
                           "(sha256 {} recorded, {} read)".format(
                               checksum, actual))
    return bool(recorded)


def _read_manifest(scan, path):
    """The manifest's {name: sha256}, checked against the members read."""
    if scan.manifest_checksum != _sha256(scan.manifest):
        raise _damaged(path, scan.manifest_holder,
                       "carries a manifest that does not match its checksum")
    try:
        manifest = json.loads(scan.manifest.decode('utf-8'))
        if (manifest['format'] != MANIFEST_FORMAT or
                manifest['version'] != MANIFEST_VERSION):
            raise ValueError("format {!r} version {!r}".format(
                manifest['format'], manifest['version']))
        listed = [(entry['name'], entry['size'], entry['sha256'])
                  for entry in manifest['members']]
    except (ValueError, KeyError, TypeError) as error:
        raise _damaged(path, scan.manifest_holder, "carries a manifest that "
                       "cannot be read ({})".format(error)) from error
    names = [name for name, _, _ in listed]
    if names != scan.order:
        missing = [name for name in names if name not in scan.order]
        raise _damaged(path, (missing or scan.order)[0],
                       "is not where the manifest says: the manifest lists "
                       "{}, the archive holds {}".format(names, scan.order))
    for name, size, _ in listed:
        if size != len(scan.data[name]):
            raise _damaged(path, name, "has {} bytes, the manifest says "
                           "{}".format(len(scan.data[name]), size))
    return {name: checksum for name, _, checksum in listed}


def _verify_scan(scan, path):
    """Raise unless `scan` read a whole checkpoint that matches its checksums."""
    if scan.damage is not None:
        raise _damaged(path, scan.damaged_member, scan.damage)
    if not scan.has_checksums:
        warnings.warn(UNVERIFIED.format(path=path, what='it is'),
                      UnverifiedCheckpointWarning)
        return
    if scan.manifest is None:
        raise _damaged(path, scan.order[-1], "is not the last member: no "
                       "manifest follows it (the checkpoint is truncated)")
    listed = _read_manifest(scan, path)
    for name in scan.order:
        _verify_member(scan, name, path, listed[name])


def _verified_scan(file_, path):
    """Read and verify a whole checkpoint."""
    scan = _scan(file_, path)
    _verify_scan(scan, path)
    return scan


def _read_npz(data, path, max_expansion=MAX_EXPANSION):
    """The arrays of an npz, read without pickle and with a bounded size."""
    member = PARAMETERS_MEMBER
    try:
        npz = zipfile.ZipFile(io.BytesIO(data))
        entries = npz.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError,
            OSError) as error:
        raise _damaged(path, member, "is not an npz file ({})".format(
            error)) from error
    size = sum(entry.file_size for entry in entries)
    if max_expansion is not None and size > max_expansion * max(len(data), 1):
        raise CorruptCheckpointError(TOO_LARGE.format(
            member=member, path=path, size=size, stored=len(data),
            max_expansion=max_expansion))
    arrays = {}
    with npz:
        for entry in entries:
            name = entry.filename[:-len('.npy')]
            if not entry.filename.endswith('.npy') or name in arrays:
                raise _damaged(path, member, "holds {!r}, which is not one "
                               "array of an npz".format(entry.filename))
            try:
                arrays[name] = _read_array(npz, entry)
            except (ValueError, EOFError, OSError, zipfile.BadZipFile,
                    zlib.error, UnicodeError, OverflowError) as error:
                raise _damaged(path, member, "holds the array {!r}, which "
                               "cannot be read ({})".format(
                                   name, error)) from error
    return arrays


def _read_array(npz, entry):
    """Read one ``.npy`` entry, refusing object arrays and false shapes."""
    with npz.open(entry) as stream:
        version = numpy.lib.format.read_magic(stream)
        if version == (1, 0):
            header = numpy.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            header = numpy.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError("unsupported npy format version {}".format(
                version))
        shape, _, dtype = header
        if dtype.hasobject:
            raise ValueError("it is an object array ({}), which would be "
                             "unpickled".format(dtype))
        declared = int(numpy.prod(shape, dtype=object)) * dtype.itemsize
        if declared > entry.file_size:
            raise ValueError("its header declares {} bytes, more than its "
                             "{} bytes".format(declared, entry.file_size))
    with npz.open(entry) as stream:
        array = numpy.lib.format.read_array(stream, allow_pickle=False)
        if stream.read():  # reads to the end, which checks the CRC
            raise ValueError("bytes after the array")
    return array


def _parameters_of(scan, path, max_expansion=MAX_EXPANSION):
    if PARAMETERS_MEMBER not in scan.data:
        return {}
    return _read_npz(scan.data[PARAMETERS_MEMBER], path, max_expansion)


def load(file_, name=PICKLE_MEMBER, use_cpickle=False, **kwargs):
    r"""Loads an object saved using the `dump` function.

    By default, this function loads the object saved by the `dump`
    function. If some objects have been added to the archive using the
    `add_to_dump` function, then you can load them by passing their name
    to the `name` parameter.

    .. warning::

       Loading unpickles, and unpickling runs code: a crafted checkpoint
       can do anything you can. Load only checkpoints you trust; read the
       parameters of any other file with :func:`load_parameters`, which
       never unpickles.

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
        If the file is not a readable checkpoint, or any of its members does
        not match its checksum, naming its path and the member.

    Notes
    -----
    Every member is read and checked against the checksums of the archive
    (its manifest) before anything is unpickled. A checkpoint without
    checksums (written by an earlier Blocks) loads with an
    :class:`UnverifiedCheckpointWarning`.

    """
    path = _file_name(file_)
    scan = _verified_scan(file_, path)
    if name not in scan.data:
        raise ValueError("the checkpoint {} has no member {!r} (it has "
                         "{})".format(path, name, scan.order))
    parameters = _parameters_of(scan, path)
    try:
        return unpickle_bytes(scan.data[name], parameters)
    except Exception as error:
        raise CorruptCheckpointError(
            "the object {!r} of the checkpoint {} cannot be unpickled ({}: "
            "{}); its parameters may still be read with "
            "load_parameters".format(name, path, type(error).__name__,
                                     error)) from error


def load_parameters(file_, max_expansion=MAX_EXPANSION):
    """Loads the parameter values saved by :func:`dump`.

    This functions loads the parameters that have been saved separately by
    :func:`dump`, ie the ones given to its parameter `parameters`. It
    reads the archive's members in order up to ``_parameters``, so it
    returns them when the pickled object, or anything after them, is
    damaged or cannot be unpickled any more.

    It is the safe way to read a checkpoint you do not trust: it never
    unpickles (``allow_pickle=False``, and object arrays are refused), and
    it refuses a member whose arrays would take more than `max_expansion`
    times its stored size (a small archive that inflates to gigabytes).

    Parameters
    ----------
    file_ : file
        The source to load the parameters from.
    max_expansion : float or None, optional
        The most bytes of arrays to unpack per byte of the ``_parameters``
        member; Blocks stores arrays uncompressed (about 1). ``None`` lifts
        the bound. Default :data:`MAX_EXPANSION`.

    Returns
    -------
    A dictionary of (parameter name, numpy array) pairs.

    Raises
    ------
    CorruptCheckpointError
        When the file is not a checkpoint, when ``_parameters`` is damaged,
        or when it does not match its checksum, naming the file.

    """
    path = _file_name(file_)
    scan = _scan(file_, path, stop_after=PARAMETERS_MEMBER)
    if PARAMETERS_MEMBER not in scan.data:
        if scan.damage is not None:
            raise _damaged(path, scan.damaged_member,
                           scan.damage + ", before the parameters")
        raise ValueError("the checkpoint {} holds no parameters (no "
                         "_parameters member)".format(path))
    if not _verify_member(scan, PARAMETERS_MEMBER, path):
        # No checksum in its header: the manifest must have one, unless the
        # checkpoint predates checksums (then only the npz's CRCs check it).
        whole = _scan(file_, path)
        if whole.has_checksums:
            _verify_scan(whole, path)
            scan = whole
        else:
            warnings.warn(UNVERIFIED.format(path=path,
                                            what='its parameters are'),
                          UnverifiedCheckpointWarning)
    parameters = _parameters_of(scan, path, max_expansion)
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
        name in the archive. '_pkl', '_parameters' and '_manifest' are
        reserved names and can't be used.
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

    Notes
    -----
    The archive is verified first; the new member and a new manifest are
    appended.

    """
    _check_added_name(name)
    path = _file_name(file_)
    scan = _verified_scan(file_, path)
    external_parameters = {}
    if parameters is not None:
        names = _parameter_names(parameters)
        stored = set(_parameters_of(scan, path))
        missing = [name_ for name_ in names.values() if name_ not in stored]
        if missing:
            raise ValueError("the parameters {} are not in the archive; "
                             "add_to_dump can only refer to parameters "
                             "saved by dump".format(missing))
        for parameter, name_ in names.items():
            internal = parameter.container.storage[0]
            if is_array(internal):
                external_parameters[id(internal)] = name_
    data = pickle_bytes(object_, protocol, external_parameters)
    listed = [{'name': member, 'size': len(scan.data[member]),
               'sha256': _sha256(scan.data[member])} for member in scan.order]
    file_.seek(0)
    writer = _ArchiveWriter(file_, mode='a', listed=listed)
    writer.add(name, data)
    writer.close()


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

    Notes
    -----
    The archive is written in one pass, with one manifest.

    """
    _dump_members(file_, object_, parameters, to_add, protocol)


WRITE_ERROR = ("cannot write {path}: {reason} (while writing the temporary "
               "file {temporary}); the previous file at {path}, if any, is "
               "unchanged")


def secure_dump(object_, path, dump_function=dump, **kwargs):
    r"""Robust serialization - does not corrupt your files when failed.

    The object is written to a temporary file in the destination's
    directory (``.NAME.PID@HOST-RANDOM.tmp``), flushed to disk (``fsync``)
    and only then renamed over `path`, so that a crash or a kill while
    writing leaves the previous file in place. Temporary files left by
    writers of `path` that were killed are removed after each write.

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

    Raises
    ------
    OSError
        When the file cannot be written (``ENOSPC``, ``EFBIG``, a missing
        directory...), of the same errno, naming `path`.

    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = temporary_name(path)
    try:
        with open(temporary, 'xb+') as file_:
            logger.debug("Dumping object to a temporary file")
            dump_function(object_, file_, **kwargs)
            file_.flush()
            os.fsync(file_.fileno())
        logger.debug("Moving the temporary file")
        os.replace(temporary, path)
        _fsync_directory(directory)
        logger.debug("Dump finished")
    except OSError as error:
        _remove_quietly(temporary)
        reason = error.strerror or str(error)
        message = WRITE_ERROR.format(path=path, reason=reason,
                                     temporary=temporary)
        if error.errno is None:
            raise OSError(message) from error
        raise OSError(error.errno, message) from error
    except BaseException:
        _remove_quietly(temporary)
        raise
    remove_abandoned_temporaries(path)


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError as error:
        if error.errno != errno.ENOENT:
            logger.warning("cannot remove the temporary file %s: %s", path,
                           error)


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

    .. warning::

       The checkpoint is unpickled, and unpickling runs code: continue only
       from checkpoints you trust (your own runs').

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
