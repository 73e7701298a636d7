"""Ops that PyTensor 3 lacks: 2-D convolution and pooling.

:mod:`blocks.ops.conv` holds the convolution (and its transpose),
:mod:`blocks.ops.pool` max, sum and average pooling; both run as NumPy
code in the Python and C virtual machines and as XLA code in the JAX mode
(:mod:`blocks.ops.jax_dispatch`, registered without importing JAX first).

"""
from blocks.ops.conv import (Conv2d, Conv2dGradInputs, Conv2dGradWeights,
                             conv2d, conv2d_transpose, conv_padding,
                             get_conv_output_shape)
from blocks.ops.pool import (Pool2d, Pool2dGrad, Pool2dGradGrad, pool_2d,
                             pool_output_shape)
from blocks.ops.jax_dispatch import register_when_imported

register_when_imported()

__all__ = ['Conv2d', 'Conv2dGradInputs', 'Conv2dGradWeights', 'conv2d',
           'conv2d_transpose', 'conv_padding', 'get_conv_output_shape',
           'Pool2d', 'Pool2dGrad', 'Pool2dGradGrad', 'pool_2d',
           'pool_output_shape']
