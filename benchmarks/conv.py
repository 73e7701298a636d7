"""conv: convolution and pooling Ops, and a LeNet epoch, next to PyTorch.

Rows (each in float32 and float64, whatever ``floatX`` is, except the
epoch):

* ``conv/layer1``: a batch of 128 x 1 x 28 x 28 images, 32 filters 5x5,
  ``'valid'``;
* ``conv/layer2``: 128 x 32 x 12 x 12, 64 filters 5x5;
* ``pool/max2x2``: max pooling 2x2 of 128 x 32 x 24 x 24.

Each is timed forward and backward: one compiled function returning the
gradients of ``0.5 * sum(y ** 2)`` with respect to the input (and the
filters), compiled in the configured mode (:mod:`blocks.ops` runs NumPy
code there), against ``torch.nn.functional.conv2d`` / ``max_pool2d`` and
``backward()`` on the same arrays with the same threads. Both sides'
gradients are compared once (the PyTorch convolution is a
cross-correlation, so it gets the flipped filters).

``lenet_epoch`` trains the LeNet of ``examples/mnist_lenet.py`` (``'valid'``
convolutions of 20 and 50 maps 5x5, rectifiers, max pooling 2x2, 500
rectifiers, softmax) with SGD (learning rate 0.1) on MNIST in batches of
500 through a :class:`~blocks.main_loop.MainLoop`, timed as ``mlp_epoch``
(``1 + repeats`` epochs, the median of all but the first), against the same
network in PyTorch (``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.Linear``, holding
the same initial values) trained on the same batches; the parameters of
both must agree at the end.
"""
import numpy

from benchmarks.common import (Result, check_parameters, max_abs_difference,
                               median, stream_arrays, time_calls, floatX,
                               torch_dtype)
from benchmarks.training import blocks_summary, run_blocks, run_torch

CONV_LAYERS = (('conv/layer1', (128, 1, 28, 28), (32, 1, 5, 5)),
               ('conv/layer2', (128, 32, 12, 12), (64, 32, 5, 5)))
QUICK_CONV_LAYERS = (('conv/layer1', (8, 1, 12, 12), (4, 1, 5, 5)),
                     ('conv/layer2', (8, 4, 8, 8), (6, 4, 3, 3)))
POOL_INPUT, QUICK_POOL_INPUT = (128, 32, 24, 24), (8, 4, 8, 8)
BATCH_SIZE = 500
LEARNING_RATE = 0.1
QUICK_EXAMPLES = 1000


def _compile(inputs, outputs):
    from blocks.utils import compile_function
    return compile_function(inputs, outputs)


def conv_row(name, image_shape, filter_shape, dtype, repeats, torch):
    """Forward + backward of one convolution layer."""
    from pytensor import grad, tensor
    from blocks.ops import conv2d

    rng = numpy.random.default_rng(0)
    image = rng.normal(size=image_shape).astype(dtype)
    filters = (0.1 * rng.normal(size=filter_shape)).astype(dtype)
    x = tensor.tensor4('x', dtype=dtype)
    w = tensor.tensor4('w', dtype=dtype)
    cost = 0.5 * (conv2d(x, w) ** 2).sum()
    function = _compile([x, w], grad(cost, [x, w]))
    blocks_time = median(time_calls(lambda: function(image, filters),
                                    repeats))
    notes = 'fwd+bwd of 0.5*sum(conv2d(x, W)**2) w.r.t. x and W'
    torch_time = None
    if torch is not None:
        flipped = numpy.ascontiguousarray(filters[:, :, ::-1, ::-1])
        tx = torch.from_numpy(image).requires_grad_()
        tw = torch.from_numpy(flipped).requires_grad_()

        def step():
            tx.grad = tw.grad = None
            output = torch.nn.functional.conv2d(tx, tw)
            (0.5 * (output ** 2).sum()).backward()
        torch_time = median(time_calls(step, repeats))
        gx, gw = function(image, filters)
        difference = max_abs_difference(
            [(gx, tx.grad.numpy()), (gw, tw.grad.numpy()[:, :, ::-1, ::-1])])
        scale = max(float(numpy.abs(gw).max()), 1.0)
        notes += '; max |dgrad| / max |grad| {:.2g}'.format(difference / scale)
    return Result('{} {}'.format(name, dtype), blocks_time, torch_time,
                  notes=notes)


def pool_row(input_shape, dtype, repeats, torch):
    """Forward + backward of 2x2 max pooling."""
    from pytensor import grad, tensor
    from blocks.ops import pool_2d

    image = numpy.random.default_rng(1).normal(size=input_shape).astype(dtype)
    x = tensor.tensor4('x', dtype=dtype)
    cost = 0.5 * (pool_2d(x, (2, 2), ignore_border=True) ** 2).sum()
    function = _compile([x], grad(cost, x))
    blocks_time = median(time_calls(lambda: function(image), repeats))
    notes = 'fwd+bwd of 0.5*sum(max_pool(x)**2) w.r.t. x'
    torch_time = None
    if torch is not None:
        tx = torch.from_numpy(image).requires_grad_()

        def step():
            tx.grad = None
            output = torch.nn.functional.max_pool2d(tx, 2)
            (0.5 * (output ** 2).sum()).backward()
        torch_time = median(time_calls(step, repeats))
        difference = max_abs_difference([(function(image), tx.grad.numpy())])
        notes += '; max |dgrad| {:.2g}'.format(difference)
    return Result('pool/max2x2 {}'.format(dtype), blocks_time, torch_time,
                  notes=notes)


def torch_lenet(torch, convnet):
    """An ``nn.Sequential`` copy of the example's initialized LeNet."""
    from blocks.bricks.conv import Convolutional
    dtype = torch_dtype(torch)
    nn = torch.nn
    convs = [layer for layer in convnet.layers
             if isinstance(layer, Convolutional)]
    linears = convnet.top_mlp.linear_transformations
    modules = []
    for conv in convs:
        W = conv.W.get_value()
        module = nn.Conv2d(W.shape[1], W.shape[0], W.shape[2:], dtype=dtype)
        with torch.no_grad():
            # Blocks convolves (flipped filters), PyTorch correlates.
            module.weight.copy_(torch.from_numpy(
                numpy.ascontiguousarray(W[:, :, ::-1, ::-1])))
            module.bias.copy_(torch.from_numpy(conv.b.get_value()))
        modules += [module, nn.ReLU(), nn.MaxPool2d(2)]
    modules.append(nn.Flatten())
    for index, linear in enumerate(linears):
        W, b = linear.W.get_value(), linear.b.get_value()
        module = nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(numpy.ascontiguousarray(W.T)))
            module.bias.copy_(torch.from_numpy(b))
        modules.append(module)
        if index < len(linears) - 1:
            modules.append(nn.ReLU())
    return nn.Sequential(*modules), convs, linears


def lenet_parameter_pairs(torch, model, convs, linears):
    torch_convs = [m for m in model if isinstance(m, torch.nn.Conv2d)]
    torch_linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    pairs = []
    for conv, module in zip(convs, torch_convs):
        pairs.append((conv.W.get_value(),
                      module.weight.detach().numpy()[:, :, ::-1, ::-1]))
        pairs.append((conv.b.get_value(), module.bias.detach().numpy()))
    for linear, module in zip(linears, torch_linears):
        pairs.append((linear.W.get_value(), module.weight.detach().numpy().T))
        pairs.append((linear.b.get_value(), module.bias.detach().numpy()))
    return pairs


def lenet_stream(quick):
    from fuel.datasets import MNIST
    from fuel.schemes import SequentialScheme
    from fuel.streams import DataStream
    subset = slice(0, QUICK_EXAMPLES if quick else None)
    mnist = MNIST(('train',), subset=subset)
    return DataStream.default_stream(
        mnist, iteration_scheme=SequentialScheme(mnist.num_examples,
                                                 BATCH_SIZE))


def lenet_row(quick, repeats, torch):
    """One LeNet training epoch in a main loop, and in PyTorch."""
    from pytensor import tensor

    from blocks.bricks.cost import CategoricalCrossEntropy
    from blocks.graph import ComputationGraph
    from examples.mnist_lenet import build_lenet

    epochs = 1 + repeats
    convnet = build_lenet()
    # At exactly 0, PyTensor's maximum(x, 0) passes the gradient and
    # PyTorch's relu does not; biases of 0.01 keep the blank borders of the
    # digits (and so the pre-activations there) off 0.
    for brick in convnet.top_mlp.linear_transformations + [
            layer for layer in convnet.layers if hasattr(layer, 'b')]:
        brick.b.set_value(numpy.full_like(brick.b.get_value(), 0.01))
    model = None
    if torch is not None:
        model, convs, linears = torch_lenet(torch, convnet)
    x = tensor.tensor4('features')
    y = tensor.lmatrix('targets')
    cost = CategoricalCrossEntropy().apply(y.flatten(), convnet.apply(x))
    parameters = ComputationGraph(cost).parameters
    timings = run_blocks(cost, parameters, lenet_stream(quick), LEARNING_RATE,
                         epochs)
    epoch, compile_time, first_call = blocks_summary('lenet_epoch', timings)
    notes = ['{} batches of {}/epoch, {}'.format(timings['batches'],
                                                 BATCH_SIZE, floatX()),
             'compile = initialize {:.3g} s + first call {:.3g} s'.format(
                 timings['initialization'], first_call)]
    torch_epoch = None
    if torch is not None:
        features, targets = stream_arrays(lenet_stream(quick))
        torch_times = run_torch(torch, model, features, targets, BATCH_SIZE,
                                LEARNING_RATE, epochs)
        torch_epoch = median(torch_times[1:])
        difference = max_abs_difference(
            lenet_parameter_pairs(torch, model, convs, linears))
        notes.append('max |dparam| {:.2g} after {} epochs'.format(
            difference, epochs))
        if floatX() == 'float64' or quick:
            # In float32 the rounding differences of the two sides grow
            # over hundreds of steps past the shared tolerance; the first
            # steps agree (the quick run checks them).
            check_parameters('lenet_epoch', difference)
    return Result('lenet_epoch', epoch, torch_epoch, compile=compile_time,
                  notes='; '.join(notes))


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark; a list of :class:`~benchmarks.common.Result`."""
    layers = QUICK_CONV_LAYERS if quick else CONV_LAYERS
    pool_input = QUICK_POOL_INPUT if quick else POOL_INPUT
    results = []
    for dtype in ('float32', 'float64'):
        for name, image_shape, filter_shape in layers:
            results.append(conv_row(name, image_shape, filter_shape, dtype,
                                    repeats, torch))
        results.append(pool_row(pool_input, dtype, repeats, torch))
    results.append(lenet_row(quick, repeats, torch))
    return results
