import multiprocessing
import pickle
import socket
import time

import numpy
import pytest
from numpy.testing import assert_array_equal

from fuel.datasets import IndexableDataset
from fuel.exceptions import DataServerTimeout
from fuel.schemes import ShuffledScheme
from fuel.server import start_server
from fuel.streams import ServerDataStream
from fuel.transformers import Flatten, ScaleAndShift


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def make_stream():
    from fuel.streams import DataStream
    features = numpy.arange(11 * 2 * 2, dtype='float32').reshape(11, 2, 2)
    targets = numpy.arange(11, dtype='int64').reshape(11, 1)
    dataset = IndexableDataset({'features': features, 'targets': targets})
    return Flatten(ScaleAndShift(DataStream(
        dataset, iteration_scheme=ShuffledScheme(11, 4, rng=3)), 0.5, 1,
        which_sources=('features',)))


@pytest.fixture
def server():
    port = free_port()
    process = multiprocessing.get_context('spawn').Process(
        target=start_server, args=(make_stream(),),
        kwargs={'port': port, 'hwm': 2, 'host': '127.0.0.1'})
    process.start()
    yield port, process
    if process.is_alive():
        process.kill()
        process.join(5)


def test_server_delivers_the_batches_of_a_local_stream(server):
    port, process = server
    client = ServerDataStream(('features', 'targets'), False, host='127.0.0.1',
                              port=port, timeout=30)
    copy = pickle.loads(pickle.dumps(client))  # picklable, connects lazily
    local = make_stream()
    for _ in range(3):
        remote_batches = list(copy.get_epoch_iterator())
        local_batches = list(local.get_epoch_iterator())
        assert len(remote_batches) == len(local_batches) == 3
        for (a, b), (c, d) in zip(remote_batches, local_batches):
            assert_array_equal(a, c)
            assert_array_equal(b, d)
            assert a.dtype == c.dtype and b.dtype == d.dtype
    assert copy.connected
    assert not pickle.loads(pickle.dumps(copy)).connected
    copy.close()
    process.terminate()  # SIGTERM: the server closes its socket and returns
    process.join(10)
    assert process.exitcode == 0


def test_dead_server_is_a_clear_error_not_a_hang():
    client = ServerDataStream(('features',), False, host='127.0.0.1',
                              port=free_port(), timeout=0.3)
    start = time.monotonic()
    with pytest.raises(DataServerTimeout, match='no data from the data server at '
                                                'tcp://127.0.0.1:[0-9]+ for 0.3 '
                                                'seconds'):
        next(client.get_epoch_iterator())
    assert time.monotonic() - start < 5
    client.close()


def test_server_data_stream_arguments():
    with pytest.raises(TypeError, match='sources must be a tuple of source names'):
        ServerDataStream('features', False)
    with pytest.raises(ValueError, match='timeout must be a positive number'):
        ServerDataStream(('features',), False, timeout=0)
    with pytest.raises(ValueError, match='ServerDataStream takes no requests'):
        ServerDataStream(('features',), False).get_data(request=[1])


def test_send_and_receive_arrays_of_any_kind():
    import zmq
    from fuel.server import recv_arrays, send_arrays
    context = zmq.Context()
    pull = context.socket(zmq.PULL)
    push = context.socket(zmq.PUSH)
    pull.bind('inproc://arrays')
    push.connect('inproc://arrays')
    ragged = numpy.empty(2, dtype=object)
    ragged[0], ragged[1] = [1, 2, 3], [4]
    sent = [numpy.arange(6.).reshape(2, 3).T, numpy.int16(7), ragged,
            numpy.array(['ab', 'c'])]
    try:
        send_arrays(push, sent)
        received = recv_arrays(pull, timeout=5)
        send_arrays(push, None, stop=True)
        with pytest.raises(StopIteration):
            recv_arrays(pull, timeout=5)
    finally:
        push.close(linger=0)
        pull.close(linger=0)
        context.term()
    assert_array_equal(received[0], sent[0])
    assert received[1].shape == () and received[1] == 7
    assert received[2].tolist() == [[1, 2, 3], [4]]
    assert received[3].tolist() == ['ab', 'c']
    received[0][0, 0] = -1  # writable
