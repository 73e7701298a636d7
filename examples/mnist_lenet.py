"""Train a LeNet convolutional network on MNIST.

The network of the original Blocks examples: convolutions with 20 and 50
feature maps of 5x5, each followed by a rectifier and 2x2 max pooling, an
MLP with one hidden layer of 500 rectifiers, and a softmax over the ten
digits, trained with plain SGD (learning rate 0.1) on shuffled batches of
500 examples. The original used ``border_mode='full'``; this example
defaults to the classic ``'valid'`` convolutions (an MLP input of 800
instead of 5,000 features, about 4x less work per example); pass
``--border-mode full`` for the original.

Result (float32, the defaults but for the epochs): in the JAX mode on an
NVIDIA H200, the test error was 8.4 % after 1 epoch, 1.04 % after 25, 0.89 %
(the best) after 28 and 0.95 % after 48 epochs, each epoch training in 0.13
to 0.17 s (plus about 3 s of compiling in the first). Plain SGD at learning
rate 0.1 is not stable for ever: during the 49th epoch the test error jumped
to 75 %, and it was back at 1.9 % after the 50th (the checkpoint of every
epoch keeps the good ones). In the C VM on one CPU core an epoch takes about
39 s (``python -m benchmarks --only conv``, 1.4x PyTorch's time).

Run ``python examples/mnist_lenet.py --help`` for the options.
"""
import argparse
import logging

import numpy
from pytensor import tensor
from toolz import interleave

from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import (Activation, FeedforwardSequence, Initializable,
                           MLP, Rectifier, Softmax)
from blocks.bricks.conv import (Convolutional, ConvolutionalSequence,
                                Flattener, MaxPooling)
from blocks.bricks.cost import CategoricalCrossEntropy, MisclassificationRate
from blocks.compile.compilation import resolve_mode
from blocks.compile.jax_support import is_jax_mode
from blocks.extensions import FinishAfter, Printing, ProgressBar, Timing
from blocks.extensions.monitoring import (DataStreamMonitoring,
                                          TrainingDataMonitoring)
from blocks.extensions.saveload import Checkpoint
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, Uniform
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.monitoring import aggregation
from fuel.datasets import MNIST
from fuel.schemes import ShuffledScheme
from fuel.streams import DataStream


class LeNet(FeedforwardSequence, Initializable):
    """LeNet-like convolutional network.

    The class implements LeNet, which is a convolutional sequence with
    an MLP on top (several fully-connected layers). For details see
    [LeCun95]_.

    .. [LeCun95] LeCun, Yann, et al.
       *Comparison of learning algorithms for handwritten digit
       recognition.*, International conference on artificial neural
       networks. Vol. 60.

    Parameters
    ----------
    conv_activations : list of :class:`.Brick`
        Activations for convolutional network.
    num_channels : int
        Number of channels in the input image.
    image_shape : tuple
        Input image shape.
    filter_sizes : list of tuples
        Filter sizes of :class:`.conv.ConvolutionalLayer`.
    feature_maps : list
        Number of filters for each of convolutions.
    pooling_sizes : list of tuples
        Sizes of max pooling for each convolutional layer.
    top_mlp_activations : list of :class:`.Brick`
        List of activations for the top MLP.
    top_mlp_dims : list
        Numbers of hidden units and the output dimension of the top MLP.
    conv_step : tuples
        Step of convolution (similar for all layers).
    border_mode : str
        Border mode of convolution (similar for all layers).

    """
    def __init__(self, conv_activations, num_channels, image_shape,
                 filter_sizes, feature_maps, pooling_sizes,
                 top_mlp_activations, top_mlp_dims,
                 conv_step=None, border_mode='valid', **kwargs):
        self.conv_step = (1, 1) if conv_step is None else conv_step
        self.num_channels = num_channels
        self.image_shape = image_shape
        self.top_mlp_activations = top_mlp_activations
        self.top_mlp_dims = top_mlp_dims
        self.border_mode = border_mode

        conv_parameters = zip(filter_sizes, feature_maps)

        # Construct convolutional layers with corresponding parameters
        self.layers = list(interleave([
            (Convolutional(filter_size=filter_size, num_filters=num_filter,
                           step=self.conv_step, border_mode=self.border_mode,
                           name='conv_{}'.format(i))
             for i, (filter_size, num_filter) in enumerate(conv_parameters)),
            conv_activations,
            (MaxPooling(size, name='pool_{}'.format(i))
             for i, size in enumerate(pooling_sizes))]))

        self.conv_sequence = ConvolutionalSequence(self.layers, num_channels,
                                                   image_size=image_shape)

        # Construct a top MLP; its input dimension is known once the
        # convolutional sequence has its shapes (_push_allocation_config).
        self.top_mlp = MLP(top_mlp_activations, [None] + top_mlp_dims)

        # We need to flatten the output of the last convolutional layer.
        # This brick accepts a tensor of dimension (batch_size, ...) and
        # returns a matrix (batch_size, features)
        self.flattener = Flattener()
        application_methods = [self.conv_sequence.apply, self.flattener.apply,
                               self.top_mlp.apply]
        super().__init__(application_methods, **kwargs)

    @property
    def output_dim(self):
        return self.top_mlp_dims[-1]

    @output_dim.setter
    def output_dim(self, value):
        self.top_mlp_dims[-1] = value

    def _push_allocation_config(self):
        self.conv_sequence._push_allocation_config()
        conv_out_dim = self.conv_sequence.get_dim('output')

        self.top_mlp.activations = self.top_mlp_activations
        self.top_mlp.dims = [int(numpy.prod(conv_out_dim))] + self.top_mlp_dims


def build_lenet(feature_maps=None, mlp_hiddens=None, conv_sizes=None,
                pool_sizes=None, border_mode='valid'):
    """The initialized LeNet of the original example."""
    if feature_maps is None:
        feature_maps = [20, 50]
    if mlp_hiddens is None:
        mlp_hiddens = [500]
    if conv_sizes is None:
        conv_sizes = [5, 5]
    if pool_sizes is None:
        pool_sizes = [2, 2]
    image_size = (28, 28)
    output_size = 10

    # Use ReLUs everywhere and softmax for the final prediction
    conv_activations = [Rectifier() for _ in feature_maps]
    mlp_activations = [Rectifier() for _ in mlp_hiddens] + [Softmax()]
    convnet = LeNet(conv_activations, 1, image_size,
                    filter_sizes=list(zip(conv_sizes, conv_sizes)),
                    feature_maps=feature_maps,
                    pooling_sizes=list(zip(pool_sizes, pool_sizes)),
                    top_mlp_activations=mlp_activations,
                    top_mlp_dims=mlp_hiddens + [output_size],
                    border_mode=border_mode,
                    weights_init=Uniform(width=.2),
                    biases_init=Constant(0))
    # We push initialization config to set different initialization schemes
    # for convolutional layers.
    convnet.push_initialization_config()
    convnet.layers[0].weights_init = Uniform(width=.2)
    convnet.layers[3].weights_init = Uniform(width=.09)
    convnet.top_mlp.linear_transformations[0].weights_init = Uniform(
        width=.08)
    convnet.top_mlp.linear_transformations[1].weights_init = Uniform(
        width=.11)
    convnet.initialize()
    logging.info("Input dim: {} {} {}".format(
        *convnet.children[0].get_dim('input_')))
    for i, layer in enumerate(convnet.layers):
        if isinstance(layer, Activation):
            logging.info("Layer {} ({})".format(i, layer.__class__.__name__))
        else:
            logging.info("Layer {} ({}) dim: {} {} {}".format(
                i, layer.__class__.__name__, *layer.get_dim('output')))
    return convnet


def main(save_to='mnist_lenet.tar', num_epochs=1, feature_maps=None,
         mlp_hiddens=None, conv_sizes=None, pool_sizes=None, batch_size=500,
         num_batches=None, border_mode='valid', num_examples=None,
         progress_bar=True, learning_rate=0.1):
    """Train LeNet on MNIST and return the main loop.

    ``num_batches`` stops after that many batches; ``num_examples`` trains
    on the first examples of the training set and monitors the first of
    the test set (for quick runs). In the JAX mode the batches have a
    static shape, so ``batch_size`` must divide the number of examples.

    """
    convnet = build_lenet(feature_maps, mlp_hiddens, conv_sizes, pool_sizes,
                          border_mode)
    # PyTensor's JAX backend cannot reshape to a shape computed at run
    # time (the gradient of the Flattener does): in the JAX mode the
    # batches get a static shape, so every shape is a constant.
    batch = batch_size if is_jax_mode(resolve_mode()) else None
    x = tensor.tensor4('features', shape=(batch, 1, 28, 28))
    y = tensor.lmatrix('targets', shape=(batch, 1))

    probs = convnet.apply(x)
    cost = (CategoricalCrossEntropy().apply(y.flatten(), probs)
            .copy(name='cost'))
    error_rate = (MisclassificationRate().apply(y.flatten(), probs)
                  .copy(name='error_rate'))

    cg = ComputationGraph([cost, error_rate])

    subset = slice(0, num_examples)
    mnist_train = MNIST(("train",), subset=subset)
    mnist_train_stream = DataStream.default_stream(
        mnist_train, iteration_scheme=ShuffledScheme(
            mnist_train.num_examples, batch_size))

    mnist_test = MNIST(("test",), subset=subset)
    mnist_test_stream = DataStream.default_stream(
        mnist_test, iteration_scheme=ShuffledScheme(
            mnist_test.num_examples, batch_size))

    # Train with simple SGD
    algorithm = GradientDescent(
        cost=cost, parameters=cg.parameters,
        step_rule=Scale(learning_rate=learning_rate))
    # `Timing` extension reports time for reading data, aggregating a batch
    # and monitoring; `ProgressBar` displays a progress bar during training.
    extensions = [Timing(),
                  FinishAfter(after_n_epochs=num_epochs,
                              after_n_batches=num_batches),
                  DataStreamMonitoring([cost, error_rate], mnist_test_stream,
                                       prefix="test"),
                  TrainingDataMonitoring(
                      [cost, error_rate,
                       aggregation.mean(algorithm.total_gradient_norm)],
                      prefix="train", after_epoch=True),
                  Checkpoint(save_to, every_n_epochs=1)]
    if progress_bar:
        extensions.append(ProgressBar())
    extensions.append(Printing())

    main_loop = MainLoop(algorithm, mnist_train_stream, model=Model(cost),
                         extensions=extensions)
    main_loop.run()
    return main_loop


def parse_args(args=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument("--num-epochs", type=int, default=2,
                        help="Number of training epochs to do.")
    parser.add_argument("save_to", default="mnist_lenet.tar", nargs="?",
                        help="Destination to save the state of the training "
                             "process.")
    parser.add_argument("--feature-maps", type=int, nargs='+',
                        default=[20, 50], help="List of feature maps numbers.")
    parser.add_argument("--mlp-hiddens", type=int, nargs='+', default=[500],
                        help="List of numbers of hidden units for the MLP.")
    parser.add_argument("--conv-sizes", type=int, nargs='+', default=[5, 5],
                        help="Convolutional kernels sizes. The kernels are "
                             "always square.")
    parser.add_argument("--pool-sizes", type=int, nargs='+', default=[2, 2],
                        help="Pooling sizes. The pooling windows are always "
                             "square. Should be the same length as "
                             "--conv-sizes.")
    parser.add_argument("--batch-size", type=int, default=500,
                        help="Batch size.")
    parser.add_argument("--num-batches", type=int, default=None,
                        help="Stop after this many batches.")
    parser.add_argument("--num-examples", type=int, default=None,
                        help="Use the first N examples of each split only.")
    parser.add_argument("--border-mode", default='valid',
                        choices=['valid', 'full', 'half'],
                        help="Border mode of the convolutions (the original "
                             "example: full).")
    parser.add_argument("--learning-rate", type=float, default=0.1,
                        help="SGD learning rate (default: 0.1).")
    parser.add_argument('--no-progress-bar', action='store_true',
                        help='do not show a progress bar')
    return parser.parse_args(args)


if __name__ == "__main__":
    import os
    import sys
    # Checkpoints pickle LeNet: import it from its module rather than from
    # __main__, so that any script can load them.
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    from examples.mnist_lenet import main  # noqa: F811
    logging.basicConfig(level=logging.INFO)
    arguments = parse_args()
    main(save_to=arguments.save_to, num_epochs=arguments.num_epochs,
         feature_maps=arguments.feature_maps,
         mlp_hiddens=arguments.mlp_hiddens,
         conv_sizes=arguments.conv_sizes, pool_sizes=arguments.pool_sizes,
         batch_size=arguments.batch_size, num_batches=arguments.num_batches,
         border_mode=arguments.border_mode,
         num_examples=arguments.num_examples,
         progress_bar=not arguments.no_progress_bar,
         learning_rate=arguments.learning_rate)
