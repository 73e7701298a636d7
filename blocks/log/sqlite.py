"""A training log stored in an SQLite database, readable while training runs."""
import math
import os
import pickle
import sqlite3
import sys
import threading
import warnings
from collections.abc import Mapping, MutableMapping
from uuid import uuid4

import numpy

from blocks.config import config
from blocks.log.log import TrainingLogBase

# The URI of the shared-cache in-memory database behind ``':memory:'``.
MEMORY_DATABASE = 'file:blocks-log-{}?mode=memory&cache=shared'

#: A common table expression listing the log with the UUID given as the
#: first parameter and the logs it was resumed from, with their distance
#: (``depth``) from it.
ANCESTORS_QUERY = """
WITH RECURSIVE ancestors(uuid, depth) AS (
    SELECT ?, 0
    UNION ALL
    SELECT status.value, ancestors.depth + 1
    FROM status JOIN ancestors ON status.uuid = ancestors.uuid
    WHERE status."key" = '_resumed_from' AND status.value IS NOT NULL
          AND ancestors.depth < 1000000
)
"""

CREATE_ENTRIES = """CREATE TABLE IF NOT EXISTS entries (
                        uuid TEXT NOT NULL,
                        time INT NOT NULL,
                        "key" TEXT NOT NULL,
                        value,
                        PRIMARY KEY(uuid, time, "key"))"""

CREATE_STATUS = """CREATE TABLE IF NOT EXISTS status (
                       uuid TEXT NOT NULL,
                       "key" TEXT NOT NULL,
                       value,
                       PRIMARY KEY(uuid, "key"))"""

LARGE_BLOB_WARNING = (
    "the log record {key!r} holds a {kind}, which pickles to more than "
    "config.max_blob_size ({max_size} bytes). SQLite stores numbers and "
    "text natively; every other object is pickled into a blob, which is "
    "slow for large objects and makes the database grow. Log a summary "
    "(a norm, a mean) instead, or raise max_blob_size "
    "(BLOCKS_MAX_BLOB_SIZE) to silence this warning.")

MISSING_DIRECTORY = (
    "cannot create the SQLite log database {database} ({origin}): the "
    "directory {directory} does not exist; create it, or set "
    "sqlite_database (BLOCKS_SQLITEDB) to a file in an existing directory")

UNUSABLE_DATABASE = (
    "cannot use the SQLite log database {database} ({origin}): {error}; "
    "check that the file is an SQLite database that this user can read and "
    "write, or set sqlite_database (BLOCKS_SQLITEDB) to another file")

INT64_RANGE = (-2 ** 63, 2 ** 63)


def to_sql(value, key):
    """Convert a value to what the SQLite database stores for it.

    Numbers (NumPy scalars and 0-d numeric arrays included) are stored as
    SQLite integers or reals, booleans as integers, strings as text and
    ``None`` as NULL; anything else (arrays, lists, NaN, which SQLite
    would turn into NULL) is pickled into a blob.

    Examples
    --------
    >>> to_sql(numpy.float32(0.5), 'cost'), to_sql(numpy.array(3), 'n')
    (0.5, 3)
    >>> to_sql(True, 'done'), to_sql('text', 'note'), to_sql(None, 'x')
    (1, 'text', None)
    >>> type(to_sql([1, 2], 'list')).__name__
    'memoryview'

    """
    if isinstance(value, numpy.ndarray):
        value = adapt_ndarray(value)
    if value is None:
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bool, numpy.bool_)):
        return int(value)
    if isinstance(value, (int, numpy.integer)):
        if INT64_RANGE[0] <= int(value) < INT64_RANGE[1]:
            return int(value)
    elif isinstance(value, (float, numpy.floating)):
        if not math.isnan(value):
            return float(value)
    return adapt_obj(value, key)


def adapt_obj(obj, key=None):
    """Pickle an object into a blob for the database.

    Warns (naming the record `key`, when given) if the blob is larger than
    ``config.max_blob_size``.

    """
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    if len(blob) > config.max_blob_size:
        # Point the warning at the user's code, the first caller outside
        # this module.
        level, frame = 1, sys._getframe()
        while frame is not None and frame.f_code.co_filename == __file__:
            frame, level = frame.f_back, level + 1
        warnings.warn(LARGE_BLOB_WARNING.format(
            key=key, kind=type(obj).__name__,
            max_size=config.max_blob_size), stacklevel=level)
    return sqlite3.Binary(blob)


def adapt_ndarray(obj):
    """A 0-d numeric array as a Python number, other arrays unchanged.

    Numbers are stored natively, which keeps the database readable with
    SQL alone; larger arrays are pickled by :func:`adapt_obj`.

    Examples
    --------
    >>> adapt_ndarray(numpy.array(0.5, dtype='float32'))
    0.5
    >>> adapt_ndarray(numpy.zeros(2)).shape
    (2,)

    """
    if obj.ndim == 0 and obj.dtype.kind in 'biuf':
        return obj.item()
    return obj


def from_sql(value):
    """Convert a value read from the database back (blobs are unpickled)."""
    if isinstance(value, bytes):
        return pickle.loads(value)
    return value


def _check_key(key):
    if not isinstance(key, str):
        raise TypeError("log record and status keys must be strings, got "
                        "{!r}".format(key))
    return key


def connect(database):
    """Open a connection to a log database, creating the tables if needed.

    The database is put in write-ahead-logging mode, so that other
    processes can read it while training writes to it.

    """
    connection = sqlite3.connect(database, timeout=60,
                                 uri=database.startswith('file:'))
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:  # another process holds a lock
        pass
    connection.execute("PRAGMA synchronous=NORMAL")
    with connection:
        connection.execute(CREATE_ENTRIES)
        connection.execute(CREATE_STATUS)
    return connection


class _SQLiteMapping(MutableMapping):
    """What a row and the status share: they read all their values with ``_fetch``."""
    def _fetch(self):
        """All the values, as a dictionary."""
        raise NotImplementedError

    def __iter__(self):
        return iter(self._fetch())

    def items(self):
        return self._fetch().items()

    def __setitem__(self, key, value):
        self.update({key: value})

    def __repr__(self):
        return repr(self._fetch())


class SQLiteEntry(_SQLiteMapping):
    """A row of an :class:`SQLiteLog`: the records at one time.

    Reading looks the record up in this log and in the logs it was resumed
    from (the most recent value wins); writing goes straight to the
    database, one transaction per assignment or :meth:`update`.

    Parameters
    ----------
    log : :class:`SQLiteLog`
        The log this row belongs to.
    time : int
        The time (iteration) of this row.

    """
    def __init__(self, log, time):
        self.log = log
        self.time = time

    def _query(self, sql, *parameters):
        return self.log.conn.execute(
            ANCESTORS_QUERY + sql, (self.log.h_uuid, self.time) + parameters)

    def __getitem__(self, key):
        row = self._query(
            'SELECT entries.value FROM entries JOIN ancestors '
            'ON entries.uuid = ancestors.uuid '
            'WHERE entries.time = ? AND entries."key" = ? '
            'ORDER BY ancestors.depth LIMIT 1', key).fetchone()
        if row is None:
            raise KeyError(key)
        return from_sql(row[0])

    def __contains__(self, key):
        return self._query(
            'SELECT 1 FROM entries JOIN ancestors '
            'ON entries.uuid = ancestors.uuid '
            'WHERE entries.time = ? AND entries."key" = ? LIMIT 1',
            key).fetchone() is not None

    def _fetch(self):
        """All the records of this row, as a dictionary."""
        rows = self._query(
            'SELECT entries."key", entries.value FROM entries JOIN ancestors '
            'ON entries.uuid = ancestors.uuid WHERE entries.time = ? '
            'ORDER BY ancestors.depth DESC, entries.rowid')
        return {key: from_sql(value) for key, value in rows}

    def __len__(self):
        return len(self._fetch())

    def update(self, other=(), /, **kwargs):
        """Write several records in one transaction."""
        records = dict(other, **kwargs)
        rows = [(self.log.h_uuid, self.time, _check_key(key),
                 to_sql(value, key)) for key, value in records.items()]
        with self.log.conn as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)

    def __delitem__(self, key):
        with self.log.conn as connection:
            deleted = connection.execute(
                'DELETE FROM entries WHERE uuid = ? AND time = ? AND '
                '"key" = ?', (self.log.h_uuid, self.time, key)).rowcount
        if key in self:
            raise ValueError(
                "the record {!r} at time {} was written before the log was "
                "resumed and cannot be deleted; overwrite it "
                "instead".format(key, self.time))
        if not deleted:
            raise KeyError(key)


class SQLiteStatus(_SQLiteMapping):
    """The status of an :class:`SQLiteLog`, written through to the database.

    Values are read from and written to the ``status`` table at once, so
    mutating a value in place (``status['_epoch_ends'].append(1)``) is lost:
    assign instead (``status['_epoch_ends'] += [1]``).

    """
    def __init__(self, log):
        self.log = log

    def __getitem__(self, key):
        row = self.log.conn.execute(
            'SELECT value FROM status WHERE uuid = ? AND "key" = ?',
            (self.log.h_uuid, key)).fetchone()
        if row is None:
            raise KeyError(key)
        return from_sql(row[0])

    def __contains__(self, key):
        return self.log.conn.execute(
            'SELECT 1 FROM status WHERE uuid = ? AND "key" = ?',
            (self.log.h_uuid, key)).fetchone() is not None

    def _fetch(self):
        rows = self.log.conn.execute(
            'SELECT "key", value FROM status WHERE uuid = ? ORDER BY "key"',
            (self.log.h_uuid,))
        return {key: from_sql(value) for key, value in rows}

    def __len__(self):
        return self.log.conn.execute(
            'SELECT COUNT(*) FROM status WHERE uuid = ?',
            (self.log.h_uuid,)).fetchone()[0]

    def update(self, other=(), /, **kwargs):
        """Write several status values in one transaction."""
        values = dict(other, **kwargs)
        rows = [(self.log.h_uuid, _check_key(key), to_sql(value, key))
                for key, value in values.items()]
        with self.log.conn as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO status VALUES (?, ?, ?)", rows)

    def __delitem__(self, key):
        with self.log.conn as connection:
            deleted = connection.execute(
                'DELETE FROM status WHERE uuid = ? AND "key" = ?',
                (self.log.h_uuid, key)).rowcount
        if not deleted:
            raise KeyError(key)


class SQLiteLog(TrainingLogBase, Mapping):
    r"""Training log using an SQLite database as the backend.

    Every record and status value is written to the database as soon as it
    is set (one transaction per assignment or ``update``), so another
    process can follow training with the :mod:`sqlite3` module alone::

        SELECT time, value FROM entries WHERE uuid = ? AND "key" = 'cost'

    The database has two tables, ``entries(uuid, time, "key", value)`` and
    ``status(uuid, "key", value)``; the log's :attr:`h_uuid` tells the
    logs in one database apart.

    Parameters
    ----------
    database : str, optional
        The database (file) to connect to. If not given, the value of
        ``config.sqlite_database`` (``BLOCKS_SQLITEDB``) is used.
        ``':memory:'`` keeps the log in memory, as in Blocks: it is shared
        by the log's threads and gone with the log (a log unpickled in
        another process finds it empty).
    \*\*kwargs
        Passed on to :class:`.TrainingLogBase` (``uuid`` reopens an
        existing log).

    Notes
    -----
    Numbers, strings and ``None`` are stored as such (NumPy scalars and 0-d
    arrays become Python numbers, booleans integers); other objects are
    pickled into blobs, with a warning when one is larger than
    ``config.max_blob_size``.

    :meth:`~.TrainingLogBase.resume` continues the log under a new UUID;
    the rows of the logs it continues stay readable through it, the most
    recent value of a record winning.

    The log pickles: the connection is dropped and reopened on first use,
    one connection per thread. Because the status lives in the database,
    pickling *forks* the log: the pickle keeps the UUID, whose status and
    rows are no longer written to, and the live log goes on under a new
    UUID that was resumed from it (without a ``resumed_from`` record). A
    log unpickled from a checkpoint thus sees the status as it was when
    the checkpoint was made.

    Examples
    --------
    >>> import os, sqlite3, tempfile
    >>> database = os.path.join(tempfile.mkdtemp(), 'log.sqlite')
    >>> log = SQLiteLog(database)
    >>> log.current_row['cost'] = numpy.float32(0.25)
    >>> log.status['iterations_done'] += 1
    >>> dict(log.previous_row)
    {'cost': 0.25}
    >>> sqlite3.connect(database).execute(
    ...     'SELECT time, "key", value FROM entries').fetchall()
    [(0, 'cost', 0.25)]

    """
    def __init__(self, database=None, **kwargs):
        origin = 'the database argument'
        if database is None:
            database = config.sqlite_database
            origin = 'config.sqlite_database, from {}'.format(
                config.source('sqlite_database'))
        if not isinstance(database, (str, os.PathLike)):
            raise TypeError("database must be a file name, got "
                            "{!r}".format(database))
        database = os.fspath(database)
        if database == '' or database.startswith('file:'):
            raise ValueError(
                "database must name a file or be ':memory:', got "
                "{!r}".format(database))
        self._local = threading.local()
        if database == ':memory:':
            # One named in-memory database in shared-cache mode, so that
            # every thread's connection sees it; it lives as long as this
            # connection, which the log keeps open (and does not pickle).
            self.database = MEMORY_DATABASE.format(uuid4().hex)
            self._memory_keeper = connect(self.database)
        else:
            self.database = os.path.abspath(database)
            directory = os.path.dirname(self.database)
            if not os.path.isdir(directory):
                raise ValueError(MISSING_DIRECTORY.format(
                    database=self.database, origin=origin,
                    directory=directory))
        try:
            self.conn  # create the tables now, so that errors surface here
        except sqlite3.Error as error:
            raise ValueError(UNUSABLE_DATABASE.format(
                database=self.database, origin=origin,
                error=error)) from error
        super().__init__(**kwargs)

    @property
    def conn(self):
        """This thread's connection to the database (opened on first use)."""
        connection = getattr(self._local, 'connection', None)
        if connection is None:
            connection = self._local.connection = connect(self.database)
        return connection

    def close(self):
        """Close this thread's connection; it is reopened when needed."""
        connection = getattr(self._local, 'connection', None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    @property
    def status(self):
        """The status, a mapping written through to the ``status`` table."""
        return SQLiteStatus(self)

    def __getitem__(self, time):
        return SQLiteEntry(self, self._check_time(time))

    def _times(self, sql):
        return self.conn.execute(
            ANCESTORS_QUERY + sql.format(
                'FROM entries WHERE uuid IN (SELECT uuid FROM ancestors)'),
            (self.h_uuid,))

    def __iter__(self):
        return iter([time for time, in self._times(
            'SELECT DISTINCT time {} ORDER BY time')])

    def __len__(self):
        return self._times('SELECT COUNT(DISTINCT time) {}').fetchone()[0]

    def __contains__(self, time):
        try:
            time = self._check_time(time)
        except ValueError:
            return False
        return self.conn.execute(
            ANCESTORS_QUERY + 'SELECT 1 FROM entries WHERE uuid IN '
            '(SELECT uuid FROM ancestors) AND time = ? LIMIT 1',
            (self.h_uuid, time)).fetchone() is not None

    def __getstate__(self):
        state = self.__dict__.copy()
        del state['_local']
        state.pop('_memory_keeper', None)
        # The pickle keeps this UUID, frozen from now on; see the Notes.
        self._take_new_uuid()
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def __repr__(self):
        return "<{} {} in {}>".format(self.__class__.__name__, self.h_uuid,
                                      self.database)
