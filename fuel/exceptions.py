"""Exceptions raised by Fuel.

Each one says what went wrong and, where there is one, how to fix it.
"""


class ConfigurationError(Exception):
    """A configuration setting is missing or has an unusable value."""


class AxisLabelsMismatchError(ValueError):
    """A transformer received data whose axis labels it cannot handle."""


class MissingInputFiles(Exception):
    """A converter or downloader did not find the files it needs.

    Parameters
    ----------
    message : str
        What went wrong.
    filenames : list of str
        The paths that were looked for and not found.

    Examples
    --------
    >>> error = MissingInputFiles('missing', ['a.gz', 'b.gz'])
    >>> error.filenames
    ['a.gz', 'b.gz']
    """
    def __init__(self, message, filenames):
        self.filenames = list(filenames)
        super().__init__(message, self.filenames)

    def __str__(self):
        return '{}: {}'.format(self.args[0], ', '.join(self.filenames))


class NeedURLPrefix(Exception):
    """A downloader has no URL for a file and was given no ``url_prefix``."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is in none of the directories of Fuel's data path.

    Parameters
    ----------
    filename : str
        The file that was looked for, e.g. ``'mnist.hdf5'``.
    searched : list of str
        The directories that were searched, in order.
    commands : list of str, optional
        The commands that create the file.

    Examples
    --------
    >>> error = DatasetNotFoundError('cifar10.hdf5', ['/data'],
    ...                              ['fuel-download cifar10',
    ...                               'fuel-convert cifar10'])
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    cifar10.hdf5 was not found in Fuel's data path (searched: /data).
    Create it by running `fuel-download cifar10` and then
    `fuel-convert cifar10` in one of those directories, or point the
    FUEL_DATA_PATH environment variable (or `data_path` in ~/.fuelrc)
    at the directory that holds it.
    """
    def __init__(self, filename, searched, commands=None):
        self.filename = filename
        self.searched = list(searched)
        self.commands = list(commands) if commands else []
        message = "{} was not found in Fuel's data path (searched: {}).".format(
            filename, ', '.join(self.searched) if self.searched else 'nothing')
        if self.commands:
            message += ' Create it by running {} in one of those directories,'.format(
                ' and then '.join('`{}`'.format(command)
                                  for command in self.commands))
            message += ' or point'
        else:
            message += ' Point'
        message += (' the FUEL_DATA_PATH environment variable (or `data_path` '
                    'in ~/.fuelrc) at the directory that holds it.')
        super().__init__(message)

    def __str__(self):
        return self.args[0]


class DataServerTimeout(TimeoutError):
    """A :class:`~fuel.streams.ServerDataStream` received nothing in time."""


class RequestOutOfRange(IndexError, ValueError):
    """A request asks for examples a dataset or subset does not have.

    The original Fuel raises ``ValueError`` here; it is an ``IndexError`` as
    well, as indexing past the end of a sequence is in Python.
    """


class SourceNameError(KeyError, ValueError):
    """A source name that does not exist, or that two sources would share.

    :class:`~fuel.transformers.Rename` raises it; the original Fuel raised
    ``KeyError`` there, and it is a ``ValueError`` as well. Unlike a plain
    ``KeyError``, its message prints without quotes.
    """
    def __str__(self):
        return str(self.args[0]) if self.args else ''
