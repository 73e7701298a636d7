"""Training one MLP in Blocks and in PyTorch from the same initial values.

Shared by :mod:`benchmarks.mlp_epoch` and :mod:`benchmarks.big_mlp`. The
Blocks side trains through :class:`blocks.main_loop.MainLoop` with an
:class:`EpochClock` extension that timestamps each epoch; the PyTorch side
is a plain loop over the same batches, with ``nn.Linear`` layers whose
weights are copied from the Blocks bricks and ``torch.optim.SGD``.

Timing protocol (both sides alike): ``1 + repeats`` epochs are run; the
first one is a warm-up (on the Blocks side it pays the first call of the
compiled function, which JIT-compiles in the Numba mode), and the epoch
time reported is the median of the other ``repeats`` epochs. An epoch is
timed from the ``before_epoch`` callback to the ``after_epoch`` callback,
so it includes reading and transforming the batches (Fuel) but not
compiling. Since both sides train the same number of epochs from the same
values on the same batches, their final parameters must agree to rounding.
"""
import time

import numpy

from blocks.extensions import TrainingExtension

from benchmarks.common import median


class EpochClock(TrainingExtension):
    """Timestamps the start, first batch and end of every epoch.

    Attributes
    ----------
    starts, first_batches, ends : list of float
        ``time.perf_counter()`` at ``before_epoch``, after the epoch's first
        batch, and at ``after_epoch``.
    """
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.starts = []
        self.first_batches = []
        self.ends = []

    def before_epoch(self):
        self.starts.append(time.perf_counter())

    def after_batch(self, batch):
        if len(self.first_batches) < len(self.starts):
            self.first_batches.append(time.perf_counter())

    def after_epoch(self):
        self.ends.append(time.perf_counter())

    @property
    def epoch_times(self):
        """The duration of every finished epoch, in seconds."""
        return [end - start for start, end in zip(self.starts, self.ends)]


def run_blocks(cost, parameters, data_stream, learning_rate, epochs):
    """Train with ``GradientDescent(Scale)`` in a main loop for `epochs`.

    Returns
    -------
    dict
        ``epoch_times`` (list, seconds per epoch), ``initialization`` (the
        seconds the main loop spent in ``algorithm.initialize()``, i.e.
        compiling), ``first_batch`` (seconds of the first epoch's first
        batch, which makes the first call of the compiled function) and
        ``read_data`` (seconds spent reading batches, all epochs together),
        ``batches`` (the number of batches per epoch).
    """
    from blocks.algorithms import GradientDescent, Scale
    from blocks.extensions import FinishAfter
    from blocks.main_loop import MainLoop
    from blocks.model import Model

    algorithm = GradientDescent(cost=cost, parameters=parameters,
                                step_rule=Scale(learning_rate=learning_rate))
    clock = EpochClock()
    main_loop = MainLoop(algorithm=algorithm, data_stream=data_stream,
                         model=Model(cost),
                         extensions=[clock, FinishAfter(after_n_epochs=epochs)])
    main_loop.run()
    profile = main_loop.profile.total
    status = main_loop.log.status
    return {'epoch_times': clock.epoch_times,
            'initialization': profile[('initialization',)],
            'first_batch': clock.first_batches[0] - clock.starts[0],
            'read_data': profile[('training', 'epoch', 'read_data')],
            'batches': status['iterations_done'] // status['epochs_done']}


def blocks_summary(name, timings):
    """The median epoch time and the compile time of a :func:`run_blocks`.

    The compile time is the main loop's ``initialization`` plus what the
    first batch took beyond a typical batch (the first call of a function
    compiled in the Numba mode JIT-compiles it).
    """
    epoch = median(timings['epoch_times'][1:])
    first_call = max(0.0, timings['first_batch'] - epoch / timings['batches'])
    return epoch, timings['initialization'] + first_call, first_call


def torch_mlp(torch, linears, activations):
    """An ``nn.Sequential`` copy of an MLP of Blocks ``Linear`` bricks.

    Parameters
    ----------
    torch : module
        The ``torch`` module.
    linears : list of :class:`blocks.bricks.Linear`
        Initialized bricks; their ``W`` (``input_dim x output_dim``) and ``b``
        are copied.
    activations : list of str
        ``'relu'``, ``'tanh'`` or ``None`` after each linear layer (the last
        one's softmax is left to ``cross_entropy``).
    """
    from benchmarks.common import torch_dtype
    dtype = torch_dtype(torch)
    layers = []
    for linear, activation in zip(linears, activations):
        W, b = linear.W.get_value(), linear.b.get_value()
        layer = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(numpy.ascontiguousarray(W.T)))
            layer.bias.copy_(torch.from_numpy(b))
        layers.append(layer)
        if activation == 'relu':
            layers.append(torch.nn.ReLU())
        elif activation == 'tanh':
            layers.append(torch.nn.Tanh())
        elif activation is not None:
            raise ValueError('activation must be relu, tanh or None, got '
                             '{!r}'.format(activation))
    return torch.nn.Sequential(*layers)


def run_torch(torch, model, features, targets, batch_size, learning_rate,
              epochs, l2=0.0):
    """Train `model` with SGD over `features`, `targets` for `epochs`.

    The loss is ``cross_entropy(model(x), y)`` plus ``l2`` times the sum of
    squares of every weight matrix, as in the tutorial. Batches are slices
    of the arrays (no copy), in order, the last one smaller.

    Returns
    -------
    list of float
        The duration of every epoch, in seconds.
    """
    import torch.nn.functional as functional
    inputs = torch.from_numpy(features)
    labels = torch.from_numpy(targets.reshape(-1).astype(numpy.int64))
    weights = [layer.weight for layer in model
               if isinstance(layer, torch.nn.Linear)]
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for first in range(0, len(inputs), batch_size):
            x = inputs[first:first + batch_size]
            y = labels[first:first + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = functional.cross_entropy(model(x), y)
            if l2:
                for weight in weights:
                    loss = loss + l2 * (weight ** 2).sum()
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def parameter_pairs(linears, model, torch):
    """``(Blocks value, PyTorch value)`` pairs of every weight and bias."""
    torch_linears = [layer for layer in model
                     if isinstance(layer, torch.nn.Linear)]
    pairs = []
    for linear, layer in zip(linears, torch_linears):
        pairs.append((linear.W.get_value(), layer.weight.detach().numpy().T))
        pairs.append((linear.b.get_value(), layer.bias.detach().numpy()))
    return pairs
