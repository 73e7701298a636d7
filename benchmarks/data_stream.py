"""data_stream: batches per second of the tutorial's MNIST stream.

One epoch of the introduction tutorial's training stream (``MNIST(('train',))``
with its default transformers, which scale the uint8 pixels to [0, 1] and cast
them to floatX, then ``Flatten``; ``SequentialScheme`` with batches of 256),
read three ways:

``data_stream/memory``
    ``MNIST(('train',), load_in_memory=True)``: each batch is one NumPy
    indexing of the arrays in memory.
``data_stream/hdf5``
    ``MNIST(('train',), load_in_memory=False)``: each batch is read from
    ``mnist.hdf5`` through h5py.
``data_stream/server``
    The in-memory stream served by :func:`fuel.server.start_server` in a
    subprocess on 127.0.0.1 (a free port), read with a
    :class:`~fuel.streams.ServerDataStream`. The server prefetches up to its
    high-water mark (10 batches) while the client reads, in parallel.

Each is timed next to ``torch.utils.data.DataLoader(TensorDataset(features,
targets), batch_size=256, num_workers=0)`` over the same uint8 arrays, each
batch then scaled, cast and flattened like Fuel's (the first batches are
checked equal). That DataLoader indexes the dataset once per example and
collates; the ``memory`` row's notes also give the batches per second of a
DataLoader that indexes whole batches (``sampler=BatchSampler(...)``,
``batch_size=None``). Timed: the median of ``repeats`` epochs after a warm-up epoch.
"""
import os
import subprocess
import sys
import time

import numpy

from benchmarks.common import (QUICK_MNIST_EXAMPLES, Result, free_port, median,
                               repository_root, time_calls, torch_dtype,
                               tutorial_stream)

BATCH_SIZE = 256
SOURCES = ('features', 'targets')


def count_epoch(stream):
    """Read one epoch of `stream`; the number of batches."""
    batches = 0
    for _ in stream.get_epoch_iterator():
        batches += 1
    return batches


def time_epochs(stream, repeats):
    """``(median epoch seconds, batches per epoch)`` of a stream."""
    batches = count_epoch(stream)
    return median(time_calls(lambda: count_epoch(stream), repeats,
                             warmup=0)), batches


def torch_loader(torch, quick, batched=False):
    """The DataLoader over the uint8 MNIST arrays, and the batch transform.

    The DataLoader indexes the dataset once per example and collates the
    examples (the common use), or, with `batched`, once per batch (a
    ``BatchSampler`` as its sampler and ``batch_size=None``).
    """
    from fuel.datasets import MNIST
    kwargs = {'subset': slice(0, QUICK_MNIST_EXAMPLES)} if quick else {}
    mnist = MNIST(('train',), load_in_memory=True, **kwargs)
    features, targets = (numpy.asarray(array) for array in mnist.data_sources)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(features),
                                             torch.from_numpy(targets))
    if batched:
        sampler = torch.utils.data.BatchSampler(
            torch.utils.data.SequentialSampler(dataset), BATCH_SIZE, False)
        loader = torch.utils.data.DataLoader(dataset, sampler=sampler,
                                             batch_size=None, num_workers=0)
    else:
        loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE,
                                             shuffle=False, num_workers=0)
    dtype = torch_dtype(torch)

    def transform(images, labels):
        # As Fuel: ScaleAndShift(1 / 255.) computes in float64, Cast to floatX.
        images = images.to(torch.float64).mul_(1 / 255.0).to(dtype)
        return images.reshape(len(images), -1), labels
    return loader, transform


def torch_epoch(loader, transform):
    """Read and transform one epoch of the DataLoader; the number of batches."""
    batches = 0
    for images, labels in loader:
        transform(images, labels)
        batches += 1
    return batches


def serve(port, quick):
    """The data server's process: serve the in-memory stream until SIGTERM."""
    from fuel.server import start_server
    start_server(tutorial_stream(quick, load_in_memory=True), port=port,
                 host='127.0.0.1')


def time_server(quick, repeats):
    """``(median epoch seconds, batches, startup seconds)`` through a server."""
    from fuel.streams import ServerDataStream

    port = free_port()
    command = [sys.executable, '-m', 'benchmarks.data_stream', '--serve',
               str(port)] + (['--quick'] if quick else [])
    environment = dict(os.environ)
    environment['PYTHONPATH'] = os.pathsep.join(
        [repository_root()] + [path for path in
                               [environment.get('PYTHONPATH')] if path])
    start = time.perf_counter()
    server = subprocess.Popen(command, cwd=repository_root(), env=environment)
    stream = ServerDataStream(SOURCES, False, host='127.0.0.1', port=port,
                              timeout=120)
    try:
        batches = count_epoch(stream)  # warm-up: includes the server's start
        startup = time.perf_counter() - start
        epoch = median(time_calls(lambda: count_epoch(stream), repeats,
                                  warmup=0))
    finally:
        stream.close()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            server.kill()
            server.wait()
    return epoch, batches, startup


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark; one :class:`~benchmarks.common.Result` per variant."""
    reference = torch_batches = batched_rate = None
    if torch is not None:
        loader, transform = torch_loader(torch, quick)
        fuel_features, fuel_targets = next(
            tutorial_stream(quick, load_in_memory=True).get_epoch_iterator())
        images, labels = transform(*next(iter(loader)))
        numpy.testing.assert_array_equal(images.numpy(), fuel_features)
        numpy.testing.assert_array_equal(labels.numpy(), fuel_targets)
        torch_epoch(loader, transform)  # warm-up
        reference = median(time_calls(lambda: torch_epoch(loader, transform),
                                      repeats, warmup=0))
        torch_batches = torch_epoch(loader, transform)
        loader, transform = torch_loader(torch, quick, batched=True)
        images, labels = transform(*next(iter(loader)))
        numpy.testing.assert_array_equal(images.numpy(), fuel_features)
        torch_epoch(loader, transform)  # warm-up
        batched_rate = torch_batches / median(time_calls(
            lambda: torch_epoch(loader, transform), repeats, warmup=0))
    results = []
    for name, load_in_memory in (('memory', True), ('hdf5', False)):
        stream = tutorial_stream(quick, load_in_memory=load_in_memory)
        epoch, batches = time_epochs(stream, repeats)
        results.append(Result(
            'data_stream/' + name, epoch, reference,
            blocks_rate=batches / epoch,
            torch_rate=torch_batches / reference if reference else None,
            unit='batches/s',
            notes='MNIST(load_in_memory={}), {} batches of {}{}'.format(
                load_in_memory, batches, BATCH_SIZE,
                '' if batched_rate is None or not load_in_memory else
                '; PyTorch indexing whole batches (BatchSampler as sampler, '
                'batch_size=None): {:.4g} batches/s'.format(batched_rate))))
    try:
        epoch, batches, startup = time_server(quick, repeats)
    except Exception as error:  # the server is optional: report, don't fail
        print('data_stream/server failed: {!r}'.format(error), file=sys.stderr)
        results.append(Result('data_stream/server', None, reference,
                              notes='failed: {}'.format(
                                  type(error).__name__)))
        return results
    results.append(Result(
        'data_stream/server', epoch, reference, blocks_rate=batches / epoch,
        torch_rate=torch_batches / reference if reference else None,
        unit='batches/s',
        notes='start_server in a subprocess + ServerDataStream on 127.0.0.1; '
              'first epoch incl. server start {:.3g} s'.format(startup)))
    return results


def main(argv=None):
    """``python -m benchmarks.data_stream --serve PORT [--quick]``."""
    import argparse
    parser = argparse.ArgumentParser(description=serve.__doc__)
    parser.add_argument('--serve', type=int, required=True, metavar='PORT')
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args(argv)
    serve(args.serve, args.quick)


if __name__ == '__main__':
    main()
