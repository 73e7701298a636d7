"""background_stream: what MultiProcessing buys on an expensive transformer chain.

The stream: MNIST training images (uint8, ``(batch, 1, 28, 28)``) in batches
of 100, through ``Random2DRotation(resample='bilinear')`` (one
``scipy.ndimage.rotate`` per image), ``RandomFixedSizeCrop((24, 24))`` and
the pixels scaled to [0, 1] in floatX: a typical augmentation chain whose
batches cost milliseconds each to prepare.

``background_stream/read``
    One epoch read and thrown away: the plain stream against the same
    stream wrapped in ``MultiProcessing(max_store=20)``. With nothing to
    overlap, this shows the overhead of the background process (pickling
    each batch through a queue).
``background_stream/train``
    The same epoch with a stand-in for a training step after each batch (a
    forward and backward pass of a 576-1024-10 MLP in NumPy, with the same
    BLAS threads), so that preparing the next batch can overlap with using
    this one: the case MultiProcessing is for. The notes give the speed-up.

The PyTorch column: ``DataLoader(num_workers=1)`` over a dataset that returns
whole batches (``BatchSampler`` as sampler, ``batch_size=None``) prepared by
the same NumPy/SciPy augmentation code, followed by the same training
stand-in: the same work, prefetched by PyTorch's worker process.

Timed: the median of ``repeats`` epochs after a warm-up epoch. On a shared
machine (two cores used by several jobs) the speed-up is bounded by the cores
actually free.
"""
import math

import numpy

from benchmarks.common import Result, median, time_calls

BATCH_SIZE = 100
EXAMPLES = 3000
QUICK_EXAMPLES = 300
MAX_STORE = 20
HIDDEN = 1024


def mnist_images(quick):
    from fuel.datasets import MNIST
    count = QUICK_EXAMPLES if quick else EXAMPLES
    mnist = MNIST(('train',), subset=slice(0, count), load_in_memory=True)
    features, targets = (numpy.asarray(array) for array in mnist.data_sources)
    return features, targets


def augmented_stream(features, targets):
    """The expensive chain, over in-memory arrays."""
    from fuel.datasets import IndexableDataset
    from fuel.schemes import SequentialScheme
    from fuel.streams import DataStream
    from fuel.transformers import ScaleAndShift
    from fuel.transformers.image import Random2DRotation, RandomFixedSizeCrop
    from fuel import config
    labels = ('batch', 'channel', 'height', 'width')
    dataset = IndexableDataset({'features': features, 'targets': targets},
                               axis_labels={'features': labels,
                                            'targets': ('batch', 'index')})
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(
        len(features), BATCH_SIZE))
    stream = Random2DRotation(stream, maximum_rotation=math.pi / 8,
                              resample='bilinear', which_sources=('features',),
                              rng=1)
    stream = RandomFixedSizeCrop(stream, (24, 24), which_sources=('features',),
                                 rng=2)
    stream = ScaleAndShift(stream, 1 / 255.0, 0, which_sources=('features',))
    from fuel.transformers import Cast
    return Cast(stream, config.floatX, which_sources=('features',))


class TrainingStandIn:
    """A forward and backward pass of a small MLP in NumPy, on each batch."""
    def __init__(self, dtype):
        rng = numpy.random.RandomState(0)
        self.weights = [rng.normal(0, 0.01, (576, HIDDEN)).astype(dtype),
                        rng.normal(0, 0.01, (HIDDEN, 10)).astype(dtype)]

    def __call__(self, features):
        inputs = features.reshape(len(features), -1)
        hidden = numpy.tanh(inputs @ self.weights[0])
        output = hidden @ self.weights[1]
        grad_hidden = (output @ self.weights[1].T) * (1 - hidden ** 2)
        return (hidden.T @ output).sum() + (inputs.T @ grad_hidden).sum()


def fuel_epoch(stream, step=None):
    batches = 0
    for features, _ in stream.get_epoch_iterator():
        if step is not None:
            step(features)
        batches += 1
    return batches


def torch_loader(torch, features, targets):
    """A DataLoader with one worker running the same augmentation per batch."""
    from fuel.transformers.image import rotate

    class AugmentedBatches(torch.utils.data.Dataset):
        def __init__(self):
            self.rng = numpy.random.RandomState(1)

        def __len__(self):
            return len(features)

        def __getitem__(self, indices):
            images = features[indices]
            angles = self.rng.uniform(-math.pi / 8, math.pi / 8, len(images))
            rotated = numpy.stack([rotate(image, angle, 'bilinear')
                                   for image, angle in zip(images, angles)])
            tops = self.rng.randint(0, 5, len(images))
            lefts = self.rng.randint(0, 5, len(images))
            cropped = numpy.stack([image[:, top:top + 24, left:left + 24]
                                   for image, top, left
                                   in zip(rotated, tops, lefts)])
            return cropped * (1 / 255.0), targets[indices]

    sampler = torch.utils.data.BatchSampler(
        torch.utils.data.SequentialSampler(range(len(features))), BATCH_SIZE,
        False)
    return torch.utils.data.DataLoader(AugmentedBatches(), sampler=sampler,
                                       batch_size=None, num_workers=1,
                                       persistent_workers=True)


def torch_epoch(loader, step=None):
    batches = 0
    for features, _ in loader:
        if step is not None:
            step(features.numpy())
        batches += 1
    return batches


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark; one :class:`~benchmarks.common.Result` per variant."""
    from fuel import config
    from fuel.transformers import MultiProcessing
    features, targets = mnist_images(quick)
    step = TrainingStandIn(config.floatX)
    plain = augmented_stream(features, targets)
    background = MultiProcessing(augmented_stream(features, targets),
                                 max_store=MAX_STORE)
    first_plain = next(plain.get_epoch_iterator())
    first_background = next(background.get_epoch_iterator())
    for value, reference in zip(first_background, first_plain):
        numpy.testing.assert_array_equal(value, reference)
    loader = torch_loader(torch, features, targets) if torch is not None else None
    results = []
    try:
        for name, work in (('read', None), ('train', step)):
            def plain_epoch():
                return fuel_epoch(plain, work)

            def background_epoch():
                return fuel_epoch(background, work)
            batches = plain_epoch()
            plain_time = median(time_calls(plain_epoch, repeats))
            background_time = median(time_calls(background_epoch, repeats))
            torch_time = None
            if loader is not None:
                torch_time = median(time_calls(lambda: torch_epoch(loader, work),
                                               repeats))
            results.append(Result(
                'background_stream/' + name, background_time, torch_time,
                blocks_rate=batches / background_time,
                torch_rate=batches / torch_time if torch_time else None,
                unit='batches/s',
                notes='MultiProcessing(max_store={}) {:.3g} s vs. the plain '
                      'stream {:.3g} s: x{:.2f}; {} batches of {}{}'.format(
                          MAX_STORE, background_time, plain_time,
                          plain_time / background_time, batches, BATCH_SIZE,
                          '' if work is None else
                          ', each followed by a 576-{}-10 MLP step in '
                          'NumPy'.format(HIDDEN))))
    finally:
        background.close()
        loader = None
    return results
