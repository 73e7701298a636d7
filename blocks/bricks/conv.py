"""Convolution and pooling bricks.

The convolution and pooling themselves are the Ops of :mod:`blocks.ops`
(PyTensor 3 ships neither): NumPy code in the Python and C virtual
machines, XLA code in the JAX mode. The bricks keep the original's
signatures, defaults and lazy shape propagation.

"""
from pytensor import tensor

from blocks.bricks.base import application, Brick, lazy
from blocks.bricks.interfaces import (Activation, Feedforward, Initializable,
                                      LinearLike)
from blocks.bricks.sequences import Sequence
from blocks.ops.conv import Conv2dGradInputs, conv2d, get_conv_output_shape
from blocks.ops.pool import pool_2d, pool_output_shape
from blocks.roles import add_role, FILTER, BIAS
from blocks.utils import shared_floatx_nans

__all__ = ['Convolutional', 'ConvolutionalTranspose', 'Pooling',
           'MaxPooling', 'AveragePooling', 'ConvolutionalSequence',
           'Flattener']


class Convolutional(LinearLike):
    """Performs a 2D convolution.

    Parameters
    ----------
    filter_size : tuple
        The height and width of the filter (also called kernels).
    num_filters : int
        Number of filters per channel.
    num_channels : int
        Number of input channels in the image. For the first layer this is
        normally 1 for grayscale images and 3 for color (RGB) images. For
        subsequent layers this is equal to the number of filters output by
        the previous convolutional layer. The filters are pooled over the
        channels.
    batch_size : int, optional
        Number of examples per batch. Accepted for compatibility; the
        convolution reads the shapes at run time.
    image_size : tuple, optional
        The height and width of the input (image or feature map). Needed
        for untied biases and for the output dimension.
    step : tuple, optional
        The step (or stride) with which to slide the filters over the
        image. Defaults to (1, 1).
    border_mode : {'valid', 'full', 'half'}, int or tuple, optional
        The border mode to use, see :func:`blocks.ops.conv2d`. Defaults to
        'valid'.
    tied_biases : bool
        Setting this to ``False`` will untie the biases, yielding a
        separate bias for every location at which the filter is applied.
        If ``True``, it indicates that the biases of every filter in this
        layer should be shared amongst all applications of that filter.
        Defaults to ``True``.

    Notes
    -----
    ``conv2d_impl`` is :func:`blocks.ops.conv2d` (Theano's signature) and
    ``get_output_shape`` :func:`blocks.ops.get_conv_output_shape`;
    subclasses may override both.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> from blocks.initialization import Constant
    >>> conv = Convolutional((3, 3), 2, 1, image_size=(5, 5),
    ...                      weights_init=Constant(1.),
    ...                      biases_init=Constant(0.5))
    >>> conv.initialize()
    >>> conv.get_dim('output')
    (2, 3, 3)
    >>> x = tensor.tensor4('x')
    >>> conv.apply(x).eval({x: numpy.ones((1, 1, 5, 5))})[0, 0, 0].tolist()
    [9.5, 9.5, 9.5]

    """
    # The function building the convolution: it accepts the input and the
    # filters as positionals, and input_shape, subsample, border_mode and
    # filter_shape as keywords.
    conv2d_impl = staticmethod(conv2d)

    # Computes (batch, channels, height, width) of the output from the
    # input and filter shapes, the border mode and the step.
    get_output_shape = staticmethod(get_conv_output_shape)

    @lazy(allocation=['filter_size', 'num_filters', 'num_channels'])
    def __init__(self, filter_size, num_filters, num_channels,
                 batch_size=None, image_size=(None, None), step=(1, 1),
                 border_mode='valid', tied_biases=True, **kwargs):
        super().__init__(**kwargs)
        self.filter_size = filter_size
        self.num_filters = num_filters
        self.batch_size = batch_size
        self.num_channels = num_channels
        self.image_size = image_size
        self.step = step
        self.border_mode = border_mode
        self.tied_biases = tied_biases

    def _allocate(self):
        W = shared_floatx_nans((self.num_filters, self.num_channels) +
                               tuple(self.filter_size), name='W')
        add_role(W, FILTER)
        self.parameters.append(W)
        self.add_auxiliary_variable(W.norm(2), name='W_norm')
        if getattr(self, 'use_bias', True):
            if self.tied_biases:
                b = shared_floatx_nans((self.num_filters,), name='b')
            else:
                # Raised here rather than in __init__ because a
                # ConvolutionalSequence may set the image size later.
                if tuple(self.image_size) == (None, None):
                    raise ValueError('Cannot infer bias size without '
                                     'image_size specified. If you use '
                                     'variable image_size, you should use '
                                     'tied_biases=True.')
                b = shared_floatx_nans(self.get_dim('output'), name='b')
            add_role(b, BIAS)
            self.parameters.append(b)
            self.add_auxiliary_variable(b.norm(2), name='b_norm')

    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Perform the convolution.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            A 4D tensor with the axes representing batch size, number of
            channels, image height, and image width.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            A 4D tensor of filtered images (feature maps) with dimensions
            representing batch size, number of filters, feature map height,
            and feature map width.

            The height and width of the feature map depend on the border
            mode. For 'valid' it is ``image_size - filter_size + 1`` while
            for 'full' it is ``image_size + filter_size - 1``.

        """
        if tuple(self.image_size) == (None, None):
            input_shape = None
        else:
            input_shape = ((self.batch_size, self.num_channels) +
                           tuple(self.image_size))
        output = self.conv2d_impl(
            input_, self.W, input_shape=input_shape, subsample=self.step,
            border_mode=self.border_mode,
            filter_shape=((self.num_filters, self.num_channels) +
                          tuple(self.filter_size)))
        if getattr(self, 'use_bias', True):
            if self.tied_biases:
                output += self.b.dimshuffle('x', 0, 'x', 'x')
            else:
                output += self.b.dimshuffle('x', 0, 1, 2)
        return output

    def get_dim(self, name):
        if name == 'input_':
            return (self.num_channels,) + tuple(self.image_size)
        if name == 'output':
            input_shape = (None, self.num_channels) + tuple(self.image_size)
            kernel_shape = ((self.num_filters, self.num_channels) +
                            tuple(self.filter_size))
            out_shape = self.get_output_shape(input_shape, kernel_shape,
                                              self.border_mode, self.step)
            assert len(out_shape) == 4
            return tuple(out_shape[1:])
        return super().get_dim(name)

    @property
    def num_output_channels(self):
        return self.num_filters


class ConvolutionalTranspose(Convolutional):
    """Performs the transpose of a 2D convolution.

    Parameters
    ----------
    num_filters : int
        Number of filters at the output of the transposed convolution, i.e.
        the number of channels in the corresponding convolution.
    num_channels : int
        Number of channels at the input of the transposed convolution, i.e.
        the number of output filters in the corresponding convolution.
    step : tuple, optional
        The step (or stride) of the corresponding convolution.
        Defaults to (1, 1).
    image_size : tuple, optional
        Image size of the input to the transposed convolution, i.e. the
        output of the corresponding convolution. Required for tied biases.
        Defaults to ``None``.
    unused_edge : tuple, optional
        Tuple of pixels added to the inferred height and width of the
        output image, whose values would be ignored in the corresponding
        forward convolution. Must be such that 0 <= ``unused_edge[i]`` <=
        ``step[i]``. Note that this parameter is ignored if
        ``original_image_size`` is specified in the constructor or manually
        set as an attribute.
    original_image_size : tuple, optional
        The height and width of the image that forms the output of the
        transpose operation, which is the input of the original
        (non-transposed) convolution. By default, this is inferred from
        `image_size` to be the size that has each pixel of the original
        image touched by at least one filter application in the original
        convolution.

    See Also
    --------
    :class:`Convolutional` : For the documentation of other parameters.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> from blocks.initialization import Constant
    >>> conv = ConvolutionalTranspose((3, 3), 1, 2, image_size=(2, 2),
    ...                               step=(2, 2), weights_init=Constant(1.),
    ...                               use_bias=False)
    >>> conv.initialize()
    >>> conv.get_dim('output')
    (1, 5, 5)
    >>> x = tensor.tensor4('x')
    >>> conv.apply(x).eval({x: numpy.ones((1, 2, 2, 2))})[0, 0, 2].tolist()
    [4.0, 4.0, 8.0, 4.0, 4.0]

    """
    @lazy(allocation=['filter_size', 'num_filters', 'num_channels'])
    def __init__(self, filter_size, num_filters, num_channels,
                 original_image_size=None, unused_edge=(0, 0), **kwargs):
        super().__init__(filter_size, num_filters, num_channels, **kwargs)
        self.original_image_size = original_image_size
        self.unused_edge = unused_edge

    @property
    def original_image_size(self):
        if self._original_image_size is None:
            if all(s is None for s in self.image_size):
                raise ValueError("can't infer original_image_size, "
                                 "no image_size set")
            if isinstance(self.border_mode, tuple):
                border = self.border_mode
            elif isinstance(self.border_mode, int):
                border = (self.border_mode,) * 2
            elif self.border_mode == 'full':
                border = tuple(k - 1 for k in self.filter_size)
            elif self.border_mode == 'half':
                border = tuple(k // 2 for k in self.filter_size)
            else:
                border = [0] * len(self.image_size)
            tups = zip(self.image_size, self.step, self.filter_size, border,
                       self.unused_edge)
            return tuple(s * (i - 1) + k - 2 * p + u
                         for i, s, k, p, u in tups)
        return self._original_image_size

    @original_image_size.setter
    def original_image_size(self, value):
        self._original_image_size = value

    def conv2d_impl(self, input_, W, input_shape, subsample, border_mode,
                    filter_shape):
        # The gradient of a convolution's input takes the filters of the
        # *forward* convolution, whose channels are our filters.
        W = W.transpose(1, 0, 2, 3)
        image_like = tensor.zeros((1, 1) + tuple(self.original_image_size),
                                  dtype=W.dtype)
        return Conv2dGradInputs(border_mode=border_mode,
                                subsample=subsample)(W, input_, image_like)

    def get_dim(self, name):
        if name == 'output':
            return (self.num_filters,) + tuple(self.original_image_size)
        return super().get_dim(name)


class Pooling(Initializable, Feedforward):
    """Base Brick for pooling operations.

    This should generally not be instantiated directly; see
    :class:`MaxPooling`.

    """
    @lazy(allocation=['mode', 'pooling_size'])
    def __init__(self, mode, pooling_size, step, input_dim, ignore_border,
                 padding, **kwargs):
        super().__init__(**kwargs)
        self.pooling_size = pooling_size
        self.mode = mode
        self.step = step
        self.input_dim = input_dim if input_dim is not None else (None,) * 3
        self.ignore_border = ignore_border
        self.padding = padding

    @property
    def image_size(self):
        return self.input_dim[-2:]

    @image_size.setter
    def image_size(self, value):
        self.input_dim = tuple(self.input_dim[:-2]) + tuple(value)

    @property
    def num_channels(self):
        return self.input_dim[0]

    @num_channels.setter
    def num_channels(self, value):
        self.input_dim = (value,) + tuple(self.input_dim[1:])

    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        """Apply the pooling (subsampling) transformation.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            An tensor with dimension greater or equal to 2. The last two
            dimensions will be downsampled. For example, with images this
            means that the last two dimensions should represent the height
            and width of your image.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            A tensor with the same number of dimensions as `input_`, but
            with the last two dimensions downsampled.

        """
        return pool_2d(input_, mode=self.mode, ws=self.pooling_size,
                       stride=self.step, pad=self.padding,
                       ignore_border=self.ignore_border)

    def get_dim(self, name):
        if name == 'input_':
            return self.input_dim
        if name == 'output':
            return tuple(pool_output_shape(
                self.input_dim, self.pooling_size, stride=self.step,
                ignore_border=self.ignore_border, pad=self.padding))
        return super().get_dim(name)

    @property
    def num_output_channels(self):
        return self.input_dim[0]


class MaxPooling(Pooling):
    """Max pooling layer.

    Parameters
    ----------
    pooling_size : tuple
        The height and width of the pooling region i.e. this is the factor
        by which your input's last two dimensions will be downscaled.
    step : tuple, optional
        The vertical and horizontal shift (stride) between pooling regions.
        By default this is equal to `pooling_size`. Setting this to a lower
        number results in overlapping pooling regions.
    input_dim : tuple, optional
        A tuple of integers representing the shape of the input. The last
        two dimensions will be used to calculate the output dimension.
    padding : tuple, optional
        A tuple of integers representing the vertical and horizontal
        zero-padding to be applied to each of the top and bottom
        (vertical) and left and right (horizontal) edges. For example,
        an argument of (4, 3) will apply 4 pixels of padding to the
        top edge, 4 pixels of padding to the bottom edge, and 3 pixels
        each for the left and right edge. By default, no padding is
        performed. Max pooling never selects a padded cell.
    ignore_border : bool, optional
        Whether or not to do partial downsampling based on borders where
        the extent of the pooling region reaches beyond the edge of the
        image. If `True`, a (5, 5) image with (2, 2) pooling regions
        and (2, 2) step will be downsampled to shape (2, 2), otherwise
        it will be downsampled to (3, 3). `True` by default.

    Examples
    --------
    >>> MaxPooling((2, 2), input_dim=(3, 5, 5)).get_dim('output')
    (3, 2, 2)
    >>> MaxPooling((2, 2), input_dim=(3, 5, 5),
    ...            ignore_border=False).get_dim('output')
    (3, 3, 3)

    """
    @lazy(allocation=['pooling_size'])
    def __init__(self, pooling_size, step=None, input_dim=None,
                 ignore_border=True, padding=(0, 0), **kwargs):
        super().__init__('max', pooling_size, step=step, input_dim=input_dim,
                         ignore_border=ignore_border, padding=padding,
                         **kwargs)

    def __setstate__(self, state):
        self.__dict__.update(state)
        # Objects pickled by old versions may lack these attributes.
        self.mode = getattr(self, 'mode', 'max')
        self.padding = getattr(self, 'padding', (0, 0))
        self.ignore_border = getattr(self, 'ignore_border', False)


class AveragePooling(Pooling):
    """Average pooling layer.

    Parameters
    ----------
    include_padding : bool, optional
        When calculating an average, include zeros that are the
        result of zero padding added by the `padding` argument.
        A value of `True` is only accepted if `ignore_border`
        is also `True`. `False` by default.

    Notes
    -----
    For documentation on the remainder of the arguments to this
    class, see :class:`MaxPooling`.

    """
    @lazy(allocation=['pooling_size'])
    def __init__(self, pooling_size, step=None, input_dim=None,
                 ignore_border=True, padding=(0, 0),
                 include_padding=False, **kwargs):
        mode = 'average_inc_pad' if include_padding else 'average_exc_pad'
        super().__init__(mode, pooling_size, step=step, input_dim=input_dim,
                         ignore_border=ignore_border, padding=padding,
                         **kwargs)


class ConvolutionalSequence(Sequence, Initializable, Feedforward):
    """A sequence of convolutional (or pooling) operations.

    Parameters
    ----------
    layers : list
        List of convolutional bricks (i.e. :class:`Convolutional`,
        :class:`ConvolutionalActivation`, or :class:`Pooling` bricks),
        or application methods from such bricks.  :class:`Activation`
        bricks that operate elementwise can also be included.
    num_channels : int
        Number of input channels in the image. For the first layer this is
        normally 1 for grayscale images and 3 for color (RGB) images. For
        subsequent layers this is equal to the number of filters output by
        the previous convolutional layer.
    batch_size : int, optional
        Number of images in batch. If given, it is pushed to the layers.
    image_size : tuple, optional
        Width and height of the input (image/featuremap). If given, the
        layers get the sizes of their inputs and can report their output
        dimensions.
    border_mode : 'valid', 'full' or None, optional
        The border mode to use, see :func:`blocks.ops.conv2d`. Unlike with
        :class:`Convolutional`, this defaults to None, in which case no
        default value is pushed down to child bricks at allocation time.
        Child bricks will in this case need to rely on either a default
        border mode (usually valid) or one provided at construction and/or
        after construction (but before allocation).
    tied_biases : bool, optional
        Same meaning as in :class:`Convolutional`. Defaults to ``None``, in
        which case no value is pushed to child :class:`Convolutional`
        bricks.

    Notes
    -----
    The passed convolutional operators should be 'lazy' constructed, that
    is, without specifying the batch_size, num_channels and image_size. The
    main feature of :class:`ConvolutionalSequence` is that it will set the
    input dimensions of a layer to the output dimensions of the previous
    layer by the :meth:`~.Brick.push_allocation_config` method.

    The push behaviour of `tied_biases` mirrors that of `use_bias` or any
    initialization configuration: only an explicitly specified value is
    pushed down the hierarchy. `border_mode` also has this behaviour.

    Examples
    --------
    >>> from blocks.bricks import Rectifier
    >>> sequence = ConvolutionalSequence(
    ...     [Convolutional((5, 5), 20), Rectifier(), MaxPooling((2, 2)),
    ...      Convolutional((5, 5), 50), MaxPooling((2, 2))],
    ...     num_channels=1, image_size=(28, 28))
    >>> sequence.push_allocation_config()
    >>> sequence.get_dim('output')
    (50, 4, 4)

    """
    @lazy(allocation=['num_channels'])
    def __init__(self, layers, num_channels, batch_size=None,
                 image_size=(None, None), border_mode=None, tied_biases=None,
                 **kwargs):
        self.layers = [a if isinstance(a, Brick) else a.brick for a in layers]
        self.image_size = image_size
        self.num_channels = num_channels
        self.batch_size = batch_size
        self.border_mode = border_mode
        self.tied_biases = tied_biases
        application_methods = [brick.apply for brick in self.layers]
        super().__init__(application_methods=application_methods, **kwargs)

    def get_dim(self, name):
        if name == 'input_':
            return (self.num_channels,) + tuple(self.image_size)
        if name == 'output':
            last = len(self.layers) - 1
            while last >= 0:
                try:
                    return self.layers[last].get_dim(name)
                except ValueError:
                    last -= 1
            # Only ValueError-raising bricks (activations): the output
            # shape is the input shape.
            return self.get_dim('input_')
        return super().get_dim(name)

    def _push_allocation_config(self):
        num_channels = self.num_channels
        image_size = self.image_size
        for layer in self.layers:
            if isinstance(layer, Activation):
                # Activations operate elementwise; nothing to set.
                layer.push_allocation_config()
                continue
            if self.border_mode is not None:
                layer.border_mode = self.border_mode
            if self.tied_biases is not None:
                layer.tied_biases = self.tied_biases
            layer.image_size = image_size
            layer.num_channels = num_channels
            layer.batch_size = self.batch_size
            if 'use_bias' in self.__dict__:  # only an explicit setting
                layer.use_bias = self.use_bias

            # Push input dimensions to children
            layer.push_allocation_config()

            # Retrieve output dimensions and set them for the next layer
            if None not in layer.image_size:
                output_shape = layer.get_dim('output')
                image_size = output_shape[1:]
            num_channels = layer.num_output_channels


class Flattener(Brick):
    """Flattens the input.

    It may be used to pass multidimensional objects like images or feature
    maps of convolutional bricks into bricks which allow only two
    dimensional input (batch, features) like MLP.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> x = tensor.tensor4('x')
    >>> Flattener().apply(x).eval({x: numpy.ones((2, 3, 4, 5))}).shape
    (2, 60)

    """
    @application(inputs=['input_'], outputs=['output'])
    def apply(self, input_):
        return input_.flatten(ndim=2)
