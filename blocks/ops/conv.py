"""Batched multi-channel 2-D convolution as a family of PyTensor Ops.

PyTensor 3 has no ``conv2d``: Theano's ``AbstractConv2d`` trio is rebuilt
here as three Ops with NumPy ``perform`` methods, whose gradients are built
from one another, so that gradients of gradients exist:

* :class:`Conv2d` (input, filters) -> output,
* :class:`Conv2dGradWeights` (input, output gradient, filters) -> filter
  gradient,
* :class:`Conv2dGradInputs` (filters, output gradient, input) -> input
  gradient; with a chosen output size this is the transposed convolution.

The last input of the two gradient Ops is a *shape reference*: only its
shape is read (the filter size, the image size), so that the JAX backend,
which must know array shapes when it traces, sees them as the shape of an
array rather than as a computed vector.

Each ``perform`` lays the image out as columns (im2col: one strided copy per
filter tap) and does one matrix product per group over the whole batch, in
the BLAS NumPy links against; the input gradient multiplies back a few
images at a time and adds the columns into place (col2im) while they are
in the cache. This measured faster on the CPU than a graph of PyTensor
slices, than ``scipy.signal`` and than XLA's convolution (see
``benchmarks/conv.py``). The JAX mode runs ``jax.lax.conv_general_dilated``
instead (:mod:`blocks.ops.jax_dispatch`).

The columns live in scratch buffers that all convolution Ops of a thread
share (:func:`scratch`). In Blocks' C VM mode a rewrite lets a convolution
and its filter gradient share one im2col (:mod:`blocks.ops.conv_columns`).

Layout and meaning follow Theano: images are ``(batch, channels, rows,
columns)``, filters ``(filters, channels // num_groups, rows, columns)``,
and by default the filters are flipped (a true convolution, as in
``scipy.signal.convolve2d``); ``filter_flip=False`` gives a
cross-correlation.

"""
import numbers

import numpy
from pytensor import tensor
from pytensor.gradient import disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.scalar import upcast

from blocks.compile.pytensor_internals import infer_shape_method
from blocks.ops import direct
from blocks.ops.im2col import col2im, im2col
from blocks.ops.scratch import scratch

__all__ = ['conv2d', 'conv2d_transpose', 'get_conv_output_shape',
           'conv_padding', 'Conv2d', 'Conv2dGradWeights', 'Conv2dGradInputs']


def _normalize_border_mode(border_mode):
    """A hashable border mode: a string, or ``((top, bottom), (left, right))``.

    >>> _normalize_border_mode(2)
    ((2, 2), (2, 2))
    >>> _normalize_border_mode((1, (0, 2)))
    ((1, 1), (0, 2))
    >>> _normalize_border_mode('half')
    'half'

    """
    if isinstance(border_mode, str):
        if border_mode not in ('valid', 'full', 'half'):
            raise ValueError("border_mode must be 'valid', 'full', 'half', an "
                             "int or a pair, got {!r}".format(border_mode))
        return border_mode

    def pair(value):
        if isinstance(value, numbers.Integral) and value >= 0:
            return (int(value), int(value))
        if (isinstance(value, (tuple, list)) and len(value) == 2 and
                all(isinstance(v, numbers.Integral) and v >= 0
                    for v in value)):
            return (int(value[0]), int(value[1]))
        raise ValueError("border_mode padding must be non-negative ints or "
                         "pairs of them, got {!r}".format(border_mode))

    if isinstance(border_mode, numbers.Integral):
        return (pair(border_mode), pair(border_mode))
    if isinstance(border_mode, (tuple, list)) and len(border_mode) == 2:
        return (pair(border_mode[0]), pair(border_mode[1]))
    raise ValueError("border_mode must be 'valid', 'full', 'half', an int or "
                     "a pair, got {!r}".format(border_mode))


def _pair_of_positive_ints(name, value):
    if (isinstance(value, (tuple, list)) and len(value) == 2 and
            all(isinstance(v, numbers.Integral) and v >= 1 for v in value)):
        return (int(value[0]), int(value[1]))
    raise ValueError("{} must be a pair of positive ints, got {!r}".format(
        name, value))


def conv_padding(border_mode, kernel_size, filter_dilation=(1, 1)):
    """The zero padding ``((top, bottom), (left, right))`` a border mode adds.

    Works on ints and on symbolic sizes alike.

    >>> conv_padding('full', (5, 3))
    ((4, 4), (2, 2))
    >>> conv_padding('half', (3, 3), (2, 2))
    ((2, 2), (2, 2))

    """
    border_mode = _normalize_border_mode(border_mode)
    if not isinstance(border_mode, str):
        return border_mode
    pads = []
    for size, dilation in zip(kernel_size, filter_dilation):
        dilated = (size - 1) * dilation + 1
        if border_mode == 'valid':
            pad = 0
        elif border_mode == 'full':
            pad = dilated - 1
        else:
            pad = dilated // 2
        pads.append((pad, pad))
    return tuple(pads)


def get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample,
                          filter_dilation=None):
    """The shape of a convolution's output, as Theano computed it.

    Parameters
    ----------
    image_shape : tuple
        ``(batch, channels, rows, columns)``: ints, symbolic scalars or
        ``None`` where unknown.
    kernel_shape : tuple
        ``(filters, channels, rows, columns)``, likewise.
    border_mode : str, int or tuple
        See :func:`conv2d`.
    subsample : tuple
        The strides.
    filter_dilation : tuple, optional
        The dilation, ``(1, 1)`` by default.

    Returns
    -------
    tuple
        ``(batch, filters, rows, columns)``, ``None`` where unknown.

    Examples
    --------
    >>> get_conv_output_shape((None, 1, 28, 28), (20, 1, 5, 5), 'valid',
    ...                       (1, 1))
    (None, 20, 24, 24)
    >>> get_conv_output_shape((8, 3, 7, 9), (4, 3, 3, 3), 'full', (2, 2))
    (8, 4, 5, 6)

    """
    filter_dilation = filter_dilation or (1, 1)
    batch, _, rows, columns = image_shape
    filters, _, kernel_rows, kernel_columns = kernel_shape
    sizes = []
    for size, kernel, step, dilation, axis in zip(
            (rows, columns), (kernel_rows, kernel_columns), subsample,
            filter_dilation, range(2)):
        if size is None or kernel is None:
            sizes.append(None)
            continue
        before, after = conv_padding(border_mode, (kernel, kernel),
                                     (dilation, dilation))[axis]
        dilated = (kernel - 1) * dilation + 1
        sizes.append((size + before + after - dilated) // step + 1)
    return (batch, filters) + tuple(sizes)


#: How many bytes of columns :class:`Conv2dGradInputs` computes at a time.
COLUMNS_CHUNK_BYTES = 2 ** 21


class _ConvOp(Op):
    """The parameters shared by the three convolution Ops."""
    __props__ = ('border_mode', 'subsample', 'filter_flip', 'filter_dilation',
                 'num_groups')

    def __init__(self, border_mode='valid', subsample=(1, 1),
                 filter_flip=True, filter_dilation=(1, 1), num_groups=1):
        self.border_mode = _normalize_border_mode(border_mode)
        self.subsample = _pair_of_positive_ints('subsample', subsample)
        self.filter_flip = bool(filter_flip)
        self.filter_dilation = _pair_of_positive_ints('filter_dilation',
                                                      filter_dilation)
        if not isinstance(num_groups, numbers.Integral) or num_groups < 1:
            raise ValueError("num_groups must be a positive int, got "
                             "{!r}".format(num_groups))
        self.num_groups = int(num_groups)

    def _arguments(self):
        return dict(border_mode=self.border_mode, subsample=self.subsample,
                    filter_flip=self.filter_flip,
                    filter_dilation=self.filter_dilation,
                    num_groups=self.num_groups)

    def _output(self, *inputs, shaped_by=None):
        shaped_by = inputs if shaped_by is None else shaped_by
        for input_ in shaped_by:
            if input_.ndim != 4:
                raise TypeError("{} expects 4-D tensors, got {} with {} "
                                "dimensions".format(type(self).__name__,
                                                    input_, input_.ndim))
        dtype = upcast(*[input_.dtype for input_ in inputs])
        # Static sizes where the inputs' are known: with static input
        # shapes, every shape in the graph is a constant, which the JAX
        # backend needs (it cannot reshape to a computed shape).
        static = self.output_shape(*[input_.type.shape
                                     for input_ in shaped_by])
        return tensor.tensor(dtype=dtype, shape=tuple(
            None if size is None else int(size) for size in static))

    def output_shape(self, *input_shapes):
        """The output shape for these input shapes (``None``: unknown)."""
        raise NotImplementedError

    def _padding(self, kernel_size):
        return conv_padding(self.border_mode, kernel_size,
                            self.filter_dilation)

    def _output_size(self, image_size, kernel_size):
        sizes = []
        for size, kernel, (before, after), step, dilation in zip(
                image_size, kernel_size, self._padding(kernel_size),
                self.subsample, self.filter_dilation):
            dilated = (kernel - 1) * dilation + 1
            sizes.append((size + before + after - dilated) // step + 1)
        return sizes

    # NumPy kernels ---------------------------------------------------------
    def _columns(self, image, kernel_size, output_size):
        """im2col into a scratch array, as ``(groups, taps per group,
        batch x positions)``."""
        shape = ((image.shape[1],) + tuple(kernel_size) + image.shape[:1] +
                 tuple(output_size))
        columns = im2col(image, kernel_size, output_size,
                         self._padding(kernel_size), self.subsample,
                         self.filter_dilation,
                         out=scratch(shape, image.dtype))
        return columns.reshape(self.num_groups, -1, image.shape[0] *
                               output_size[0] * output_size[1])

    def _image_columns(self, image, filters_shape):
        """The checked im2col of `image` (see :meth:`_columns`), and the
        output size."""
        self._check_channels(image.shape[1], filters_shape)
        kernel_size = filters_shape[2:]
        output_size = self._output_size(image.shape[2:], kernel_size)
        if min(output_size) < 1:
            raise ValueError("{}: image of size {} too small for filters of "
                             "size {} with {}".format(
                                 type(self).__name__, image.shape[2:],
                                 kernel_size, self._arguments()))
        return self._columns(image, kernel_size, output_size), output_size

    def _forward(self, columns, filters, batch, output_size, dtype):
        """The convolution's output from the image's columns."""
        product = numpy.matmul(self._filter_matrix(filters), columns)
        output = product.reshape((filters.shape[0], batch) +
                                 tuple(output_size)).transpose(1, 0, 2, 3)
        return numpy.ascontiguousarray(output, dtype=dtype)

    def _filter_gradient(self, columns, output_grad, filters_shape, dtype):
        """The filter gradient from the image's columns."""
        # columns @ output_grad^T, then transposed: BLAS is faster with
        # the long axis (batch x positions) inside both operands. One copy
        # of the output gradient, as (batch, rows, columns, filters).
        filters = output_grad.shape[1]
        transposed = numpy.ascontiguousarray(
            output_grad.transpose(0, 2, 3, 1)).reshape(
                -1, self.num_groups, filters // self.num_groups)
        gradient = numpy.matmul(columns, transposed.transpose(1, 0, 2))
        gradient = gradient.transpose(0, 2, 1)
        gradient = gradient.reshape(filters_shape)
        if self.filter_flip:
            gradient = gradient[:, :, ::-1, ::-1]
        return numpy.ascontiguousarray(gradient, dtype=dtype)

    def _filter_matrix(self, filters):
        """Filters as ``(groups, filters per group, taps per group)``."""
        if self.filter_flip:
            filters = filters[:, :, ::-1, ::-1]
        return numpy.ascontiguousarray(filters).reshape(
            self.num_groups, filters.shape[0] // self.num_groups, -1)

    def _check_channels(self, image_channels, filters_shape):
        groups = self.num_groups
        if (image_channels != filters_shape[1] * groups or
                filters_shape[0] % groups):
            raise ValueError(
                "{}: the input has {} channels and the filters have shape {}; "
                "with num_groups={} the input needs filters.shape[1] * {} "
                "channels and filters.shape[0] must be divisible by {}".format(
                    type(self).__name__, image_channels, filters_shape, groups,
                    groups, groups))

    def _output_gradient_matrix(self, output_grad):
        """``(batch, filters, r, c)`` as ``(groups, filters / group, b*r*c)``."""
        batch, filters = output_grad.shape[:2]
        return numpy.ascontiguousarray(
            output_grad.transpose(1, 0, 2, 3)).reshape(
                self.num_groups, filters // self.num_groups, -1)


class Conv2d(_ConvOp):
    """Convolution of a batch of images with a bank of filters.

    Inputs are ``(image, filters)``; see :func:`conv2d` for the parameters.

    """
    def make_node(self, image, filters):
        image, filters = map(tensor.as_tensor_variable, (image, filters))
        return Apply(self, [image, filters], [self._output(image, filters)])

    def perform(self, node, inputs, outputs):
        image, filters = inputs
        columns, output_size = self._image_columns(image, filters.shape)
        outputs[0][0] = self._forward(columns, filters, image.shape[0],
                                      output_size, node.outputs[0].dtype)

    def output_shape(self, image_shape, filters_shape):
        sizes = [None if None in (size, kernel) else output
                 for size, kernel, output in zip(
                     image_shape[2:], filters_shape[2:], self._output_size(
                         [1 if size is None else size
                          for size in image_shape[2:]],
                         [1 if kernel is None else kernel
                          for kernel in filters_shape[2:]]))]
        return (image_shape[0], filters_shape[0]) + tuple(sizes)

    @infer_shape_method
    def infer_shape(self, node, shapes):
        return [self.output_shape(*shapes)]

    def pullback(self, inputs, outputs, cotangents):
        image, filters = inputs
        output_grad, = cotangents
        arguments = self._arguments()
        return [Conv2dGradInputs(**arguments)(filters, output_grad, image),
                Conv2dGradWeights(**arguments)(image, output_grad, filters)]


class Conv2dGradWeights(_ConvOp):
    """The gradient of :class:`Conv2d` with respect to its filters.

    Inputs are ``(image, output_grad, filters_like)``; only the shape of
    ``filters_like`` is read.

    """
    def make_node(self, image, output_grad, filters_like):
        image, output_grad, filters_like = map(
            tensor.as_tensor_variable, (image, output_grad, filters_like))
        return Apply(self, [image, output_grad, filters_like],
                     [self._output(image, output_grad, filters_like)])

    def perform(self, node, inputs, outputs):
        image, output_grad, filters_like = inputs
        self._check_channels(image.shape[1], filters_like.shape)
        kernel_size = filters_like.shape[2:]
        output_size = output_grad.shape[2:]
        expected = self._output_size(image.shape[2:], kernel_size)
        if list(output_size) != list(expected):
            raise ValueError("Conv2dGradWeights: output gradient of size {}, "
                             "expected {}".format(output_size, expected))
        outputs[0][0] = self._filter_gradient(
            self._columns(image, kernel_size, output_size), output_grad,
            filters_like.shape, node.outputs[0].dtype)

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def output_shape(self, image_shape, output_grad_shape, filters_shape):
        return tuple(filters_shape)

    @infer_shape_method
    def infer_shape(self, node, shapes):
        return [shapes[2]]

    def pullback(self, inputs, outputs, cotangents):
        image, output_grad, filters_like = inputs
        filters_grad, = cotangents
        arguments = self._arguments()
        return [Conv2dGradInputs(**arguments)(filters_grad, output_grad, image),
                Conv2d(**arguments)(image, filters_grad),
                disconnected_type()]


class Conv2dGradInputs(_ConvOp):
    """The gradient of :class:`Conv2d` with respect to its input image.

    Inputs are ``(filters, output_grad, image_like)``; only the shape of
    ``image_like`` is read (its last two axes give the image size). With
    ``output_grad`` any feature map, this is the transposed convolution.

    """
    def make_node(self, filters, output_grad, image_like):
        filters, output_grad, image_like = map(
            tensor.as_tensor_variable, (filters, output_grad, image_like))
        return Apply(self, [filters, output_grad, image_like],
                     [self._output(filters, output_grad, shaped_by=(
                         filters, output_grad, image_like))])

    def perform(self, node, inputs, outputs):
        filters, output_grad, image_like = inputs
        kernel_size = filters.shape[2:]
        height, width = image_like.shape[2:]
        output_size = output_grad.shape[2:]
        expected = self._output_size((height, width), kernel_size)
        if list(output_size) != list(expected):
            raise ValueError(
                "Conv2dGradInputs: an image of size {} gives outputs of size "
                "{} with filters of size {} and {}, but the output gradient "
                "has size {}".format((height, width), expected, kernel_size,
                                     self._arguments(), output_size))
        if output_grad.shape[1] != filters.shape[0]:
            raise ValueError("Conv2dGradInputs: the output gradient has {} "
                             "channels, the filters {}".format(
                                 output_grad.shape[1], filters.shape[0]))
        batch = output_grad.shape[0]
        channels = filters.shape[1] * self.num_groups
        dtype = numpy.result_type(filters, output_grad)
        if direct.applies(dtype, channels, self._padding(kernel_size),
                          self.subsample, self.filter_dilation,
                          self.num_groups):
            applied = filters[:, :, ::-1, ::-1] if self.filter_flip \
                else filters
            outputs[0][0] = numpy.asarray(direct.conv2d_grad_inputs(
                applied.transpose(2, 3, 0, 1).astype(dtype, copy=False),
                output_grad.astype(dtype, copy=False), (height, width)),
                dtype=node.outputs[0].dtype)
            return
        filter_matrix = self._filter_matrix(filters).transpose(0, 2, 1)
        gradient_matrix = self._output_gradient_matrix(output_grad)
        gradient = numpy.empty((batch, channels, height, width), dtype)
        # A few images at a time: their columns stay in the cache between
        # the product and col2im.
        positions = output_size[0] * output_size[1]
        chunk = max(1, COLUMNS_CHUNK_BYTES // max(
            1, filter_matrix.shape[1] * self.num_groups * positions *
            dtype.itemsize))
        for start in range(0, batch, chunk):
            stop = min(start + chunk, batch)
            columns = numpy.matmul(
                filter_matrix,
                gradient_matrix[:, :, start * positions:stop * positions],
                out=scratch(filter_matrix.shape[:2] +
                            ((stop - start) * positions,), dtype))
            col2im(columns.reshape((channels,) + tuple(kernel_size) +
                                   (stop - start,) + tuple(output_size)),
                   (height, width), self._padding(kernel_size),
                   self.subsample, self.filter_dilation,
                   out=gradient[start:stop])
            del columns  # frees the scratch buffer for the next chunk
        outputs[0][0] = numpy.asarray(gradient, dtype=node.outputs[0].dtype)

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def output_shape(self, filters_shape, output_grad_shape,
                     image_like_shape):
        channels = filters_shape[1]
        if channels is not None and self.num_groups > 1:
            channels = channels * self.num_groups
        return (output_grad_shape[0], channels) + tuple(image_like_shape[2:])

    @infer_shape_method
    def infer_shape(self, node, shapes):
        return [self.output_shape(*shapes)]

    def pullback(self, inputs, outputs, cotangents):
        filters, output_grad, image_like = inputs
        image_grad, = cotangents
        arguments = self._arguments()
        return [Conv2dGradWeights(**arguments)(image_grad, output_grad,
                                               filters),
                Conv2d(**arguments)(image_grad, filters),
                disconnected_type()]


def _hint(shape):
    if len(shape) != 4:
        raise ValueError("shape hints need 4 entries, got {!r}".format(shape))
    return tuple(None if size is None else int(size) for size in shape)


def conv2d(input, filters, input_shape=None, filter_shape=None,
           border_mode='valid', subsample=(1, 1), filter_flip=True,
           image_shape=None, filter_dilation=(1, 1), num_groups=1,
           unshared=False, **kwargs):
    """Convolve a batch of multi-channel images with a bank of filters.

    The signature of Theano's ``conv2d``.

    Parameters
    ----------
    input : 4-D tensor
        ``(batch, channels, rows, columns)``.
    filters : 4-D tensor
        ``(filters, channels // num_groups, rows, columns)``.
    input_shape, image_shape : tuple, optional
        Ignored (the shape of the input is read at run time; declare a
        static shape on the input variable instead).
    filter_shape : tuple, optional
        The shape of the filters, ``None`` where unknown. Known sizes
        become static shapes (checked when the function runs), so that the
        graph's shapes are constants where the input's are too (the JAX
        mode needs constant shapes to reshape).
    border_mode : str, int or tuple
        ``'valid'`` (no padding), ``'full'`` (pad by the dilated filter
        size minus one), ``'half'`` (pad by half the dilated filter size),
        an int (the same padding on every side), a pair of ints (rows,
        columns) or a pair whose items are ints or ``(before, after)``
        pairs (asymmetric padding).
    subsample : tuple
        The strides.
    filter_flip : bool
        Flip the filters (a convolution, the default) or not (a
        cross-correlation).
    filter_dilation : tuple
        The dilation of the filters.
    num_groups : int
        Split channels and filters into this many independent groups.
    unshared : bool
        Locally connected filters are not supported; must be ``False``.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> from scipy.signal import convolve2d
    >>> x, w = tensor.tensor4('x'), tensor.tensor4('w')
    >>> image = numpy.arange(16.).reshape(1, 1, 4, 4)
    >>> kernel = numpy.array([[[[1., 2.], [3., 4.]]]])
    >>> out = conv2d(x, w).eval({x: image, w: kernel})
    >>> numpy.allclose(out[0, 0], convolve2d(image[0, 0], kernel[0, 0],
    ...                                      mode='valid'))
    True

    """
    if unshared:
        raise NotImplementedError("unshared (locally connected) convolution "
                                  "is not supported")
    # The filter shape becomes a static shape (checked at run time), so
    # that shapes in the graph are constants where the input's are known.
    if filter_shape is not None:
        filters = tensor.specify_shape(filters, _hint(filter_shape))
    return Conv2d(border_mode, subsample, filter_flip, filter_dilation,
                  num_groups)(input, filters)


def conv2d_transpose(input, filters, output_size, border_mode='valid',
                     subsample=(1, 1), filter_flip=True,
                     filter_dilation=(1, 1), num_groups=1):
    """The transpose of :func:`conv2d` (the gradient of its input).

    Parameters
    ----------
    input : 4-D tensor
        ``(batch, filters, rows, columns)``: what the corresponding forward
        convolution outputs.
    filters : 4-D tensor
        The filters of the *forward* convolution, ``(filters, channels //
        num_groups, rows, columns)``.
    output_size : tuple of two ints
        The image size of the forward convolution's input, which the
        transpose outputs.

    Other parameters are those of the forward convolution.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> x, w = tensor.tensor4('x'), tensor.tensor4('w')
    >>> y = conv2d_transpose(x, w, (4, 4))
    >>> y.eval({x: numpy.ones((1, 1, 3, 3)),
    ...         w: numpy.ones((1, 2, 2, 2))}).shape
    (1, 2, 4, 4)

    """
    rows, cols = (int(size) for size in output_size)
    image_like = tensor.zeros((1, 1, rows, cols), dtype=filters.dtype)
    return Conv2dGradInputs(border_mode, subsample, filter_flip,
                            filter_dilation, num_groups)(filters, input,
                                                         image_like)
