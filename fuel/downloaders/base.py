"""Download files, verify their checksums, and keep only complete, verified files."""
import hashlib
import os
import shutil
import sys
import urllib.request

from fuel.exceptions import NeedURLPrefix


def file_md5(path, gunzip=False):
    """The MD5 checksum of a file (of its uncompressed content with ``gunzip``)."""
    import gzip
    digest = hashlib.md5()
    opener = gzip.open if gunzip else open
    with opener(path, 'rb') as file_:
        for chunk in iter(lambda: file_.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def download(url, file_handle, chunk_size=1 << 20, timeout=60):
    """Copy what ``url`` points to into an open binary file.

    Parameters
    ----------
    url : str
        The URL (``http``, ``https``, ``ftp`` or ``file``).
    file_handle : file
        Where to write.
    chunk_size : int, optional
        How many bytes to copy at a time.
    timeout : float, optional
        Seconds to wait for the server.
    """
    with urllib.request.urlopen(url, timeout=timeout) as response:
        shutil.copyfileobj(response, file_handle, chunk_size)


def default_downloader(directory, urls, filenames, url_prefix=None,
                       clear=False, checksums=None):
    """Download files into a directory, checking them against their MD5 sums.

    Each file is downloaded under a temporary name and renamed only once its
    checksum matched, so an interrupted or corrupted download never leaves a
    file that looks complete. Files already present with the right checksum
    are not downloaded again.

    Parameters
    ----------
    directory : str
        Where to put the files.
    urls : list of str or None
        The URLs; ``None`` means ``url_prefix + filename``.
    filenames : list of str
        The names to save the files under.
    url_prefix : str, optional
        The prefix for the files without a URL.
    clear : bool, optional
        Delete the files instead of downloading them.
    checksums : list of str or None, optional
        The MD5 sum of each file, or ``None`` where it is not known.

    Examples
    --------
    >>> import os, tempfile
    >>> source = os.path.join(tempfile.mkdtemp(), 'hello.txt')
    >>> with open(source, 'w') as file_:
    ...     _ = file_.write('hello')
    >>> target = tempfile.mkdtemp()
    >>> default_downloader(target, ['file://' + source], ['hello.txt'],
    ...                    checksums=['5d41402abc4b2a76b9719d911017c592'])
    Downloading hello.txt
    >>> os.listdir(target)
    ['hello.txt']
    """
    if len(urls) != len(filenames):
        raise ValueError('urls and filenames must have the same length, got {} '
                         'and {}'.format(len(urls), len(filenames)))
    if checksums is None:
        checksums = [None] * len(filenames)
    if len(checksums) != len(filenames):
        raise ValueError('checksums and filenames must have the same length, '
                         'got {} and {}'.format(len(checksums), len(filenames)))
    paths = [os.path.join(directory, filename) for filename in filenames]
    if clear:
        for path in paths:
            if os.path.isfile(path):
                os.remove(path)
        return
    os.makedirs(directory, exist_ok=True)
    for url, path, filename, checksum in zip(urls, paths, filenames, checksums):
        if not url:
            if not url_prefix:
                raise NeedURLPrefix('{} has no URL; give a URL prefix'.format(
                    filename))
            url = url_prefix + filename
        if checksum and os.path.isfile(path) and file_md5(path) == checksum:
            print('{} is already there'.format(filename))
            continue
        print('Downloading {}'.format(filename))
        sys.stdout.flush()
        temporary = path + '.part'
        try:
            with open(temporary, 'wb') as file_handle:
                download(url, file_handle)
            if checksum:
                actual = file_md5(temporary)
                if actual != checksum:
                    raise ValueError(
                        'the download of {} from {} is corrupted: its MD5 sum '
                        'is {}, expected {}'.format(filename, url, actual,
                                                    checksum))
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
