"""The training log: rows of records indexed by iteration, and a status."""
import numbers
from collections import defaultdict
from uuid import UUID, uuid4


def _status_defaults():
    """The status a new log starts with (fresh mutable values each call)."""
    return [('iterations_done', 0), ('epochs_done', 0),
            ('_epoch_ends', []), ('_resumed_from', None)]


def _as_uuid(uuid):
    """Accept a :class:`~uuid.UUID` or its hexadecimal string."""
    if isinstance(uuid, UUID):
        return uuid
    if isinstance(uuid, str):
        try:
            return UUID(hex=uuid)
        except ValueError:
            pass
    raise ValueError("uuid must be a uuid.UUID or its hexadecimal string, "
                     "got {!r}".format(uuid))


class TrainingLogBase:
    """Base class for training logs.

    A training log stores the training timeline, statistics and other
    auxiliary information. Training logs can use different backends e.g.
    in-memory Python objects or an SQLite database.

    Information is stored similar to a nested dictionary, so use
    ``log[time][key]`` to read data. An entry without stored data will
    return an empty dictionary-like object that can be written to,
    ``log[time][key] = value``.

    Depending on the backend, ``log[time] = {'key': 'value'}`` could fail.
    Use ``log[time].update({'key': 'value'})`` for compatibility across
    backends.

    In addition to the set of records displaying training dynamics, a
    training log has a :attr:`status` attribute, which is a dictionary with
    data that is not bound to a particular time.

    .. warning::

       Changes to mutable objects might not be reflected in the log,
       depending on the backend. So don't use
       ``log.status['key'].append(...)``, use ``log.status['key'] = ...``
       instead.

    Parameters
    ----------
    uuid : :class:`uuid.UUID` or str, optional
        The UUID of this log. For persistent log backends, passing the UUID
        will result in an old log being loaded. Otherwise a new, random
        UUID will be created.

    Attributes
    ----------
    status : dict
        A dictionary with data representing the current state of training.
        By default it contains ``iterations_done``, ``epochs_done`` and
        ``_epoch_ends`` (a list of the iterations at which epochs ended),
        plus ``_resumed_from`` (the hexadecimal UUID of the log this one
        continues, or ``None``). Keys that start with an underscore are
        internal: the :class:`.Printing` extension does not show them.

    Notes
    -----
    Subclasses provide :attr:`status` (before calling this constructor)
    and ``__getitem__(time)`` returning a row.

    """
    def __init__(self, uuid=None):
        self.uuid = uuid4() if uuid is None else _as_uuid(uuid)
        for key, value in _status_defaults():
            self.status.setdefault(key, value)

    @property
    def h_uuid(self):
        """Return a hexadecimal version of the UUID bytes.

        This is necessary to store ids in an SQLite database.

        """
        return self.uuid.hex

    def _take_new_uuid(self):
        """Continue under a new UUID, copying the status over.

        Returns the old hexadecimal UUID.

        """
        old_uuid = self.h_uuid
        old_status = dict(self.status.items())
        self.uuid = uuid4()
        self.status.update(old_status)
        self.status['_resumed_from'] = old_uuid
        return old_uuid

    def resume(self):
        """Resume a log by setting a new random UUID.

        Keeps a record of the old log that this is a continuation of: its
        hexadecimal UUID goes into ``status['_resumed_from']`` and into the
        record ``resumed_from`` of the current row. The status of the old
        log is copied into the new one.

        Examples
        --------
        >>> log = TrainingLog()
        >>> old_uuid = log.h_uuid
        >>> log.resume()
        >>> log.status['_resumed_from'] == old_uuid != log.h_uuid
        True
        >>> log.current_row['resumed_from'] == old_uuid
        True

        """
        old_uuid = self._take_new_uuid()
        self.current_row['resumed_from'] = old_uuid

    @staticmethod
    def _check_time(time):
        """Return `time` as an int, or raise if it is not a valid time."""
        if (isinstance(time, bool) or
                not isinstance(time, numbers.Integral) or time < 0):
            raise ValueError("time must be a non-negative integer, got "
                             "{!r}".format(time))
        return int(time)

    @property
    def current_row(self):
        """The row at the current iteration, ``status['iterations_done']``."""
        return self[self.status['iterations_done']]

    @property
    def previous_row(self):
        """The row of the previous iteration, ``iterations_done - 1``."""
        return self[self.status['iterations_done'] - 1]

    @property
    def last_epoch_row(self):
        """The row of the iteration at which the last epoch ended."""
        epoch_ends = self.status['_epoch_ends']
        if not epoch_ends:
            raise IndexError("no epoch has ended yet, so the log has no "
                             "last_epoch_row (status['_epoch_ends'] is "
                             "empty)")
        return self[epoch_ends[-1]]


class TrainingLog(defaultdict, TrainingLogBase):
    """Training log using a `defaultdict` as backend.

    Rows are plain dictionaries of record name to value; ``log[time]``
    creates an empty row when there is none. The whole log, status and UUID
    included, pickles.

    Parameters
    ----------
    uuid : :class:`uuid.UUID` or str, optional
        The UUID of the log; a random one by default.

    Notes
    -----
    For analysis of the logs, it can be useful to convert the log to a
    Pandas_ data frame::

        df = DataFrame.from_dict(log, orient='index')

    .. _Pandas: http://pandas.pydata.org

    Examples
    --------
    >>> log = TrainingLog()
    >>> log.current_row['cost'] = 0.5
    >>> log.status['iterations_done'] += 1
    >>> log.previous_row
    {'cost': 0.5}
    >>> log.current_row
    {}
    >>> sorted(key for key in log.status if not key.startswith('_'))
    ['epochs_done', 'iterations_done']

    """
    def __init__(self, uuid=None):
        defaultdict.__init__(self, dict)
        self.status = {}
        TrainingLogBase.__init__(self, uuid=uuid)

    def __reduce__(self):
        # defaultdict's own reduction forgets the instance dictionary,
        # which holds the status and the UUID.
        return (self.__class__, (), self.__dict__.copy(), None,
                iter(self.items()))

    def __getitem__(self, time):
        return super().__getitem__(self._check_time(time))

    def __setitem__(self, time, value):
        return super().__setitem__(self._check_time(time), value)
