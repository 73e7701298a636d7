"""big_mlp: a matmul-bound epoch, against NumPy's matmul peak.

A 784-1024-1024-10 MLP (``Tanh``, ``Tanh``, ``Softmax``; weights
``IsotropicGaussian(0.01)``, biases 0) trained with ``CategoricalCrossEntropy``
and ``GradientDescent`` with ``Scale(0.01)`` on batches of 128 for an epoch of
60,000 MNIST-sized random examples (uniform pixels, random labels; an
``IndexableDataset`` in memory, so that Fuel does no preprocessing), in a
:class:`~blocks.main_loop.MainLoop`, against the same training in PyTorch.
Timing as in :mod:`benchmarks.training` (median of the epochs after the
first).

The achieved GFLOP/s count the matrix products only, per example:
``2 * sum(in * out)`` forward, as much again for the weight gradients, and
``2 * sum(in * out)`` over all layers but the first for the input gradients.
They are printed next to the GFLOP/s of ``numpy.dot`` (and ``torch.mm``) of
two 1024 x 1024 matrices in floatX on this machine with the same threads:
the peak this BLAS reaches.
"""
from collections import OrderedDict

import numpy

from benchmarks.common import (Result, check_parameters, floatX,
                               max_abs_difference, median, time_calls,
                               torch_dtype)
from benchmarks.training import (blocks_summary, parameter_pairs, run_blocks,
                                 run_torch, torch_mlp)

DIMS = (784, 1024, 1024, 10)
QUICK_DIMS = (784, 128, 128, 10)
EXAMPLES = 60000
QUICK_EXAMPLES = 1024
BATCH_SIZE = 128
LEARNING_RATE = 0.01
PEAK_SIZE = 1024
QUICK_PEAK_SIZE = 256


def flops_per_example(dims):
    """Floating-point operations of the matrix products of one training example.

    >>> flops_per_example((2, 3, 4))
    96
    """
    products = [fan_in * fan_out for fan_in, fan_out in zip(dims[:-1], dims[1:])]
    return 2 * sum(products) + 2 * sum(products) + 2 * sum(products[1:])


def random_data(examples, dims, seed=1):
    """MNIST-sized random features in [0, 1) and labels, ``(features, targets)``."""
    rng = numpy.random.RandomState(seed)
    features = rng.uniform(size=(examples, dims[0])).astype(floatX())
    targets = rng.randint(dims[-1], size=(examples, 1)).astype(numpy.int64)
    return features, targets


def matmul_peak(size, repeats, torch=None):
    """GFLOP/s of ``numpy.dot`` (and ``torch.mm``) of two square matrices."""
    rng = numpy.random.RandomState(0)
    a = rng.uniform(size=(size, size)).astype(floatX())
    b = rng.uniform(size=(size, size)).astype(floatX())
    flops = 2.0 * size ** 3
    numpy_peak = flops / median(time_calls(lambda: numpy.dot(a, b), repeats)) / 1e9
    torch_peak = None
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        assert ta.dtype == torch_dtype(torch)
        torch_peak = flops / median(time_calls(lambda: torch.mm(ta, tb),
                                               repeats)) / 1e9
    return numpy_peak, torch_peak


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark; a list with one :class:`~benchmarks.common.Result`."""
    from pytensor import tensor

    from blocks.bricks import MLP, Softmax, Tanh
    from blocks.bricks.cost import CategoricalCrossEntropy
    from blocks.graph import ComputationGraph
    from blocks.initialization import Constant, IsotropicGaussian
    from fuel.datasets import IndexableDataset
    from fuel.schemes import SequentialScheme
    from fuel.streams import DataStream

    dims = QUICK_DIMS if quick else DIMS
    examples = QUICK_EXAMPLES if quick else EXAMPLES
    epochs = 1 + repeats
    features, targets = random_data(examples, dims)

    x = tensor.matrix('features')
    y = tensor.lmatrix('targets')
    mlp = MLP(activations=[Tanh(), Tanh(), Softmax()], dims=list(dims),
              weights_init=IsotropicGaussian(0.01), biases_init=Constant(0))
    mlp.initialize()
    cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
    cost.name = 'cost'
    parameters = ComputationGraph(cost).parameters
    linears = mlp.linear_transformations
    model = None
    if torch is not None:
        model = torch_mlp(torch, linears, ['tanh', 'tanh', None])

    dataset = IndexableDataset(OrderedDict([('features', features),
                                            ('targets', targets)]))
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(
        examples, batch_size=BATCH_SIZE))
    timings = run_blocks(cost, parameters, stream, LEARNING_RATE, epochs)
    epoch, compile_time, first_call = blocks_summary('big_mlp', timings)
    flops = float(flops_per_example(dims)) * examples
    numpy_peak, torch_peak = matmul_peak(
        QUICK_PEAK_SIZE if quick else PEAK_SIZE, max(repeats, 3), torch)
    notes = ['{} examples, dims {}'.format(examples, '-'.join(map(str, dims))),
             'compile = initialize {:.3g} s + first call {:.3g} s'.format(
                 timings['initialization'], first_call),
             'numpy.dot peak {:.4g} GFLOP/s'.format(numpy_peak)]
    torch_epoch = torch_rate = None
    if torch is not None:
        torch_times = run_torch(torch, model, features, targets, BATCH_SIZE,
                                LEARNING_RATE, epochs)
        torch_epoch = median(torch_times[1:])
        torch_rate = flops / torch_epoch / 1e9
        notes.append('torch.mm peak {:.4g} GFLOP/s'.format(torch_peak))
        difference = max_abs_difference(parameter_pairs(linears, model, torch))
        notes.append('max |dparam| {:.2g} after {} epochs'.format(
            difference, epochs))
        check_parameters('big_mlp', difference)
    return [Result('big_mlp', epoch, torch_epoch, compile=compile_time,
                   blocks_rate=flops / epoch / 1e9, torch_rate=torch_rate,
                   unit='GFLOP/s', notes='; '.join(notes))]
