"""One im2col for a convolution and its filter gradient (C VM mode only).

Training a convolution computes :class:`~blocks.ops.conv.Conv2d` and
:class:`~blocks.ops.conv.Conv2dGradWeights` of the same image, and both lay
that image out as columns (im2col, 25 times the image for 5x5 filters). The
rewrite :func:`share_columns` replaces such a pair by
:class:`Conv2dAndColumns`, which returns the columns next to its output, and
:class:`Conv2dGradWeightsFromColumns`, which reads them: one im2col instead
of two.

The rewrite carries the tag ``blocks_cvm`` (registered by
:func:`blocks.compile.compilation._register_rewrites`): only Blocks' C VM
mode runs it. FAST_COMPILE and the JAX mode (which dispatches the original
Ops to ``lax.conv_general_dilated``) keep the original Ops. The new Ops have
no gradient: rewrites run after the gradients are built.

"""
from pytensor import tensor
from pytensor.graph.basic import Apply

from blocks.compile.pytensor_internals import infer_shape_method
from blocks.ops.conv import Conv2d, Conv2dGradWeights, _ConvOp

__all__ = ['Conv2dAndColumns', 'Conv2dGradWeightsFromColumns',
           'share_columns']


class Conv2dAndColumns(_ConvOp):
    """:class:`~blocks.ops.conv.Conv2d` that also returns its columns.

    Inputs are ``(image, filters)``; outputs are the convolution and the
    image's columns, ``(groups, taps per group, batch x output positions)``
    (the layout of :func:`~blocks.ops.im2col.im2col`), for
    :class:`Conv2dGradWeightsFromColumns`.

    The columns are written into a scratch buffer of
    :func:`~blocks.ops.scratch.scratch`, busy while they live: the function
    drops them after their last use, and the next convolution Op of the
    step (or of the next call) writes into the same buffer again, without
    page faults and within the cache.

    """
    def make_node(self, image, filters):
        image, filters = map(tensor.as_tensor_variable, (image, filters))
        output = self._output(image, filters)
        columns = tensor.tensor(dtype=image.dtype, shape=(None, None, None))
        return Apply(self, [image, filters], [output, columns])

    output_shape = Conv2d.output_shape

    @infer_shape_method
    def infer_shape(self, node, shapes):
        image, filters = shapes
        output = self.output_shape(image, filters)
        return [output, (self.num_groups,
                         filters[1] * filters[2] * filters[3],
                         output[0] * output[2] * output[3])]

    def perform(self, node, inputs, outputs):
        image, filters = inputs
        # The scratch buffer stays busy while the columns live.
        columns, output_size = self._image_columns(image, filters.shape)
        outputs[0][0] = self._forward(columns, filters, image.shape[0],
                                      output_size, node.outputs[0].dtype)
        outputs[1][0] = columns


class Conv2dGradWeightsFromColumns(_ConvOp):
    """:class:`~blocks.ops.conv.Conv2dGradWeights` from the image's columns.

    Inputs are ``(columns, output_grad, filters_like)``: the columns of
    :class:`Conv2dAndColumns`, the output gradient, and an array whose
    shape is the filters'.

    """
    def make_node(self, columns, output_grad, filters_like):
        columns, output_grad, filters_like = map(
            tensor.as_tensor_variable, (columns, output_grad, filters_like))
        return Apply(self, [columns, output_grad, filters_like],
                     [self._output(columns, output_grad, filters_like,
                                   shaped_by=(filters_like,))])

    def output_shape(self, filters_shape):
        return tuple(filters_shape)

    def perform(self, node, inputs, outputs):
        columns, output_grad, filters_like = inputs
        expected = (self.num_groups,
                    filters_like.shape[1] * filters_like.shape[2] *
                    filters_like.shape[3],
                    output_grad.shape[0] * output_grad.shape[2] *
                    output_grad.shape[3])
        if columns.shape != expected:
            raise ValueError("Conv2dGradWeightsFromColumns: columns of shape "
                             "{}, expected {}".format(columns.shape, expected))
        outputs[0][0] = self._filter_gradient(
            columns, output_grad, filters_like.shape, node.outputs[0].dtype)

    @infer_shape_method
    def infer_shape(self, node, shapes):
        return [shapes[2]]


def _same_kernel_size(filters, filters_like):
    """Whether two filter variables surely have the same kernel size."""
    if filters is filters_like:
        return True
    known = [filters.type.shape[2:], filters_like.type.shape[2:]]
    return None not in known[0] and known[0] == known[1]


def share_columns(fgraph, node):
    """Rewrite a ``Conv2dGradWeights`` to share its ``Conv2d``'s im2col.

    `node` is a :class:`~blocks.ops.conv.Conv2dGradWeights`; when the graph
    also convolves the same image with the same parameters and filters of
    the same size, both are replaced (see the module's docstring).
    Returns the replacements, or ``None``.

    """
    if type(node.op) is not Conv2dGradWeights:
        return None
    image, output_grad, filters_like = node.inputs
    arguments = node.op._arguments()
    for client, _ in fgraph.clients[image]:
        if (client == 'output' or
                type(client.op) not in (Conv2d, Conv2dAndColumns) or
                client.op._arguments() != arguments or
                client.inputs[0] is not image or
                not _same_kernel_size(client.inputs[1], filters_like)):
            continue
        if type(client.op) is Conv2d:
            output, columns = Conv2dAndColumns(**arguments)(*client.inputs)
        else:
            output, columns = client.outputs
        # The filter gradient first: when the output gradient is the
        # convolution's output itself, replacing that output next also
        # reaches the new gradient node.
        return {node.outputs[0]: Conv2dGradWeightsFromColumns(**arguments)(
                    columns, output_grad, filters_like),
                client.outputs[0]: output}
    return None
