"""JAX implementations of the convolution and pooling Ops.

PyTensor's JAX backend turns each Op into a JAX function through the
``jax_funcify`` dispatcher. :func:`register` adds the Ops of
:mod:`blocks.ops`: the convolution runs ``jax.lax.conv_general_dilated``,
pooling ``jax.lax.reduce_window``, and the gradient Ops are the ``jax.vjp``
of their forward function (XLA removes the unused forward computation),
except those of max pooling, which select each window's first maximum
explicitly: XLA's own gradient of a maximum and its transpose may break
ties differently, and the NumPy Ops (like PyTorch) pick the first.

Importing JAX costs about a second, so :mod:`blocks.ops` does not import it:
it registers these functions as soon as PyTensor's JAX dispatch module is
imported (which the JAX linker does when it compiles), or at once if that
module is already loaded.

"""
import importlib.abc
import importlib.util
import sys

import numpy

from blocks.ops.conv import (Conv2d, Conv2dGradInputs, Conv2dGradWeights,
                             conv_padding)
from blocks.ops.pool import (Pool2d, Pool2dGrad, Pool2dGradGrad,
                             pool_output_shape)

__all__ = ['register', 'register_when_imported']

_DISPATCH_MODULE = 'pytensor.link.jax.dispatch'
_registered = []


def _convolution(op, image, filters):
    import jax
    kernel_size = filters.shape[2:]
    padding = [tuple(int(p) for p in pair)
               for pair in conv_padding(op.border_mode, kernel_size,
                                        op.filter_dilation)]
    if op.filter_flip:
        filters = filters[:, :, ::-1, ::-1]
    return jax.lax.conv_general_dilated(
        image, filters, window_strides=op.subsample, padding=padding,
        rhs_dilation=op.filter_dilation,
        dimension_numbers=('NCHW', 'OIHW', 'NCHW'),
        feature_group_count=op.num_groups)


def _pooling(op, input_):
    import jax
    import jax.numpy as jnp
    window_rows, window_cols = op.ws
    step_rows, step_cols = op.stride
    top, left = op.pad
    height, width = input_.shape[-2:]
    out_rows, out_cols = pool_output_shape((height, width), op.ws,
                                           op.ignore_border, op.stride,
                                           op.pad)
    # Partial windows (ignore_border=False) need extra rows and columns
    # at the bottom and right.
    extra_rows = max((out_rows - 1) * step_rows + window_rows -
                     (height + 2 * top), 0)
    extra_cols = max((out_cols - 1) * step_cols + window_cols -
                     (width + 2 * left), 0)
    leading = input_.ndim - 2
    dimensions = (1,) * leading + (window_rows, window_cols)
    strides = (1,) * leading + (step_rows, step_cols)
    padding = ((0, 0),) * leading + ((top, top + extra_rows),
                                     (left, left + extra_cols))

    def crop(result):
        return result[..., :out_rows, :out_cols]

    if op.mode == 'max':
        lowest = numpy.array(-numpy.inf, input_.dtype)
        return crop(jax.lax.reduce_window(input_, lowest, jax.lax.max,
                                          dimensions, strides, padding))
    total = crop(jax.lax.reduce_window(input_, numpy.zeros((), input_.dtype),
                                       jax.lax.add, dimensions, strides,
                                       padding))
    if op.mode == 'sum':
        return total
    if op.mode == 'average_inc_pad' and op.ignore_border:
        return total / (window_rows * window_cols)
    inside = jnp.ones((height, width), input_.dtype)
    count = crop(jax.lax.reduce_window(inside, numpy.zeros((), input_.dtype),
                                       jax.lax.add, (window_rows, window_cols),
                                       (step_rows, step_cols), padding[-2:]))
    return total / count


def _window_slices(op, image_size):
    """The strided slice of the padded canvas read by each window offset."""
    out_rows, out_cols = pool_output_shape(tuple(image_size), op.ws,
                                           op.ignore_border, op.stride,
                                           op.pad)
    step_rows, step_cols = op.stride
    slices = []
    for i in range(op.ws[0]):
        for j in range(op.ws[1]):
            slices.append((Ellipsis,
                           slice(i, i + step_rows * (out_rows - 1) + 1,
                                 step_rows),
                           slice(j, j + step_cols * (out_cols - 1) + 1,
                                 step_cols)))
    return slices, (out_rows, out_cols)


def _canvas(op, input_, fill, output_size):
    import jax.numpy as jnp
    height, width = input_.shape[-2:]
    top, left = op.pad
    rows = max((output_size[0] - 1) * op.stride[0] + op.ws[0],
               height + 2 * top)
    cols = max((output_size[1] - 1) * op.stride[1] + op.ws[1],
               width + 2 * left)
    padding = ((0, 0),) * (input_.ndim - 2) + (
        (top, rows - height - top), (left, cols - width - left))
    return jnp.pad(input_, padding, constant_values=fill)


def _first_maximum(op, input_):
    """Which window offset holds each window's first maximum (as NumPy)."""
    import jax.numpy as jnp
    slices, output_size = _window_slices(op, input_.shape[-2:])
    canvas = _canvas(op, input_, -numpy.inf, output_size)
    windows = jnp.stack([canvas[window] for window in slices])
    return jnp.argmax(windows, axis=0), slices, output_size


def _max_pool_scatter(op, input_, output_grad):
    """The max pooling gradient; ties go to the first maximum."""
    import jax.numpy as jnp
    first, slices, output_size = _first_maximum(op, input_)
    gradient = jnp.zeros_like(_canvas(op, input_, 0, output_size),
                              dtype=output_grad.dtype)
    for index, window in enumerate(slices):
        gradient = gradient.at[window].add(
            jnp.where(first == index, output_grad, 0))
    top, left = op.pad
    height, width = input_.shape[-2:]
    return gradient[..., top:top + height, left:left + width]


def _max_pool_gather(op, input_, input_like_grad):
    """The transpose of :func:`_max_pool_scatter` (the gradient's gradient)."""
    import jax.numpy as jnp
    first, slices, output_size = _first_maximum(op, input_)
    canvas = _canvas(op, input_like_grad, 0, output_size)
    windows = jnp.stack([canvas[window] for window in slices])
    return jnp.take_along_axis(windows, first[None], axis=0)[0]


def register():
    """Register the JAX functions of the Ops (idempotent).

    Examples
    --------
    >>> import numpy, pytensor
    >>> from pytensor import tensor
    >>> from blocks.ops import conv2d
    >>> register()
    >>> x, w = tensor.tensor4('x'), tensor.tensor4('w')
    >>> f = pytensor.function([x, w], conv2d(x, w), mode='JAX')
    >>> f(numpy.ones((1, 1, 3, 3)), numpy.ones((2, 1, 2, 2))).shape
    (1, 2, 2, 2)

    """
    if _registered:
        return
    import jax
    import jax.numpy as jnp
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(Conv2d)
    def _conv2d(op, **kwargs):
        def conv2d(image, filters):
            return _convolution(op, image, filters)
        return conv2d

    @jax_funcify.register(Conv2dGradWeights)
    def _conv2d_grad_weights(op, **kwargs):
        def conv2d_grad_weights(image, output_grad, filters_like):
            zeros = jnp.zeros(filters_like.shape, output_grad.dtype)
            _, pullback = jax.vjp(
                lambda filters: _convolution(op, image, filters), zeros)
            return pullback(output_grad)[0]
        return conv2d_grad_weights

    @jax_funcify.register(Conv2dGradInputs)
    def _conv2d_grad_inputs(op, **kwargs):
        def conv2d_grad_inputs(filters, output_grad, image_like):
            shape = ((output_grad.shape[0], filters.shape[1] * op.num_groups) +
                     tuple(image_like.shape[2:]))
            zeros = jnp.zeros(shape, output_grad.dtype)
            _, pullback = jax.vjp(
                lambda image: _convolution(op, image, filters), zeros)
            return pullback(output_grad)[0]
        return conv2d_grad_inputs

    @jax_funcify.register(Pool2d)
    def _pool2d(op, **kwargs):
        def pool2d(input_):
            return _pooling(op, input_)
        return pool2d

    @jax_funcify.register(Pool2dGrad)
    def _pool2d_grad(op, **kwargs):
        def pool2d_grad(input_, output, output_grad):
            if op.forward.mode != 'max':
                _, pullback = jax.vjp(lambda x: _pooling(op.forward, x),
                                      input_)
                return pullback(output_grad)[0]
            return _max_pool_scatter(op.forward, input_, output_grad)
        return pool2d_grad

    @jax_funcify.register(Pool2dGradGrad)
    def _pool2d_grad_grad(op, **kwargs):
        def pool2d_grad_grad(input_, output, input_like_grad):
            return _max_pool_gather(op.forward, input_, input_like_grad)
        return pool2d_grad_grad

    _registered.append(True)


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Runs :func:`register` right after PyTensor's JAX dispatch loads."""

    def find_spec(self, fullname, path, target=None):
        if fullname != _DISPATCH_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            register()

        loader.exec_module = exec_module
        return spec


def register_when_imported():
    """Register now if JAX dispatch is loaded, else when it gets loaded."""
    if _DISPATCH_MODULE in sys.modules:
        register()
    elif not any(isinstance(finder, _RegisterAfterImport)
                 for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())
