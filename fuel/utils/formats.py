"""Opening the files that datasets come in: plain or gzipped text, tar archives."""
import gzip
import io
import tarfile

__all__ = ['open_', 'tar_open']


def open_(filename, mode='r', encoding=None):
    """Open a file, decompressing it on the fly when its name ends in ``.gz``.

    Parameters
    ----------
    filename : str
        The file.
    mode : str, optional
        As for :func:`open`; ``'r'`` (text) by default.
    encoding : str, optional
        The text encoding (text modes only).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'words.txt.gz')
    >>> with gzip.open(path, 'wt') as file_:
    ...     _ = file_.write('one two')
    >>> with open_(path) as file_:
    ...     file_.read()
    'one two'
    """
    if filename.endswith('.gz'):
        if 'b' in mode:
            return gzip.open(filename, mode)
        return io.TextIOWrapper(gzip.open(filename, mode.replace('t', '') + 'b'),
                                encoding=encoding)
    return open(filename, mode, encoding=encoding)


def tar_open(f):
    """Open a tar archive from a file name or from a file object.

    Parameters
    ----------
    f : str or file
        The path of the archive, or an open binary file (for example a
        member of another tar archive).

    Returns
    -------
    tarfile.TarFile
        The archive, open for reading (compression detected).

    >>> archive = io.BytesIO()
    >>> with tarfile.open(fileobj=archive, mode='w') as tar:
    ...     member = tarfile.TarInfo('a.txt'); member.size = 2
    ...     tar.addfile(member, io.BytesIO(b'hi'))
    >>> _ = archive.seek(0)
    >>> tar_open(archive).getnames()
    ['a.txt']
    """
    if isinstance(f, str):
        return tarfile.open(name=f)
    return tarfile.open(fileobj=f)
