"""The files next to a checkpoint: temporary files of writes, and the writer's lock.

A checkpoint is written to a hidden temporary file in its directory and
renamed over the previous one when complete (:func:`~blocks.serialization.
secure_dump`). A writer killed mid-write (``SIGKILL``, the machine's memory
killer, a cluster's time limit) leaves its temporary file behind, as large as
the checkpoint. Its name records who wrote it, ``.NAME.PID@HOST-RANDOM.tmp``,
so that the next write removes the files of writers that are no longer
running on this host (:func:`remove_abandoned_temporaries`), and never the
file of a live one.

Two runs that checkpoint to the same path would overwrite each other's
checkpoints; :class:`CheckpointLock` keeps a lock file ``NAME.lock`` next to
the checkpoint, naming the process that writes it, from the start of training
to its end. A lock whose process is gone (killed, crashed) is taken over.
The lock is the process's: several extensions of one process may write the
same path.

"""
import atexit
import errno
import json
import logging
import os
import re
import secrets
import socket
import sys
import threading
import time

logger = logging.getLogger(__name__)

TEMPORARY_SUFFIX = '.tmp'
LOCK_SUFFIX = '.lock'

IN_USE = (
    "the checkpoint {path} is being written by another run: process {pid} "
    "on {host} (started {started}: {command}) holds its lock {lock}. Two runs "
    "writing one checkpoint overwrite each other's progress: give this run "
    "another path; if that process is no longer running (on another host "
    "Blocks cannot tell), delete {lock}")

TAKEN_OVER = (
    "the lock {lock} of the checkpoint {path} was taken over by process {pid} "
    "on {host}: another run writes the same checkpoint; this run stops "
    "writing it so as not to overwrite the other's progress")


def host_name():
    """This machine's name, as it appears in temporary and lock file names."""
    return re.sub(r'[^A-Za-z0-9_-]', '-', socket.gethostname())[:64] or 'host'


def temporary_name(path):
    """A new temporary file name for writing `path`, in its directory.

    >>> name = temporary_name('/tmp/checkpoint.tar')
    >>> name.startswith('/tmp/.checkpoint.tar.'), name.endswith('.tmp')
    (True, True)

    """
    directory, base = os.path.split(os.path.abspath(path))
    return os.path.join(directory, '.{}.{}@{}-{}{}'.format(
        base, os.getpid(), host_name(), secrets.token_hex(4),
        TEMPORARY_SUFFIX))


def _temporary_pattern(base):
    return re.compile(r'^\.{}\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9_-]+)-'
                      r'[0-9a-f]+{}$'.format(re.escape(base),
                                             re.escape(TEMPORARY_SUFFIX)))


def process_is_running(pid, host=None):
    """Whether process `pid` of `host` (this host by default) may be running.

    A process of another host, or one this user may not signal, counts as
    running: Blocks cannot tell, so it never touches its files. A zombie
    (dead, not yet reaped) does not count.

    >>> process_is_running(os.getpid())
    True

    """
    if host is not None and host != host_name():
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    try:
        with open('/proc/{}/stat'.format(pid)) as stat:
            state = stat.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ('Z', 'X')


def remove_abandoned_temporaries(path):
    """Remove the temporary files of writers of `path` that are gone.

    Only files named by :func:`temporary_name` whose writer ran on this host
    and no longer runs are removed; the files of live writers, of other
    hosts, and any other file are left alone.

    Returns
    -------
    list of str
        The paths removed.

    """
    directory, base = os.path.split(os.path.abspath(path))
    pattern = _temporary_pattern(base)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match is None or process_is_running(int(match.group('pid')),
                                               match.group('host')):
            continue
        temporary = os.path.join(directory, name)
        try:
            os.remove(temporary)
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("cannot remove %s, left by a killed writer of %s: "
                           "%s", temporary, path, error)
            continue
        removed.append(temporary)
        logger.info("removed %s, left by process %s (no longer running) "
                    "while writing %s", temporary, match.group('pid'), path)
    return removed


class CheckpointInUseError(RuntimeError):
    """Another process holds the lock of a checkpoint path."""


def lock_path(path):
    """The lock file of the checkpoint `path`: ``path + '.lock'``."""
    return os.path.abspath(path) + LOCK_SUFFIX


#: Locks held by this process: lock path -> number of holders.
_HELD = {}
_HELD_GUARD = threading.Lock()
_PROCESS = {}


def _process_token():
    # One per process, a new one after a fork.
    if _PROCESS.get('pid') != os.getpid():
        _PROCESS.update(pid=os.getpid(), token=secrets.token_hex(8))
    return _PROCESS['token']


def _read_lock(lock):
    try:
        with open(lock, encoding='utf-8') as file_:
            record = json.load(file_)
        int(record['pid'])
        str(record['host'])
        str(record['token'])
        return record
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # partly written, or not ours


def _write_record(file_):
    json.dump({'pid': os.getpid(), 'host': host_name(),
               'token': _process_token(),
               'started': time.strftime('%Y-%m-%d %H:%M:%S'),
               'command': ' '.join(sys.argv)[:300]}, file_)
    file_.flush()
    os.fsync(file_.fileno())


class CheckpointLock:
    """The lock of one checkpoint path, held by this process.

    Parameters
    ----------
    path : str
        The checkpoint's path; the lock is ``path + '.lock'``.

    Examples
    --------
    >>> import tempfile
    >>> directory = tempfile.mkdtemp()
    >>> lock = CheckpointLock(os.path.join(directory, 'checkpoint.tar'))
    >>> lock.acquire()
    >>> sorted(os.listdir(directory))
    ['checkpoint.tar.lock']
    >>> lock.release()
    >>> os.listdir(directory)
    []

    """
    #: How long a lock file may stay unreadable (being written) before it
    #: counts as abandoned, in seconds.
    PARTIAL_LOCK_TIMEOUT = 2.0

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.lock = lock_path(path)
        self.held = False

    def acquire(self):
        """Take the lock, or take over a stale one.

        Raises
        ------
        CheckpointInUseError
            When a running process (of this host, or of another host)
            holds it, naming the path and the process.
        OSError
            When the lock file cannot be written (the directory is missing
            or not writable).

        """
        if self.held:
            self.verify()
            return
        with _HELD_GUARD:
            if _HELD.get(self.lock, 0) > 0 and self._owned():
                _HELD[self.lock] += 1
                self.held = True
                return
            deadline = time.monotonic() + self.PARTIAL_LOCK_TIMEOUT
            while not self.held:
                try:
                    descriptor = os.open(self.lock, os.O_CREAT | os.O_EXCL |
                                         os.O_WRONLY, 0o644)
                except FileExistsError:
                    self._take_over_if_stale(deadline)
                    continue
                with os.fdopen(descriptor, 'w', encoding='utf-8') as file_:
                    _write_record(file_)
                self._hold()

    def _hold(self):
        _HELD[self.lock] = _HELD.get(self.lock, 0) + 1
        self.held = True
        _register_exit_handler()

    def _owned(self):
        record = _read_lock(self.lock)
        return bool(record) and record['token'] == _process_token()

    def _take_over_if_stale(self, deadline):
        record = _read_lock(self.lock)
        if record is None:
            return  # released meanwhile: try to create it again
        if not record:
            if time.monotonic() < deadline:
                time.sleep(0.05)  # its writer may be writing it
                return
            previous = 'an unreadable lock'
        elif record['token'] == _process_token():
            self._hold()  # this process's, e.g. of an interrupted run
            return
        elif process_is_running(int(record['pid']), record['host']):
            raise CheckpointInUseError(IN_USE.format(
                path=self.path, lock=self.lock, pid=record['pid'],
                host=record['host'], started=record.get('started', '?'),
                command=record.get('command', '?')))
        else:
            previous = 'the lock of process {} (no longer running)'.format(
                record['pid'])
        # Replace it atomically, then check that no other process replaced
        # it at the same time (the last to replace it holds it).
        temporary = temporary_name(self.lock)
        try:
            with open(temporary, 'w', encoding='utf-8') as file_:
                _write_record(file_)
            os.replace(temporary, self.lock)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        if self._owned():
            logger.warning("took over %s of the checkpoint %s", previous,
                           self.path)
            self._hold()

    def verify(self):
        """Check that this process still holds the lock.

        Raises
        ------
        CheckpointInUseError
            When another process took it over.

        """
        record = _read_lock(self.lock)
        if record and record['token'] == _process_token():
            return
        if not record:
            # Deleted by hand: take it again.
            self.held = False
            with _HELD_GUARD:
                _HELD.pop(self.lock, None)
            self.acquire()
            return
        self.held = False
        raise CheckpointInUseError(TAKEN_OVER.format(
            lock=self.lock, path=self.path, pid=record['pid'],
            host=record['host']))

    def release(self):
        """Release the lock; the lock file goes when its last holder releases it."""
        if not self.held:
            return
        self.held = False
        with _HELD_GUARD:
            count = _HELD.get(self.lock, 0) - 1
            if count > 0:
                _HELD[self.lock] = count
                return
            _HELD.pop(self.lock, None)
            _remove_if_owned(self.lock)

    def __getstate__(self):
        state = self.__dict__.copy()
        state['held'] = False  # a lock belongs to a process
        return state


def _remove_if_owned(lock):
    record = _read_lock(lock)
    if record and record['token'] == _process_token():
        try:
            os.remove(lock)
        except OSError as error:
            if error.errno != errno.ENOENT:
                logger.warning("cannot remove the lock %s: %s", lock, error)


_EXIT_HANDLER = []


def _register_exit_handler():
    if not _EXIT_HANDLER:
        atexit.register(_release_all)
        _EXIT_HANDLER.append(True)


def _release_all():
    """Remove the lock files this process still holds (at exit)."""
    with _HELD_GUARD:
        for lock in list(_HELD):
            _remove_if_owned(lock)
        _HELD.clear()
