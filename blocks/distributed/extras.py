"""The extra updates of a data-parallel step, combined across the workers.

Besides the gradients, a step carries the new values of the *extra* updates
(those extensions add: monitoring accumulators, batch normalization's
population statistics...). Each combines across the workers by its
reduction (see :class:`~blocks.distributed.DataParallel`'s
``reductions``): ``'mean'`` and ``'sum'`` travel in the fused buffer,
after the gradients (:func:`pack_extras`); ``'min'`` and ``'max'`` are
reduced on their own; ``'local'`` ones stay on each worker
(:func:`unpack_extras`).
"""
import numpy

from blocks.distributed.mpi import allreduce


def pack_extras(buffer, offsets, summed, reductions, news, olds, examples):
    """Write the summed extras into the fused `buffer`.

    A ``'mean'`` extra is written weighted by the shard's number of
    `examples`; a ``'sum'`` extra as its increment over its old value
    (the whole new value where the shape changed).

    Parameters
    ----------
    buffer : numpy.ndarray
        The fused buffer (1-d).
    offsets : list of ints
        Where each summed extra starts (and the last one ends) in it.
    summed : list of ints
        The indices of the extras that travel in the buffer.
    reductions : list of str
        Every extra's reduction.
    news, olds : lists of arrays
        Every extra's new and old values.
    examples : int
        The shard's number of examples.

    """
    for index, start, stop in zip(summed, offsets[:-1], offsets[1:]):
        new = numpy.ravel(news[index])
        if reductions[index] == 'mean':
            buffer[start:stop] = new
            buffer[start:stop] *= examples
        else:
            old = olds[index]
            buffer[start:stop] = new - (
                numpy.ravel(old) if numpy.shape(old) ==
                numpy.shape(news[index]) else 0)


def unpack_extras(arrays, summed, reductions, variables, news, olds, total,
                  comm):
    """The extras' values after the reduction (collective for min, max).

    Parameters
    ----------
    arrays : list of arrays
        The reduced buffer's summed extras, in the order of `summed`.
    summed, reductions, news, olds
        As for :func:`pack_extras`.
    variables : list of shared variables
        The extras' variables (their dtypes are kept).
    total : float
        The batch's number of examples.
    comm : ``mpi4py.MPI.Comm``
        For the ``'min'`` and ``'max'`` reductions.

    Returns
    -------
    list of arrays
        Every extra's value, by index.

    """
    extras = list(olds)
    for array, index in zip(arrays, summed):
        if reductions[index] == 'mean':
            value = array / total
        elif numpy.shape(olds[index]) == array.shape:
            value = olds[index] + array
        else:
            value = array
        extras[index] = numpy.asarray(value).astype(variables[index].dtype)
    for index, reduction in enumerate(reductions):
        if reduction in ('min', 'max'):
            extras[index] = allreduce(
                comm, numpy.ascontiguousarray(news[index]),
                operation=reduction)
        elif reduction == 'local':
            extras[index] = news[index]
    return extras
