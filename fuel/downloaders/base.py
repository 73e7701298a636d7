"""Download files, verify their checksums, and keep only complete, verified files.

HTTP(S) downloads go through :mod:`requests` (a declared dependency), as in
the original Fuel, whose tests replace ``fuel.downloaders.base.requests``
with a mock; other URLs (``file:``, ``ftp:``), and every URL where
:mod:`requests` is missing, through :mod:`urllib`.
"""
import hashlib
import os
import re
import sys
import urllib.parse
import urllib.request
from contextlib import contextmanager

from fuel.exceptions import NeedURLPrefix

try:
    import requests
except ImportError:  # urllib downloads without it
    requests = None


def _use_requests(url):
    return requests is not None and \
        urllib.parse.urlparse(url).scheme in ('http', 'https')


def _content_length(headers):
    """The ``Content-Length`` of a response as an int, or ``None``."""
    for key in ('Content-Length', 'content-length'):
        value = headers.get(key)
        if value is not None:
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None


def _check_status(response, url):
    status = getattr(response, 'status_code', None)
    if isinstance(status, int) and status >= 400:
        raise OSError('downloading {} failed: the server answered HTTP {}'
                      .format(url, status))


@contextmanager
def progress_bar(name, maxval):
    """A progress bar on standard output for a download of ``maxval`` bytes.

    Parameters
    ----------
    name : str
        What is downloaded (shown before the bar).
    maxval : int or None
        The size, when known; without it (``None`` or
        ``progressbar.UnknownLength``) the bar shows the elapsed time.

    Yields
    ------
    progressbar.ProgressBar
        Call its ``update(done)`` as the download progresses; it is set to
        ``maxval`` and finished when the block ends.
    """
    import progressbar
    if maxval is progressbar.UnknownLength:  # what the original passed
        maxval = None
    if maxval is not None:
        widgets = ['{}: '.format(name), progressbar.Percentage(), ' ',
                   progressbar.Bar(marker='=', left='[', right=']'), ' ',
                   progressbar.ETA()]
    else:
        widgets = ['{}: '.format(name), ' ', progressbar.Timer()]
    from fuel.converters.base import CurrentStdout
    bar = progressbar.ProgressBar(widgets=widgets,
                                  max_value=maxval or progressbar.UnknownLength,
                                  fd=CurrentStdout()).start()
    try:
        yield bar
    finally:
        if maxval is not None:
            bar.update(maxval)
        bar.finish()


def filename_from_url(url, path=None):
    """The name a server gives to what ``url`` points to.

    The ``Content-Disposition`` header's ``filename`` when the server sends
    one, else the last part of the URL's path.

    Parameters
    ----------
    url : str
        The URL.
    path : str, optional
        Unused; kept for the original's signature.

    >>> filename_from_url('file:///tmp/data/iris.data?version=2')
    'iris.data'
    """
    parsed = urllib.parse.urlparse(url)
    if _use_requests(url):
        response = requests.get(url, stream=True, timeout=60)
        disposition = response.headers.get('Content-Disposition', '')
        response.close()
        found = re.findall(r'filename="?([^";]+)"?', disposition or '')
        if found:
            return os.path.basename(found[0].strip())
    elif parsed.scheme in ('http', 'https'):
        request = urllib.request.Request(url, method='HEAD')
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                disposition = response.headers.get('Content-Disposition', '')
        except OSError:
            disposition = ''
        found = re.findall(r'filename="?([^";]+)"?', disposition)
        if found:
            return os.path.basename(found[0].strip())
    return os.path.basename(urllib.parse.unquote(parsed.path))


def ensure_directory_exists(directory):
    """Create ``directory`` (and its parents) unless it exists.

    >>> import tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), 'a', 'b')
    >>> ensure_directory_exists(target)
    >>> os.path.isdir(target)
    True
    """
    os.makedirs(directory, exist_ok=True)


def file_md5(path, gunzip=False):
    """The MD5 checksum of a file (of its uncompressed content with ``gunzip``)."""
    import gzip
    digest = hashlib.md5()
    opener = gzip.open if gunzip else open
    with opener(path, 'rb') as file_:
        for chunk in iter(lambda: file_.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def download(url, file_handle, chunk_size=1024, timeout=60, show_progress=None):
    """Copy what ``url`` points to into an open binary file.

    Parameters
    ----------
    url : str
        The URL (``http``, ``https``, ``ftp`` or ``file``).
    file_handle : file
        Where to write.
    chunk_size : int, optional
        How many bytes to copy at a time (at least 1 MiB are read at once
        here; the original's default 1024 made large downloads slow).
    timeout : float, optional
        Seconds to wait for the server.
    show_progress : bool, optional
        Show a progress bar. Default: when standard output is a terminal.
    """
    if show_progress is None:
        show_progress = sys.stdout.isatty()
    chunk_size = max(int(chunk_size), 1 << 20)
    if _use_requests(url):
        response = requests.get(url, stream=True, timeout=timeout)
        _check_status(response, url)
        total = _content_length(response.headers)
        name = os.path.basename(getattr(file_handle, 'name', '') or url)
        chunks = response.iter_content(chunk_size)
        if not show_progress:
            for chunk in chunks:
                file_handle.write(chunk)
            return
        with progress_bar(name, total) as bar:
            done = 0
            for chunk in chunks:
                file_handle.write(chunk)
                done += len(chunk)
                bar.update(min(done, total) if total else done)
        return
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get('Content-Length')
        total = int(length) if length and length.isdigit() else None
        name = os.path.basename(getattr(file_handle, 'name', '') or url)
        if not show_progress:
            for chunk in iter(lambda: response.read(chunk_size), b''):
                file_handle.write(chunk)
            return
        with progress_bar(name, total) as bar:
            done = 0
            for chunk in iter(lambda: response.read(chunk_size), b''):
                file_handle.write(chunk)
                done += len(chunk)
                bar.update(min(done, total) if total else done)


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
    filenames = list(filenames)
    for i, (url, filename) in enumerate(zip(urls, filenames)):
        if not filename and url:
            filename = filename_from_url(url)
        if not filename:
            raise ValueError('no file name given or found for the URL {!r}'
                             .format(url))
        filenames[i] = filename
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
    ensure_directory_exists(directory)
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
