"""mlp_epoch: one epoch of the introduction tutorial's model.

The tutorial's MLP (784-100-10, ``Rectifier`` then ``Softmax``, weights
``IsotropicGaussian(0.01)``, biases 0), its cost
(``CategoricalCrossEntropy`` plus ``0.005`` times the squared norm of each
weight matrix) and its training (``GradientDescent`` with ``Scale(0.1)``,
batches of 256 from ``Flatten(DataStream.default_stream(MNIST(('train',)),
SequentialScheme))``) run in a :class:`~blocks.main_loop.MainLoop` for
``1 + repeats`` epochs (``FinishAfter(after_n_epochs=1 + repeats)``).

PyTorch trains ``nn.Linear`` layers holding the same initial values with
``torch.optim.SGD(lr=0.1)`` and the same L2 terms on the same batches: the
arrays that the Fuel stream yields, collected once beforehand, and sliced.

Reported: the median epoch time of the ``repeats`` epochs after the first
(see :mod:`benchmarks.training`), Blocks' compile time (the main loop's
``algorithm.initialize()`` plus the first call's excess), the time Fuel
spent producing batches, and the largest difference between the two
sides' final parameters (checked: 1e-6 in float64, 1e-3 in float32).
"""
from benchmarks.common import (Result, check_parameters, max_abs_difference,
                               median, stream_arrays, tutorial_stream)
from benchmarks.training import (blocks_summary, parameter_pairs, run_blocks,
                                 run_torch, torch_mlp)

BATCH_SIZE = 256
LEARNING_RATE = 0.1
L2 = 0.005


def tutorial_model():
    """The tutorial's MLP, initialized, and its regularized cost.

    Returns
    -------
    tuple
        ``(mlp, cost, parameters)``: the :class:`~blocks.bricks.MLP`, the
        cost ``cost_with_regularization``, and the computation graph's
        parameters.
    """
    from pytensor import tensor

    from blocks.bricks import MLP, Rectifier, Softmax
    from blocks.bricks.cost import CategoricalCrossEntropy
    from blocks.filter import VariableFilter
    from blocks.graph import ComputationGraph
    from blocks.initialization import Constant, IsotropicGaussian
    from blocks.roles import WEIGHT

    x = tensor.matrix('features')
    y = tensor.lmatrix('targets')
    mlp = MLP(activations=[Rectifier(), Softmax()], dims=[784, 100, 10],
              weights_init=IsotropicGaussian(0.01), biases_init=Constant(0))
    mlp.initialize()
    probabilities = mlp.apply(x)
    cost = CategoricalCrossEntropy().apply(y.flatten(), probabilities)
    graph = ComputationGraph(cost)
    W1, W2 = VariableFilter(roles=[WEIGHT])(graph.variables)
    cost = cost + L2 * (W1 ** 2).sum() + L2 * (W2 ** 2).sum()
    cost.name = 'cost_with_regularization'
    return mlp, cost, graph.parameters


def run(quick=False, repeats=3, torch=None):
    """Run the benchmark; a list with one :class:`~benchmarks.common.Result`."""
    epochs = 1 + repeats
    mlp, cost, parameters = tutorial_model()
    linears = mlp.linear_transformations
    model = None
    if torch is not None:
        model = torch_mlp(torch, linears, ['relu', None])
    timings = run_blocks(cost, parameters, tutorial_stream(quick),
                         LEARNING_RATE, epochs)
    epoch, compile_time, first_call = blocks_summary('mlp_epoch', timings)
    notes = ['{} batches/epoch'.format(timings['batches']),
             'compile = initialize {:.3g} s + first call {:.3g} s'.format(
                 timings['initialization'], first_call),
             'Fuel data {:.3g} s/epoch'.format(timings['read_data'] / epochs)]
    torch_epoch = None
    if torch is not None:
        features, targets = stream_arrays(tutorial_stream(quick))
        torch_times = run_torch(torch, model, features, targets, BATCH_SIZE,
                                LEARNING_RATE, epochs, l2=L2)
        torch_epoch = median(torch_times[1:])
        difference = max_abs_difference(parameter_pairs(linears, model, torch))
        notes.append('max |dparam| {:.2g} after {} epochs'.format(
            difference, epochs))
        check_parameters('mlp_epoch', difference)
    return [Result('mlp_epoch', epoch, torch_epoch, compile=compile_time,
                   notes='; '.join(notes))]
