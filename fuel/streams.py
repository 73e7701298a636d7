"""Data streams: iterate over a dataset, epoch after epoch.

A :class:`DataStream` pairs a dataset with an iteration scheme; its
:meth:`~AbstractDataStream.get_epoch_iterator` returns a picklable iterator
over the batches (or examples) of one epoch. Transformers
(:mod:`fuel.transformers`) wrap streams to process the data on the fly, and
a :class:`ServerDataStream` receives the data that another process prepares
(:mod:`fuel.server`).

Examples
--------
>>> import numpy
>>> from fuel.datasets import IndexableDataset
>>> from fuel.schemes import SequentialScheme
>>> dataset = IndexableDataset({'features': numpy.arange(10).reshape(5, 2)})
>>> stream = DataStream(dataset, iteration_scheme=SequentialScheme(5, 2))
>>> [batch[0].tolist() for batch in stream.get_epoch_iterator()]
[[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9]]]
"""
import numpy

from fuel.iterator import DataIterator


class AbstractDataStream:
    """The interface of data streams and transformers.

    Parameters
    ----------
    iteration_scheme : :class:`~fuel.schemes.IterationScheme`, optional
        The scheme whose requests the stream passes to ``get_data``.
    axis_labels : dict, optional
        For each source, a tuple naming its axes, e.g.
        ``('batch', 'channel', 'height', 'width')``.

    Attributes
    ----------
    sources : tuple of str
        The names of the data sources, in the order of the data.
    produces_examples : bool
        ``True`` if the stream gives single examples, ``False`` if batches.
        With an iteration scheme it is the scheme's ``requests_examples``.
    """
    def __init__(self, iteration_scheme=None, axis_labels=None):
        self.iteration_scheme = iteration_scheme
        self.axis_labels = axis_labels

    @property
    def produces_examples(self):
        if self.iteration_scheme is not None:
            return self.iteration_scheme.requests_examples
        if not hasattr(self, '_produces_examples'):
            raise ValueError('cannot tell whether {} produces examples or '
                             'batches; it has no iteration scheme and was not '
                             'told'.format(type(self).__name__))
        return self._produces_examples

    @produces_examples.setter
    def produces_examples(self, value):
        if self.iteration_scheme is not None:
            raise ValueError('produces_examples cannot be set on a stream with '
                             'an iteration scheme; the scheme decides it')
        self._produces_examples = value

    @property
    def sources(self):
        return self._sources

    @sources.setter
    def sources(self, value):
        self._sources = tuple(value)

    def get_data(self, request=None):
        """Return the data for ``request`` (a tuple, one entry per source)."""
        raise NotImplementedError(
            '{} must implement get_data'.format(type(self).__name__))

    def reset(self):
        """Start over from the beginning of the data."""
        raise NotImplementedError

    def close(self):
        """Release the resources (files, sockets) the stream holds."""
        raise NotImplementedError

    def next_epoch(self):
        """Move on to the next epoch."""
        raise NotImplementedError

    def get_epoch_iterator(self, as_dict=False):
        """Return an iterator over the data of one epoch.

        Parameters
        ----------
        as_dict : bool, optional
            Give each batch as a ``dict`` from source names to data rather
            than as a tuple. Default ``False``.
        """
        request_iterator = None
        if self.iteration_scheme is not None:
            request_iterator = self.iteration_scheme.get_request_iterator()
        return DataIterator(self, request_iterator, as_dict=as_dict)

    def iterate_epochs(self, as_dict=False):
        """Return an endless iterator over epoch iterators.

        >>> from fuel.datasets import IterableDataset
        >>> epochs = DataStream(IterableDataset([1, 2])).iterate_epochs()
        >>> [list(next(epochs)) for _ in range(2)]
        [[(1,), (2,)], [(1,), (2,)]]
        """
        return EpochIterator(self, as_dict=as_dict)


class EpochIterator:
    """The endless, picklable iterator of
    :meth:`~AbstractDataStream.iterate_epochs`."""
    def __init__(self, data_stream, as_dict=False):
        self.data_stream = data_stream
        self.as_dict = as_dict

    def __iter__(self):
        return self

    def __next__(self):
        return self.data_stream.get_epoch_iterator(as_dict=self.as_dict)


class DataStream(AbstractDataStream):
    """A stream over the data of a dataset.

    Parameters
    ----------
    dataset : :class:`~fuel.datasets.Dataset`
        The dataset to read.
    iteration_scheme : :class:`~fuel.schemes.IterationScheme`, optional
        Which examples to request. Datasets that are read by index
        (:class:`~fuel.datasets.IndexableDataset`,
        :class:`~fuel.datasets.H5PYDataset`) need one;
        an :class:`~fuel.datasets.IterableDataset` takes none.
    axis_labels : dict, optional
        Default: the dataset's.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> stream = DataStream(IterableDataset({'words': ['a', 'b']}))
    >>> stream.sources, stream.produces_examples
    (('words',), True)
    >>> list(stream.get_epoch_iterator())
    [('a',), ('b',)]
    """
    def __init__(self, dataset, **kwargs):
        if dataset.axis_labels:
            kwargs.setdefault('axis_labels', dict(dataset.axis_labels))
        super().__init__(**kwargs)
        self.dataset = dataset
        if self.iteration_scheme is None:
            self._produces_examples = True
        if self.axis_labels and self.produces_examples:
            # An example has no batch axis (as in the original Fuel).
            self.axis_labels = {
                source: (tuple(labels[1:]) if labels and labels[0] == 'batch'
                         else labels)
                for source, labels in self.axis_labels.items()}
        self.data_state = self.dataset.open()
        self._fresh_state = True

    @classmethod
    def default_stream(cls, dataset, **kwargs):
        """Create a stream and wrap it in the dataset's default transformers.

        For MNIST these scale the pixels to [0, 1] and cast them to
        ``fuel.config.floatX``.

        Parameters
        ----------
        dataset : :class:`~fuel.datasets.Dataset`
            The dataset to read.
        \\*\\*kwargs
            Passed on to the stream (e.g. ``iteration_scheme``).
        """
        return dataset.apply_default_transformers(cls(dataset, **kwargs))

    @property
    def sources(self):
        if hasattr(self, '_sources'):
            return self._sources
        return self.dataset.sources

    @sources.setter
    def sources(self, value):
        self._sources = tuple(value)

    def close(self):
        self.data_state = self.dataset.close(self.data_state)
        self._fresh_state = False

    def reset(self):
        self.data_state = self.dataset.reset(self.data_state)
        self._fresh_state = True

    def next_epoch(self):
        self.data_state = self.dataset.next_epoch(self.data_state)

    def get_data(self, request=None):
        return self.dataset.get_data(self.data_state, request)

    def get_epoch_iterator(self, **kwargs):
        if self.iteration_scheme is not None:
            check_scheme_fits(self.iteration_scheme, self.dataset)
        if not self._fresh_state:
            self.next_epoch()
        else:
            self._fresh_state = False
        return super().get_epoch_iterator(**kwargs)


def describe_dataset(dataset):
    """A short name for a dataset in error messages: its class, file and splits.

    >>> from fuel.datasets import IndexableDataset
    >>> describe_dataset(IndexableDataset({'x': [1, 2]}))
    'IndexableDataset'
    """
    words = [type(dataset).__name__]
    path = getattr(dataset, 'path', None)
    if isinstance(path, str):
        words.append(path)
    which_sets = getattr(dataset, 'which_sets', None)
    if which_sets:
        words.append(repr(tuple(which_sets)))
    return ' '.join(words)


def check_scheme_fits(iteration_scheme, dataset):
    """Refuse a scheme that requests examples past the end of the dataset.

    Checked when a :class:`DataStream` opens an epoch (the main loop opens
    its first one before it compiles anything), so that the mistake shows
    before training starts rather than as an ``IndexError`` in the middle
    of an epoch; not when the stream is made, where Fuel checked nothing
    (its users build such streams, to read a scheme's ``num_batches``, or
    to see a transformer refuse them). Schemes without a list of indices
    (``ConstantScheme``), datasets without a known size, and datasets that
    take no requests (:class:`~fuel.datasets.IterableDataset`) are not
    checked.

    Raises
    ------
    ValueError
        Naming the dataset, the largest index the scheme requests and the
        number of examples of the dataset.
    """
    from fuel.datasets.base import IterableDataset
    if isinstance(dataset, IterableDataset):
        return
    indices = getattr(iteration_scheme, 'indices', None)
    try:
        num_examples = dataset.num_examples
    except (AttributeError, TypeError, ValueError):
        return
    if indices is None or not isinstance(num_examples, (int, numpy.integer)):
        return
    if isinstance(indices, range):
        largest = max(indices) if len(indices) else None
    elif len(indices):
        largest = int(numpy.max(numpy.asarray(indices)))
    else:
        largest = None
    if largest is not None and largest >= num_examples:
        raise ValueError(
            'the iteration scheme {} requests example {}, but the dataset {} '
            'has {} examples (indices 0 to {}); build the scheme with '
            'dataset.num_examples ({})'.format(
                type(iteration_scheme).__name__, largest,
                describe_dataset(dataset), num_examples, num_examples - 1,
                num_examples))


class ServerDataStream(AbstractDataStream):
    """A stream that receives its data from a data server in another process.

    The server (:func:`fuel.server.start_server`) runs a data stream, with all
    its preprocessing, in its own process and pushes the batches over a
    ZeroMQ socket; this stream pulls them. The connection is made on first
    use, and again after unpickling.

    Parameters
    ----------
    sources : tuple of str
        The names of the sources the server sends, in order.
    produces_examples : bool
        Whether the server sends single examples (``True``) or batches.
    host : str, optional
        The server's host. Default ``'localhost'``.
    port : int, optional
        The server's port. Default 5557.
    hwm : int, optional
        The high-water mark: how many batches may wait in the receive queue.
        Default 10.
    axis_labels : dict, optional
        The axis labels of the sources.
    timeout : float, optional
        Seconds to wait for a batch before raising
        :class:`~fuel.exceptions.DataServerTimeout`, so that a server that
        died is an error, not a hang. ``None`` waits forever. Default 60.

    Examples
    --------
    >>> stream = ServerDataStream(('features', 'targets'), False, port=5560)
    >>> stream.sources, stream.produces_examples
    (('features', 'targets'), False)
    """
    def __init__(self, sources, produces_examples, host='localhost',
                 port=5557, hwm=10, axis_labels=None, timeout=60):
        super().__init__(axis_labels=axis_labels)
        if isinstance(sources, str):
            raise TypeError('sources must be a tuple of source names such as '
                            "('features',), got the string {!r}".format(sources))
        self.sources = sources
        self.produces_examples = produces_examples
        self.host = host
        self.port = port
        self.hwm = hwm
        if timeout is not None and timeout <= 0:
            raise ValueError('timeout must be a positive number of seconds or '
                             'None, got {!r}'.format(timeout))
        self.timeout = timeout
        self.socket = None
        self.context = None

    @property
    def address(self):
        """The ZeroMQ address the stream connects to."""
        return 'tcp://{}:{}'.format(self.host, self.port)

    def connect(self):
        """Connect to the server (done on first use)."""
        import zmq
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.PULL)
        self.socket.set_hwm(self.hwm)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.address)

    @property
    def connected(self):
        return self.socket is not None

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('ServerDataStream takes no requests (the server '
                             'decides what it sends), got {!r}'.format(request))
        if self.socket is None:
            self.connect()
        from fuel.server import recv_arrays
        return tuple(recv_arrays(self.socket, timeout=self.timeout,
                                 address=self.address))

    def close(self):
        """Disconnect; the next ``get_data`` connects again."""
        if self.socket is not None:
            self.socket.close(linger=0)
            self.context.term()
        self.socket = None
        self.context = None

    def reset(self):
        pass

    def next_epoch(self):
        pass

    def __getstate__(self):
        state = self.__dict__.copy()
        state['socket'] = None
        state['context'] = None
        return state
