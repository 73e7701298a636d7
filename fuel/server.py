"""A data server: run a data stream in its own process and send its data over ZeroMQ.

Preprocessing in Python holds the GIL; running it in another process keeps the
training process free. The server process runs :func:`start_server` on a
data stream; the training process reads the data with a
:class:`~fuel.streams.ServerDataStream`::

    # server.py, run as a separate process (python server.py)
    from fuel.server import start_server
    start_server(stream, port=5557)

    # in the training script
    from fuel.streams import ServerDataStream
    stream = ServerDataStream(('features', 'targets'), produces_examples=False)

The server sends the batches of one epoch after another, with an end-of-epoch
marker between epochs, and blocks when ``hwm`` batches wait unread. It stops
cleanly on ``SIGINT`` or ``SIGTERM`` (or ``KeyboardInterrupt``).

Examples
--------
>>> import numpy
>>> arrays = [numpy.arange(6).reshape(2, 3), numpy.array(['a', 'b'])]
>>> [header['shape'] for header in array_headers(arrays)]
[[2, 3], [2]]
"""
import logging
import pickle
import signal
import threading

import numpy

from fuel.exceptions import DataServerTimeout

logger = logging.getLogger(__name__)
POLL_MILLISECONDS = 100


def array_headers(arrays):
    """The JSON headers that describe each array's dtype and shape."""
    headers = []
    for array in arrays:
        if array.dtype.hasobject:
            headers.append({'pickled': True, 'shape': list(array.shape)})
        else:
            headers.append({'descr': numpy.lib.format.dtype_to_descr(array.dtype),
                            'shape': list(array.shape)})
    return headers


def send_arrays(socket, arrays, stop=False):
    """Send a list of arrays (or the end-of-epoch marker) over a ZeroMQ socket.

    Each array is sent as its raw buffer after a JSON header with its dtype
    and shape; arrays of Python objects (e.g. sequences of different lengths)
    are pickled.

    Parameters
    ----------
    socket : :class:`zmq.Socket`
        The socket to send on.
    arrays : list of array-like
        The data of one batch or example, one entry per source.
    stop : bool, optional
        Send the end-of-epoch marker instead.
    """
    import zmq
    if stop:
        socket.send_json({'stop': True})
        return
    arrays = [numpy.asarray(array, order='C') for array in arrays]
    headers = array_headers(arrays)
    if not arrays:
        socket.send_json(headers)
        return
    socket.send_json(headers, zmq.SNDMORE)
    for i, array in enumerate(arrays):
        flags = zmq.SNDMORE if i < len(arrays) - 1 else 0
        if array.dtype.hasobject:
            socket.send(pickle.dumps(array, protocol=pickle.HIGHEST_PROTOCOL),
                        flags)
        else:
            socket.send(array, flags, copy=False)


def recv_arrays(socket, timeout=None, address=None):
    """Receive what :func:`send_arrays` sent.

    Parameters
    ----------
    socket : :class:`zmq.Socket`
        The socket to receive on.
    timeout : float, optional
        Seconds to wait for the data before raising
        :class:`~fuel.exceptions.DataServerTimeout`; ``None`` waits forever.
    address : str, optional
        The server's address, for the error message.

    Returns
    -------
    list of numpy.ndarray

    Raises
    ------
    StopIteration
        When the server marked the end of an epoch.
    """
    _wait_for_data(socket, timeout, address)
    headers = socket.recv_json()
    if isinstance(headers, dict) and headers.get('stop'):
        raise StopIteration
    arrays = []
    for header in headers:
        frame = socket.recv(copy=False)
        if header.get('pickled'):
            arrays.append(pickle.loads(frame.bytes))
            continue
        array = numpy.frombuffer(frame.buffer,
                                 dtype=numpy.lib.format.descr_to_dtype(
                                     _descr(header['descr'])))
        arrays.append(array.reshape(header['shape']).copy())  # writable
    return arrays


def _descr(descr):
    """JSON turns the tuples of a structured dtype's description into lists."""
    if isinstance(descr, list):
        return [tuple(_descr(item) if isinstance(item, list) else item
                      for item in field) for field in descr]
    return descr


def _wait_for_data(socket, timeout, address):
    import time
    import zmq
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = POLL_MILLISECONDS
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DataServerTimeout(
                    'no data from the data server at {} for {} seconds; is '
                    'fuel.server.start_server running there? (the timeout '
                    'argument of ServerDataStream sets this limit)'.format(
                        address or 'its address', timeout))
            wait = max(1, min(wait, int(left * 1000)))
        if socket.poll(wait, zmq.POLLIN):
            return


class _Stop(Exception):
    """Raised by the server's signal handler."""


def _raise_stop(signum, frame):
    raise _Stop(signum)


def start_server(data_stream, port=5557, hwm=10, host='*'):
    """Serve the data of a stream over ZeroMQ until stopped.

    Sends the stream's epochs one after the other, forever; the end of each
    epoch is marked so that the client's epochs match. Meant to run in its
    own process. ``SIGINT`` or ``SIGTERM`` stop it cleanly: the socket is
    closed and the function returns.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to serve, with all its transformers.
    port : int, optional
        The port to listen on. Default 5557.
    hwm : int, optional
        The high-water mark: how many batches may be queued before sending
        blocks. Default 10.
    host : str, optional
        The interface to listen on: ``'*'`` (all, the default) or an address
        such as ``'127.0.0.1'``.
    """
    import zmq
    context = zmq.Context()
    socket = context.socket(zmq.PUSH)
    socket.set_hwm(hwm)
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind('tcp://{}:{}'.format(host, port))
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main_thread:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _raise_stop)
    logger.info('data server started on port %s', port)
    try:
        iterator = data_stream.get_epoch_iterator()
        while True:
            try:
                data, stop = next(iterator), False
            except StopIteration:
                iterator = data_stream.get_epoch_iterator()
                data, stop = None, True
            while not socket.poll(POLL_MILLISECONDS, zmq.POLLOUT):
                pass
            send_arrays(socket, data, stop=stop)
    except (_Stop, KeyboardInterrupt):
        logger.info('data server stopped')
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        socket.close(linger=0)
        context.term()
