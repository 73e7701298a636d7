"""Locks on files shared between processes (and machines), made of directories.

``mkdir`` is atomic on every file system, network ones included, so a lock is
a directory: whoever creates ``NAME.lock`` owns it, and writes an ``owner``
file in it that names the process (``PID_HOSTNAME_RANDOM``). A lock whose
owner file has not changed for ``timeout`` seconds is taken to be stale (its
owner died) and is taken over; a live owner refreshes it.

Read locks are directories too, ``NAME.readlock.PID.TIMESTAMP``, next to the
file; a file is unused, and may be deleted from a cache, when it has none.

>>> import tempfile
>>> lock_dir = os.path.join(tempfile.mkdtemp(), 'data.lock')
>>> get_lock(lock_dir)
>>> os.path.isdir(lock_dir)
True
>>> release_lock()
>>> os.path.exists(lock_dir)
False
"""
import atexit
import logging
import os
import random
import socket
import time

hostname = socket.gethostname()
logger = logging.getLogger(__name__)

#: Seconds after which a lock that was not refreshed is taken to be stale.
TIMEOUT = 5
#: Seconds to wait at least between two attempts at a busy lock.
MIN_WAIT = 5
NOT_SET = object()
OWNER_FILE = 'owner'

__all__ = ['Unlocker', 'get_lock', 'get_readlock', 'get_writelock', 'lock',
           'refresh_lock', 'release_lock', 'release_readlock',
           'release_writelock']


class Unlocker:
    """Removes a lock directory, when asked or when garbage-collected.

    Parameters
    ----------
    tmp_dir : str
        The lock directory.
    """
    def __init__(self, tmp_dir):
        self.tmp_dir = tmp_dir

    def __del__(self):
        self.unlock()

    def unlock(self):
        """Remove the lock directory, if it is still there."""
        owner = os.path.join(self.tmp_dir, OWNER_FILE)
        for path, remove in ((owner, os.remove), (self.tmp_dir, os.rmdir)):
            try:
                remove(path)
            except OSError:
                pass


def _unique_id():
    return '{}_{}_{}'.format(os.getpid(), hostname, random.randint(0, 10 ** 9))


def refresh_lock(lock_file):
    """Write a new id into ``lock_file``, telling waiters that its owner is alive.

    Returns
    -------
    str
        The id written.
    """
    unique_id = _unique_id()
    with open(lock_file, 'w') as file_:
        file_.write(unique_id + '\n')
    return unique_id


def _read_owner(lock_file):
    try:
        with open(lock_file) as file_:
            return file_.read().strip() or 'no owner'
    except OSError:
        return None


def lock(tmp_dir, timeout=NOT_SET, min_wait=None, max_wait=None, verbosity=1):
    """Take the lock ``tmp_dir`` (a directory), waiting while another process has it.

    Parameters
    ----------
    tmp_dir : str
        The lock directory to create.
    timeout : float or None, optional
        Seconds after which a lock that did not change is taken over; ``None``
        waits forever. Default :data:`TIMEOUT`.
    min_wait, max_wait : float, optional
        Each wait lasts a random time between them. Default: at most
        :data:`MIN_WAIT` (a fifth of ``timeout`` when that is shorter), and
        twice ``min_wait``.
    verbosity : int, optional
        0 is silent; 1 logs who holds the lock while waiting.

    Returns
    -------
    str
        The id written in the lock's owner file.
    """
    if timeout is NOT_SET:
        timeout = TIMEOUT
    if min_wait is None:
        min_wait = MIN_WAIT if timeout is None else min(MIN_WAIT, max(timeout, 0.01) / 5)
    if max_wait is None:
        max_wait = max(min_wait, 2 * min_wait)
    lock_file = os.path.join(tmp_dir, OWNER_FILE)
    base_dir = os.path.dirname(os.path.abspath(tmp_dir))
    if not os.path.isdir(base_dir):
        os.makedirs(base_dir, exist_ok=True)
    last_owner, last_change = None, time.time()
    while True:
        try:
            os.mkdir(tmp_dir)
        except FileExistsError:
            owner = _read_owner(lock_file)
            now = time.time()
            if owner != last_owner:
                last_owner, last_change = owner, now
            elif timeout is not None and now - last_change > timeout:
                logger.warning('taking over the stale lock %s (owner %s)',
                               tmp_dir, owner)
                Unlocker(tmp_dir).unlock()
                continue
            if verbosity >= 1:
                logger.info('waiting for the lock %s held by %s', tmp_dir, owner)
            time.sleep(random.uniform(min_wait, max_wait))
            continue
        try:
            return refresh_lock(lock_file)
        except OSError:
            Unlocker(tmp_dir).unlock()
            raise


_held = {'dir': None, 'count': 0, 'unlocker': None, 'id': None}


def get_lock(lock_dir, **kw):
    """Take the process's lock ``lock_dir``; re-entrant.

    A process holds one such lock at a time; taking it again only counts.
    Keyword arguments go to :func:`lock`.
    """
    if _held['dir'] is not None and _held['dir'] != lock_dir:
        raise Exception('this process already holds the lock {} and cannot '
                        'take {} too'.format(_held['dir'], lock_dir))
    if _held['count'] == 0:
        _held['id'] = lock(lock_dir, **kw)
        _held['dir'] = lock_dir
        _held['unlocker'] = Unlocker(lock_dir)
    else:
        # Refresh, so that a long holder is not taken for a dead one.
        try:
            owner = os.path.join(lock_dir, OWNER_FILE)
            if _read_owner(owner) == _held['id']:
                _held['id'] = refresh_lock(owner)
        except OSError:
            pass
    _held['count'] += 1


def release_lock():
    """Release the lock taken by :func:`get_lock` (once per call to it)."""
    if _held['count'] == 0:
        return
    _held['count'] -= 1
    if _held['count'] == 0:
        _held['unlocker'].unlock()
        _held.update(dir=None, unlocker=None, id=None)


def get_writelock(filename):
    """Take the write lock of ``filename`` (the directory ``filename.lock``)."""
    get_lock(filename + '.lock')


def release_writelock():
    """Release the write lock taken by :func:`get_writelock`."""
    release_lock()


def release_readlock(lockdir_name):
    """Remove a read lock made by :func:`get_readlock`."""
    if os.path.isdir(lockdir_name):
        try:
            os.rmdir(lockdir_name)
        except OSError:
            pass


def get_readlock(pid, path):
    """Mark ``path`` as read by process ``pid`` until this process exits.

    Returns
    -------
    str
        The read lock directory, removed at exit (or by
        :func:`release_readlock`).
    """
    lockdir_name = '{}.readlock.{}.{}'.format(path, pid,
                                              int(time.time() * 1e6))
    os.mkdir(lockdir_name)
    atexit.register(release_readlock, lockdir_name=lockdir_name)
    return lockdir_name
