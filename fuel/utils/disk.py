"""Disk helpers for caching datasets: free space, directories with permissions."""
import os

__all__ = ['check_enough_space', 'disk_usage', 'safe_mkdir']


def disk_usage(path):
    """The size of the file system that holds ``path`` and how much of it is used.

    Returns
    -------
    tuple of int
        ``(total, used)``, in bytes.

    >>> total, used = disk_usage('.')
    >>> 0 <= used <= total
    True
    """
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    return total, used


def safe_mkdir(folder_name, force_perm=None):
    """Create a directory and its missing parents; tolerate others doing the same.

    Parameters
    ----------
    folder_name : str
        The directory.
    force_perm : int, optional
        The permission bits of each directory created (``os.chmod``),
        whatever the umask; useful for a cache shared between users.

    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> safe_mkdir(os.path.join(root, 'a', 'b'), force_perm=0o770)
    >>> oct(os.stat(os.path.join(root, 'a')).st_mode & 0o777)
    '0o770'
    """
    folder_name = os.path.abspath(folder_name)
    missing = []
    current = folder_name
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
            continue
        if force_perm is not None:
            os.chmod(folder, force_perm)


def check_enough_space(dataset_local_dir, remote_fname, local_fname,
                       max_disk_usage=0.9):
    """Whether copying ``remote_fname`` keeps the local disk under ``max_disk_usage``.

    Parameters
    ----------
    dataset_local_dir : str
        The local cache directory.
    remote_fname : str
        The file to copy.
    local_fname : str
        Where it would go (unused: the file system of ``dataset_local_dir``
        is the one measured).
    max_disk_usage : float, optional
        The fraction of the disk that may be used after the copy.
        Default 0.9.

    >>> check_enough_space('.', __file__, 'copy.py', max_disk_usage=2.0)
    True
    >>> check_enough_space('.', __file__, 'copy.py', max_disk_usage=0.0)
    False
    """
    needed = os.path.getsize(remote_fname)
    total, used = disk_usage(dataset_local_dir)
    return used + needed < total * max_disk_usage
