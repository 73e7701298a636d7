"""Benchmark: one epoch of the tutorial's MNIST stream, against PyTorch's DataLoader.

Runs the introduction tutorial's pipeline (MNIST, the default transformers
that scale the pixels to [0, 1] and cast them to floatX, then ``Flatten``) for
an epoch of batches of 256, sequential and shuffled, and the same work with a
``torch.utils.data.DataLoader`` over the same uint8 arrays (batch sampler,
scale, cast, flatten) when PyTorch is installed (``pip install -e .[bench]``).
Also times building ``mnist.hdf5`` from the shipped files. Run by hand::

    python benchmarks/fuel_streams.py

The data path is a temporary directory, so nothing outside it is written.
"""
import os
import shutil
import tempfile
import time

import numpy


def best_of(function, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    data_path = tempfile.mkdtemp(prefix='fuel-bench-')
    os.environ['FUEL_DATA_PATH'] = data_path
    try:
        run()
    finally:
        shutil.rmtree(data_path, ignore_errors=True)


def run():
    from fuel import config
    from fuel.converters.mnist import build_shipped_mnist
    from fuel.datasets import MNIST
    from fuel.schemes import SequentialScheme, ShuffledScheme
    from fuel.streams import DataStream
    from fuel.transformers import Flatten

    start = time.perf_counter()
    build_shipped_mnist()
    print('building mnist.hdf5: {:.2f} s'.format(time.perf_counter() - start))
    mnist = MNIST(('train',))
    floatX = config.floatX
    results = {}
    for name, scheme in (('sequential', SequentialScheme(60000, 256)),
                         ('shuffled', ShuffledScheme(60000, 256, rng=1))):
        stream = Flatten(DataStream.default_stream(mnist, iteration_scheme=scheme))

        def epoch():
            for _ in stream.get_epoch_iterator():
                pass
        results[name] = best_of(epoch)
        print('fuel {:<10} epoch: {:.4f} s'.format(name, results[name]))
    try:
        import torch
    except ImportError:
        print('PyTorch is not installed; no comparison (pip install -e .[bench])')
        return
    torch.set_num_threads(1)
    features, targets = mnist.data_sources
    dtype = getattr(torch, floatX)
    tensors = torch.utils.data.TensorDataset(torch.from_numpy(numpy.array(features)),
                                             torch.from_numpy(numpy.array(targets)))

    def collate(batch):
        images = torch.stack([image for image, _ in batch])
        labels = torch.stack([label for _, label in batch])
        return (images.to(dtype) * (1 / 255.)).reshape(len(batch), -1), labels

    for name, shuffle in (('sequential', False), ('shuffled', True)):
        loader = torch.utils.data.DataLoader(tensors, batch_size=256,
                                             shuffle=shuffle, collate_fn=collate)

        def epoch():
            for _ in loader:
                pass
        reference = best_of(epoch)
        print('torch {:<10} epoch: {:.4f} s; fuel / torch = {:.2f}'.format(
            name, reference, results[name] / reference))


if __name__ == '__main__':
    main()
