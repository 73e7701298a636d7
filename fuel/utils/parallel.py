"""A producer in another process feeding a consumer in this one through ZeroMQ."""
import multiprocessing


import zmq

__all__ = ['producer_consumer']


def _producer_wrapper(producer, port, addr='tcp://127.0.0.1'):
    context = zmq.Context()
    try:
        socket = context.socket(zmq.PUSH)
        socket.connect('{}:{}'.format(addr, port))
        producer(socket)
        socket.close(linger=-1)
    finally:
        context.term()


def _process_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context('fork' if 'fork' in methods else None)


def producer_consumer(producer, consumer, addr='tcp://127.0.0.1', port=None,
                      context=None):
    """Run ``producer`` in a child process and ``consumer`` here, joined by a socket.

    Parameters
    ----------
    producer : callable
        Called in a new process with a ZeroMQ ``PUSH`` socket; sends what it
        produces through it (e.g. with :func:`fuel.server.send_arrays`).
    consumer : callable
        Called in this process with the ``PULL`` socket; its return value is
        returned.
    addr : str, optional
        The address to bind to. Default ``'tcp://127.0.0.1'``.
    port : int, optional
        The port; a free one is chosen by default.
    context : zmq.Context, optional
        The context of the consumer's socket; one is made (and destroyed) by
        default.

    Returns
    -------
    object
        What ``consumer`` returned.

    Notes
    -----
    The producer's process is started with ``fork`` where the platform has
    it, so that ``producer`` may be a closure; it is terminated when the
    consumer returns or fails.

    Examples
    --------
    >>> def produce(socket):
    ...     for number in range(3):
    ...         socket.send_pyobj(number)
    >>> def consume(socket):
    ...     return [socket.recv_pyobj() for _ in range(3)]
    >>> producer_consumer(produce, consume)
    [0, 1, 2]
    """
    context_created = context is None
    if context_created:
        context = zmq.Context()
    try:
        socket = context.socket(zmq.PULL)
        if port is None:
            port = socket.bind_to_random_port(addr)
        else:
            socket.bind('{}:{}'.format(addr, port))
        process = _process_context().Process(
            target=_producer_wrapper, args=(producer, port, addr), daemon=True)
        process.start()
        try:
            return consumer(socket)
        finally:
            if process.is_alive():
                process.terminate()
            process.join()
            socket.close(linger=0)
    finally:
        if context_created:
            context.destroy(linger=0)
