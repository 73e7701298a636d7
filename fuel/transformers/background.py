"""Prepare batches in a background process while the main process trains.

:class:`MultiProcessing` runs the stream it wraps in a child process that
fills a queue with up to ``max_store`` batches ahead of the consumer; the
main process only unpickles them. It pays when preparing a batch (decoding,
augmenting, reading) costs about as much as using it.

A stream with a background process still pickles mid-epoch and resumes where
it was, as every Fuel stream does. The child sends, at the start and at the
end of each epoch, a *snapshot* of the wrapped stream (the stream pickled
with its datasets left out by reference: datasets keep no iteration state);
the main process keeps the latest one and counts the batches it received
since. Pickling stores the snapshot and the count; the resumed stream starts a
new child from the snapshot and skips the batches already delivered
(recomputing them once). An epoch given up half-way is finished the same way
before the next starts, so the batches are exactly those of the same stream
without a background process.
"""
import io
import logging
import multiprocessing
import pickle
import signal
import sys
import traceback
import weakref

import zmq

from fuel.transformers.base import Transformer, check_data_stream
from fuel.streams import AbstractDataStream

logger = logging.getLogger(__name__)

__all__ = ['BackgroundProcess', 'MultiProcessing']

#: Seconds between two checks that the child process is still alive.
POLL_SECONDS = 0.5


def stream_datasets(data_stream):
    """The datasets under a stream, in a fixed order (depth first).

    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> from fuel.transformers import Rename
    >>> dataset = IterableDataset({'x': [1]})
    >>> stream_datasets(Rename(DataStream(dataset), {'x': 'y'})) == [dataset]
    True
    """
    from fuel.datasets.base import Dataset
    found, pending, seen = [], [data_stream], set()
    while pending:
        stream = pending.pop(0)
        if id(stream) in seen:
            continue
        seen.add(id(stream))
        dataset = getattr(stream, 'dataset', None)
        if isinstance(dataset, Dataset) and all(dataset is not known
                                                for known in found):
            found.append(dataset)
        children = list(getattr(stream, 'data_streams', None) or [])
        child = getattr(stream, 'data_stream', None)
        if child is not None:
            children.insert(0, child)
        pending[:0] = [child for child in children
                       if isinstance(child, AbstractDataStream)]
    return found


class _SnapshotPickler(pickle.Pickler):
    def __init__(self, file, datasets):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._dataset_ids = {id(dataset): i for i, dataset in enumerate(datasets)}

    def persistent_id(self, obj):
        if id(obj) in self._dataset_ids:
            return ('dataset', self._dataset_ids[id(obj)])
        return None


class _SnapshotUnpickler(pickle.Unpickler):
    def __init__(self, file, datasets):
        super().__init__(file)
        self._datasets = datasets

    def persistent_load(self, pid):
        return self._datasets[pid[1]]


def dump_snapshot(data_stream, datasets):
    """Pickle ``data_stream``, leaving ``datasets`` out (referred to by position)."""
    buffer = io.BytesIO()
    _SnapshotPickler(buffer, datasets).dump(data_stream)
    return buffer.getvalue()


def load_snapshot(snapshot, datasets):
    """Unpickle what :func:`dump_snapshot` wrote, with these datasets put back."""
    return _SnapshotUnpickler(io.BytesIO(snapshot), datasets).load()


def _forget_open_files(datasets):
    """In a forked child, drop (without closing) the HDF5 handles of the parent."""
    for dataset in datasets:
        if getattr(dataset, '_handle', None) is not None:
            dataset._handle = None


class BackgroundProcess:
    """The work of the child process: run epochs of a stream into a socket.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to read.
    max_batches : int
        About the most batches prepared ahead; the child waits when they are
        all waiting to be read.

    Notes
    -----
    Made in the parent, which binds a ZeroMQ ``PULL`` socket on 127.0.0.1;
    :meth:`main` runs in the child: it connects a ``PUSH`` socket, waits for
    a command on ``self.commands`` and answers with messages ``(kind,
    payload, extra)``: ``'snapshot'`` (the stream at the start of an epoch,
    after ``extra`` skipped batches), ``'data'`` (a batch), ``'end'`` (the
    stream after the epoch) or ``'error'`` (the exception, and the child's
    traceback). Arrays travel as out-of-band pickle buffers (no pickling of
    their data, one copy on arrival). :meth:`get_next_data` reads the next
    message in the parent.
    """
    def __init__(self, data_stream, max_batches, context=None):
        context = context or multiprocessing
        self.data_stream = data_stream
        self.datasets = stream_datasets(data_stream)
        self.max_batches = max_batches
        self.commands = context.Queue()
        self.zmq_context = zmq.Context()
        self.socket = self.zmq_context.socket(zmq.PULL)
        self.socket.set_hwm(1)
        self.port = self.socket.bind_to_random_port('tcp://127.0.0.1')

    def main(self):
        """Serve commands until told to stop (runs in the child process)."""
        # The parent's handlers (a main loop finishing its epoch on SIGTERM,
        # say) are not the child's: the parent stops it with SIGTERM, and a
        # Ctrl+C in the terminal is the parent's to handle.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _forget_open_files(self.datasets)
        context = zmq.Context()
        socket = context.socket(zmq.PUSH)
        socket.set_hwm(max(1, self.max_batches - 1))
        socket.connect('tcp://127.0.0.1:{}'.format(self.port))
        try:
            self._serve(socket)
        finally:
            socket.close(linger=0)
            context.term()

    def _serve(self, socket):
        stream = self.data_stream
        while True:
            command, count = self.commands.get()
            if command == 'stop':
                return
            try:
                if command == 'epoch' and count is not None:
                    # Finish the epoch the consumer gave up, exactly as far as
                    # it had read, so that the next epoch starts where it would.
                    iterator = stream.get_epoch_iterator()
                    for _ in range(count):
                        next(iterator)
                skip = count if command == 'resume' else 0
                send_message(socket, ('snapshot', dump_snapshot(
                    stream, self.datasets), skip))
                iterator = stream.get_epoch_iterator()
                for _ in range(skip):
                    next(iterator)
                for data in iterator:
                    send_message(socket, ('data', data, None))
                send_message(socket, ('end', dump_snapshot(stream, self.datasets),
                                      None))
            except Exception as error:
                send_message(socket, ('error', _picklable_error(error),
                                      traceback.format_exc()))

    def get_next_data(self, timeout=None):
        """The next message of the child; ``None`` after ``timeout`` seconds."""
        if timeout is not None and not self.socket.poll(int(timeout * 1000)):
            return None
        return receive_message(self.socket)

    def close(self):
        """Close the parent's socket and queue."""
        self.socket.close(linger=0)
        self.zmq_context.term()
        self.commands.cancel_join_thread()
        self.commands.close()


def send_message(socket, message):
    """Send a picklable object, its arrays' memory as separate frames."""
    buffers = []
    header = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    socket.send_multipart([header] + [buffer.raw() for buffer in buffers],
                          copy=False)


def receive_message(socket):
    """Receive what :func:`send_message` sent (arrays writable, in fresh memory)."""
    frames = socket.recv_multipart(copy=False)
    return pickle.loads(frames[0].buffer,
                        buffers=[bytearray(frame.buffer) for frame in frames[1:]])


def _picklable_error(error):
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError('{}: {}'.format(type(error).__name__, error))


def _process_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context('fork' if 'fork' in methods else None)


class _Worker:
    """A started child process with its channels (never pickled)."""
    def __init__(self, data_stream, max_store):
        context = _process_context()
        self.background = BackgroundProcess(data_stream, max_store, context)
        self.process = context.Process(target=self.background.main,
                                       name='fuel-MultiProcessing', daemon=True)
        self.process.start()

    def send(self, command, count=None):
        self.background.commands.put((command, count))

    def receive(self):
        while True:
            message = self.background.get_next_data(timeout=POLL_SECONDS)
            if message is not None:
                return message
            if not self.process.is_alive():
                raise RuntimeError(
                    'the background process of MultiProcessing (pid {}) died '
                    'with exit code {} before sending its next batch'.format(
                        self.process.pid, self.process.exitcode))

    def stop(self):
        """Stop the child and release the channels; safe to call twice."""
        if self.process is None:
            return
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=10)
        if self.process.is_alive():  # pragma: no cover - ignored SIGTERM
            self.process.kill()
            self.process.join()
        self.background.close()
        self.process = None


def _stop_worker(worker):
    worker.stop()


class MultiProcessing(Transformer):
    """Prefetch the batches of a stream in a background process.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to read in the background, typically with the expensive
        transformers (decoding, augmentation) in it.
    max_store : int, optional
        The most batches prepared ahead. Default 100.

    Notes
    -----
    The child process starts with the first epoch and stops when the stream
    is closed, reset or garbage-collected (and with the interpreter: it is a
    daemon). It is forked where the platform allows, so the stream need not
    be picklable to start; to resume it must be, as every stream in a
    checkpoint. Batches cross the process boundary pickled, which costs a
    copy of each: the background process pays when a batch takes longer to
    prepare than to copy. The datasets must keep no iteration state of their
    own (Fuel's datasets keep it in the stream's ``data_state``).

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IndexableDataset
    >>> from fuel.schemes import SequentialScheme
    >>> from fuel.streams import DataStream
    >>> dataset = IndexableDataset({'x': numpy.arange(6)})
    >>> stream = MultiProcessing(DataStream(
    ...     dataset, iteration_scheme=SequentialScheme(6, 4)), max_store=2)
    >>> [batch[0].tolist() for batch in stream.get_epoch_iterator()]
    [[0, 1, 2, 3], [4, 5]]
    >>> stream.close()
    """
    def __init__(self, data_stream, max_store=100, **kwargs):
        check_data_stream(data_stream)
        if isinstance(max_store, bool) or not isinstance(max_store, int) or \
                max_store < 1:
            raise ValueError('max_store must be a positive integer, got {!r}'
                             .format(max_store))
        if data_stream.axis_labels:
            kwargs.setdefault('axis_labels', dict(data_stream.axis_labels))
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.max_store = max_store
        self._snapshot = None   # the wrapped stream's state, from the child
        self._within_epoch = False  # the snapshot is of an epoch's start
        self._consumed = 0      # batches received since the snapshot
        self._epoch_open = False    # an epoch was asked for and is not over
        self._worker = None
        self._finalizer = None

    # --- the child process ----------------------------------------------

    def _current_stream(self):
        if self._snapshot is None:
            return self.data_stream
        return load_snapshot(self._snapshot, stream_datasets(self.data_stream))

    def _start_worker(self):
        self._worker = _Worker(self._current_stream(), self.max_store)
        self._finalizer = weakref.finalize(self, _stop_worker, self._worker)

    def _stop_worker(self):
        if self._worker is not None:
            self._finalizer.detach()
            self._worker.stop()
            self._worker = None

    @property
    def background_process(self):
        """The child :class:`multiprocessing.Process`, or ``None`` when none runs."""
        return None if self._worker is None else self._worker.process

    # --- the stream interface ---------------------------------------------

    def get_epoch_iterator(self, **kwargs):
        if self._worker is not None and self._epoch_open:
            # The previous epoch was given up: restart from its snapshot.
            self._stop_worker()
        if self._worker is None:
            self._start_worker()
            gave_up = self._epoch_open and self._within_epoch
            self._worker.send('epoch', self._consumed if gave_up else None)
        else:
            self._worker.send('epoch', None)
        self._epoch_open = True
        return AbstractDataStream.get_epoch_iterator(self, **kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('MultiProcessing takes no requests, got {!r}'
                             .format(request))
        if not self._epoch_open:
            raise ValueError('MultiProcessing: call get_epoch_iterator() before '
                             'reading data')
        if self._worker is None:  # resumed from a pickle mid-epoch
            self._start_worker()
            if self._within_epoch:
                self._worker.send('resume', self._consumed)
            else:
                self._worker.send('epoch', None)
        while True:
            kind, payload, count = self._worker.receive()
            if kind == 'snapshot':
                self._snapshot, self._within_epoch = payload, True
                self._consumed = count
            elif kind == 'data':
                self._consumed += 1
                return payload
            elif kind == 'end':
                self._snapshot, self._within_epoch = payload, False
                self._consumed = 0
                self._epoch_open = False
                raise StopIteration
            else:
                self._stop_worker()
                self._epoch_open = False
                if sys.version_info >= (3, 11):
                    payload.add_note('in the background process of '
                                     'MultiProcessing:\n' + count)
                raise payload

    def close(self):
        self._stop_worker()
        self._epoch_open = False
        self.data_stream.close()

    def reset(self):
        self._stop_worker()
        self._snapshot, self._within_epoch, self._consumed = None, False, 0
        self._epoch_open = False
        self.data_stream.reset()

    def next_epoch(self):
        """Epochs follow each other in the background process; nothing to do."""

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_worker'] = None
        state['_finalizer'] = None
        return state
