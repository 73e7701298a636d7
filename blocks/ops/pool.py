"""2-D max, sum and average pooling as PyTensor Ops (Theano's ``pool_2d``).

PyTensor 3 has no pooling. :class:`Pool2d` pools the last two axes of a
tensor of two or more dimensions; :class:`Pool2dGrad` is its gradient and
:class:`Pool2dGradGrad` the gradient of that (the gradient's gradient).
The ``perform`` methods combine one strided NumPy slice per window offset
(a maximum or a sum), which measured faster than a graph of slices and than
XLA's ``reduce_window`` on the CPU; the JAX mode uses ``reduce_window``
(:mod:`blocks.ops.jax_dispatch`).

Semantics are Theano's:

* ``mode`` is ``'max'``, ``'sum'``, ``'average_inc_pad'`` (padding counts
  in the average) or ``'average_exc_pad'`` (it does not).
* Max pooling never selects a padded cell. Its gradient goes to the
  *first* input (in row-major order) equal to the maximum of each window,
  as in PyTorch, cuDNN and XLA (so the JAX mode agrees); Theano's CPU code
  gave it to every tied input, which differs wherever a window holds equal
  values (rectifier zeros, constant image borders).
* ``ignore_border=False`` keeps partial windows at the bottom and right
  edges; their averages divide by the number of cells inside the image.
* Padding needs ``ignore_border=True`` and must be smaller than the window.

"""
import numbers

import numpy
from pytensor import tensor
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from blocks.compile.pytensor_internals import infer_shape_method

__all__ = ['pool_2d', 'pool_output_shape', 'Pool2d', 'Pool2dGrad',
           'Pool2dGradGrad', 'POOL_MODES']

POOL_MODES = ('max', 'sum', 'average_inc_pad', 'average_exc_pad')


def _maximum(a, b):
    if isinstance(a, numbers.Integral) and isinstance(b, numbers.Integral):
        return max(a, b)
    return tensor.maximum(a, b)


def pool_output_shape(imgshape, ws, ignore_border=False, stride=None,
                      pad=(0, 0)):
    """The shape of a pooling's output (Theano's ``Pool.out_shape``).

    Parameters
    ----------
    imgshape : tuple
        The input shape; its last two items (ints, symbolic scalars or
        ``None``) are pooled.
    ws : tuple
        The window size.
    ignore_border : bool
        Drop partial windows.
    stride : tuple, optional
        The stride, `ws` by default.
    pad : tuple
        The padding of each side of the rows and columns.

    Examples
    --------
    >>> pool_output_shape((3, 5, 5), (2, 2), ignore_border=True)
    [3, 2, 2]
    >>> pool_output_shape((3, 5, 5), (2, 2), ignore_border=False)
    [3, 3, 3]
    >>> pool_output_shape((None, 6, 6), (3, 3), True, (2, 2), (1, 1))
    [None, 3, 3]

    """
    stride = tuple(ws) if stride is None else tuple(stride)
    sizes = []
    for size, window, step, padding in zip(imgshape[-2:], ws, stride, pad):
        if size is None:
            sizes.append(None)
            continue
        size = size + 2 * padding
        if ignore_border:
            sizes.append(_maximum((size - window) // step + 1, 0))
        elif step >= window:
            sizes.append((size - 1) // step + 1)
        else:
            sizes.append(_maximum((size - 1 - window) // step + 1, 0) + 1)
    return list(imgshape[:-2]) + sizes


def _pair(name, value, minimum):
    if (isinstance(value, (tuple, list)) and len(value) == 2 and
            all(isinstance(v, numbers.Integral) and v >= minimum
                for v in value)):
        return (int(value[0]), int(value[1]))
    raise ValueError("{} must be a pair of ints >= {}, got {!r}".format(
        name, minimum, value))


class Pool2d(Op):
    """Pool the last two axes of a tensor; see :func:`pool_2d`."""
    __props__ = ('ws', 'stride', 'pad', 'ignore_border', 'mode')

    def __init__(self, ws, ignore_border=True, stride=None, pad=(0, 0),
                 mode='max'):
        self.ws = _pair('ws', ws, 1)
        self.stride = self.ws if stride is None else _pair('stride', stride, 1)
        self.pad = _pair('pad', pad, 0)
        self.ignore_border = bool(ignore_border)
        if mode not in POOL_MODES:
            raise ValueError("mode must be one of {}, got {!r}".format(
                POOL_MODES, mode))
        self.mode = mode
        if self.pad != (0, 0):
            if not self.ignore_border:
                raise ValueError("padding {} needs ignore_border=True".format(
                    self.pad))
            if self.pad[0] >= self.ws[0] or self.pad[1] >= self.ws[1]:
                raise ValueError("padding {} must be smaller than the window "
                                 "{}".format(self.pad, self.ws))

    def make_node(self, input_):
        input_ = tensor.as_tensor_variable(input_)
        if input_.ndim < 2:
            raise TypeError("Pool2d needs a tensor of 2 or more dimensions, "
                            "got {} dimensions".format(input_.ndim))
        # Static sizes where the input's are known (see blocks.ops.conv).
        output = input_.type.clone(shape=tuple(
            None if size is None else int(size)
            for size in self.output_shape(input_.type.shape)))()
        return Apply(self, [input_], [output])

    def output_shape(self, input_shape):
        return tuple(pool_output_shape(tuple(input_shape), self.ws,
                                       self.ignore_border, self.stride,
                                       self.pad))

    @infer_shape_method
    def infer_shape(self, node, shapes):
        return [self.output_shape(shapes[0])]

    # NumPy kernels ---------------------------------------------------------
    def output_size(self, image_size):
        return pool_output_shape(tuple(image_size), self.ws,
                                 self.ignore_border, self.stride, self.pad)

    def canvas(self, input_, fill):
        """The input padded so that every window lies inside it."""
        height, width = input_.shape[-2:]
        out_rows, out_cols = self.output_size((height, width))
        (top, left), (window_rows, window_cols) = self.pad, self.ws
        rows = max((out_rows - 1) * self.stride[0] + window_rows,
                   height + 2 * top)
        cols = max((out_cols - 1) * self.stride[1] + window_cols,
                   width + 2 * left)
        if (rows, cols) == (height, width):
            return input_
        canvas = numpy.full(input_.shape[:-2] + (rows, cols), fill,
                            dtype=input_.dtype)
        canvas[..., top:top + height, left:left + width] = input_
        return canvas

    def windows(self, image_size):
        """Each window offset and the strided slice of the canvas it reads."""
        out_rows, out_cols = self.output_size(image_size)
        (step_rows, step_cols) = self.stride
        for i in range(self.ws[0]):
            rows = slice(i, i + step_rows * (out_rows - 1) + 1, step_rows)
            for j in range(self.ws[1]):
                cols = slice(j, j + step_cols * (out_cols - 1) + 1, step_cols)
                yield (Ellipsis, rows, cols)

    def first_maxima(self, canvas, output, image_size):
        """Each window offset, and where its cell is its window's first max.

        The offsets come in row-major order; a window's maximum is claimed
        by the first offset that holds it, so that ties send the gradient
        to one input only.

        """
        claimed = numpy.zeros(output.shape, dtype=bool)
        for window in self.windows(image_size):
            selected = canvas[window] == output
            selected &= ~claimed
            claimed |= selected
            yield window, selected

    def divisor(self, image_size, dtype):
        """What each window's sum is divided by (averages only)."""
        if self.mode == 'average_inc_pad' and self.ignore_border:
            return numpy.asarray(self.ws[0] * self.ws[1], dtype=dtype)
        # Padding needs ignore_border, so only average_exc_pad and partial
        # windows get here: count the cells of each window inside the image.
        counter = Pool2d(self.ws, self.ignore_border, self.stride, self.pad,
                         'sum')
        return counter.pool(numpy.ones(tuple(image_size), dtype=dtype))

    def pool(self, input_):
        maximum = self.mode == 'max'
        canvas = self.canvas(input_, -numpy.inf if maximum else 0)
        reduce = numpy.maximum if maximum else numpy.add
        output = None
        for window in self.windows(input_.shape[-2:]):
            if output is None:
                output = canvas[window].copy()
            else:
                reduce(output, canvas[window], out=output)
        if self.mode.startswith('average'):
            output /= self.divisor(input_.shape[-2:], output.dtype)
        return output

    def perform(self, node, inputs, outputs):
        outputs[0][0] = numpy.ascontiguousarray(self.pool(inputs[0]))

    def pullback(self, inputs, outputs, cotangents):
        input_, = inputs
        return [Pool2dGrad(self)(input_, outputs[0], cotangents[0])]


class Pool2dGrad(Op):
    """The gradient of a :class:`Pool2d` with respect to its input.

    Inputs are ``(input, output, output_grad)``; ``output`` (the forward
    result) is read by max pooling only.

    """
    __props__ = ('forward',)

    def __init__(self, forward):
        if not isinstance(forward, Pool2d):
            raise TypeError("forward must be a Pool2d, got {!r}".format(
                forward))
        self.forward = forward

    def make_node(self, input_, output, output_grad):
        input_, output, output_grad = map(tensor.as_tensor_variable,
                                          (input_, output, output_grad))
        return Apply(self, [input_, output, output_grad], [input_.type()])

    @infer_shape_method
    def infer_shape(self, node, shapes):
        return [shapes[0]]

    def perform(self, node, inputs, outputs):
        input_, output, output_grad = inputs
        forward = self.forward
        maximum = forward.mode == 'max'
        canvas = forward.canvas(input_, -numpy.inf if maximum else 0)
        if forward.mode.startswith('average'):
            output_grad = output_grad / forward.divisor(input_.shape[-2:],
                                                        output_grad.dtype)
        gradient = numpy.zeros(canvas.shape, dtype=node.outputs[0].dtype)
        if maximum:
            maxima = forward.first_maxima(canvas, output, input_.shape[-2:])
            for window, selected in maxima:
                gradient[window] += output_grad * selected
        else:
            for window in forward.windows(input_.shape[-2:]):
                gradient[window] += output_grad
        top, left = forward.pad
        height, width = input_.shape[-2:]
        outputs[0][0] = numpy.ascontiguousarray(
            gradient[..., top:top + height, left:left + width])

    def connection_pattern(self, node):
        return [[True], [True], [True]]

    def pullback(self, inputs, outputs, cotangents):
        input_, output, output_grad = inputs
        gradient_grad, = cotangents
        if self.forward.mode == 'max':
            grad_output_grad = Pool2dGradGrad(self.forward)(
                input_, output, gradient_grad)
        else:
            # The gradient is linear in output_grad: its transpose is the
            # pooling itself.
            grad_output_grad = self.forward(gradient_grad)
        # Max selections and window sums are piecewise constant in the
        # input and the output: their derivatives are zero.
        return [tensor.zeros_like(input_), tensor.zeros_like(output),
                grad_output_grad]


class Pool2dGradGrad(Op):
    """The gradient of a max :class:`Pool2dGrad` w.r.t. its output gradient.

    Inputs are ``(input, output, input_like_grad)``: each window sums the
    values of ``input_like_grad`` where the input equals the window's
    maximum.

    """
    __props__ = ('forward',)

    def __init__(self, forward):
        if not isinstance(forward, Pool2d) or forward.mode != 'max':
            raise TypeError("forward must be a max Pool2d, got {!r}".format(
                forward))
        self.forward = forward

    def make_node(self, input_, output, input_like_grad):
        input_, output, input_like_grad = map(
            tensor.as_tensor_variable, (input_, output, input_like_grad))
        return Apply(self, [input_, output, input_like_grad],
                     [output.type()])

    @infer_shape_method
    def infer_shape(self, node, shapes):
        return [shapes[1]]

    def perform(self, node, inputs, outputs):
        input_, output, input_like_grad = inputs
        forward = self.forward
        canvas = forward.canvas(input_, -numpy.inf)
        grad_canvas = forward.canvas(input_like_grad, 0)
        result = numpy.zeros(output.shape, dtype=node.outputs[0].dtype)
        maxima = forward.first_maxima(canvas, output, input_.shape[-2:])
        for window, selected in maxima:
            result += grad_canvas[window] * selected
        outputs[0][0] = result

    def pullback(self, inputs, outputs, cotangents):
        input_, output, input_like_grad = inputs
        return [tensor.zeros_like(input_), tensor.zeros_like(output),
                Pool2dGrad(self.forward)(input_, output, cotangents[0])]


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0),
            mode='max'):
    """Pool the last two axes of a tensor (Theano's ``pool_2d``).

    Parameters
    ----------
    input : tensor
        Two or more dimensions; the last two are pooled.
    ws : tuple of two ints
        The window size.
    ignore_border : bool
        Drop the partial windows at the bottom and right edges (``True``)
        or keep them. Theano's default, ``None``, warns and means
        ``False``; here it means ``False`` without the warning.
    stride : tuple, optional
        The step between windows, `ws` by default.
    pad : tuple
        Zero padding of the top and bottom rows and of the left and right
        columns; needs ``ignore_border=True``.
    mode : str
        ``'max'``, ``'sum'``, ``'average_inc_pad'`` or
        ``'average_exc_pad'``.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> x = tensor.matrix('x')
    >>> pool_2d(x, (2, 2), ignore_border=True).eval(
    ...     {x: numpy.arange(16.).reshape(4, 4)})
    array([[ 5.,  7.],
           [13., 15.]])

    """
    if ws is None:
        raise ValueError("pool_2d needs the window size ws")
    return Pool2d(ws, bool(ignore_border), stride, pad, mode)(input)
