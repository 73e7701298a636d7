"""Copying dataset files from a shared (network) data path to a local disk.

When ``fuel.config.local_data_path`` is set (``FUEL_LOCAL_DATA_PATH``),
:func:`cache_file` copies a dataset file found in the data path there once,
and returns the local copy's path; the copy is made under a write lock, so
that processes started together copy it once, and marked with a read lock
for as long as a process uses it. Without a local data path it changes
nothing.

>>> import tempfile
>>> config.local_data_path = ''
>>> cache_file('/data/mnist.hdf5')
'/data/mnist.hdf5'
>>> del config.local_data_path
"""
import logging
import os
import shutil
import stat

from fuel import config
from fuel.utils.disk import check_enough_space, safe_mkdir
from fuel.utils.lock import get_readlock, get_writelock, release_writelock

log = logging.getLogger(__name__)
pid = os.getpid()

__all__ = ['cache_file', 'copy_from_server_to_local']

SHARED_PERMISSIONS = (stat.S_IRWXU | stat.S_IRGRP | stat.S_IWGRP |
                      stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def _remote_directory(filename):
    """The data path directory that holds ``filename`` (else its own directory)."""
    from fuel.utils import data_path_directories
    absolute = os.path.abspath(filename)
    for directory in data_path_directories():
        directory = os.path.abspath(directory)
        if absolute.startswith(directory + os.sep):
            return directory
    return os.path.dirname(absolute)


def cache_file(filename):
    """Return the path of a local copy of ``filename``, making it if needed.

    Parameters
    ----------
    filename : str
        A dataset file, usually in the data path.

    Returns
    -------
    str
        ``filename`` itself when no local data path is configured or when
        the local disk lacks the space; otherwise its copy under
        ``config.local_data_path``, at the same path relative to the data
        path directory that holds it.

    Raises
    ------
    IOError
        When ``filename`` is not a file.
    """
    local_directory = getattr(config, 'local_data_path', '')
    if not local_directory:
        return filename
    if not os.path.isfile(filename):
        raise IOError('cannot cache {}: it is not a file'.format(filename))
    remote_directory = _remote_directory(filename)
    local_name = os.path.join(local_directory,
                              os.path.relpath(os.path.abspath(filename),
                                              remote_directory))
    if os.path.abspath(local_name) == os.path.abspath(filename):
        return filename
    safe_mkdir(local_directory, SHARED_PERMISSIONS)
    safe_mkdir(os.path.dirname(local_name), SHARED_PERMISSIONS)
    get_writelock(local_name)
    try:
        if not os.path.exists(local_name):
            if not check_enough_space(local_directory, filename, local_name):
                log.warning('not enough space in %s to cache %s; reading it '
                            'from where it is', local_directory, filename)
                return filename
            copy_from_server_to_local(remote_directory, local_directory,
                                      filename, local_name)
        get_readlock(pid, local_name)
    finally:
        release_writelock()
    return local_name


def copy_from_server_to_local(dataset_remote_dir, dataset_local_dir,
                              remote_fname, local_fname):
    """Copy ``remote_fname`` to ``local_fname``, atomically and readable by the group.

    The copy is written under a temporary name and renamed when complete, so
    that an interrupted copy never looks like a cached file.

    Parameters
    ----------
    dataset_remote_dir, dataset_local_dir : str
        The data path directory and the local cache directory.
    remote_fname, local_fname : str
        The file and its copy.
    """
    log.info('caching %s in %s', remote_fname, dataset_local_dir)
    safe_mkdir(os.path.dirname(os.path.abspath(local_fname)), SHARED_PERMISSIONS)
    temporary = '{}.{}.tmp'.format(local_fname, pid)
    try:
        shutil.copyfile(remote_fname, temporary)
        os.chmod(temporary, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP |
                 stat.S_IWGRP | stat.S_IROTH)
        os.replace(temporary, local_fname)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
