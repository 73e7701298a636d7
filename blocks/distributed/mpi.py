"""The MPI engine: the communicator and the fused allreduce.

``mpi4py`` is imported on first use, so that :mod:`blocks.distributed`
imports without it; using it without ``mpi4py`` raises an
:class:`ImportError` saying how to install it.
"""
import numpy

INSTALL_HINT = (
    "data-parallel training needs mpi4py and an MPI runtime: install them "
    "with `pip install 'blocks[mpi]'` (from a checkout: `pip install -e "
    "'.[mpi]'`), which brings mpi4py and MPICH's `mpiexec` from PyPI; on a "
    "cluster, build mpi4py against the cluster's MPI instead (`pip install "
    "--no-binary mpi4py mpi4py`)")


def require_mpi():
    """The ``mpi4py.MPI`` module, or an :class:`ImportError` with a hint."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    return MPI


def world():
    """``MPI.COMM_WORLD``."""
    return require_mpi().COMM_WORLD


def rank():
    """This process's rank in ``MPI.COMM_WORLD`` (0 without ``mpi4py``)."""
    try:
        from mpi4py import MPI
    except ImportError:
        return 0
    return MPI.COMM_WORLD.Get_rank()


def _mpi_op(operation):
    MPI = require_mpi()
    operations = {'sum': MPI.SUM, 'min': MPI.MIN, 'max': MPI.MAX}
    if operation not in operations:
        raise ValueError("operation must be one of 'sum', 'min' or 'max', "
                         "got {!r}".format(operation))
    return operations[operation]


class FusedBuffer:
    """Flatten many arrays into one contiguous buffer, and back.

    A step's gradients travel in one allreduce of one buffer (one message,
    rather than one per parameter).

    Parameters
    ----------
    shapes : list of tuples
        The shapes of the arrays, in order.
    dtype : str or numpy.dtype
        The buffer's dtype; the arrays are cast to it.
    extra : int, optional
        Scalars appended after the arrays (an example count, a flag).
    buffer, result : 1-d arrays, optional
        The memory of the buffer and of the reduced result (the segments of
        a shared-memory reduction); new arrays by default.

    Examples
    --------
    >>> fused = FusedBuffer([(2,), (1, 2)], 'float64', extra=1)
    >>> buffer = fused.pack([numpy.array([1., 2.]), numpy.array([[3., 4.]])],
    ...                     extra=[5.])
    >>> buffer.tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    >>> [array.tolist() for array in fused.unpack(buffer)]
    [[1.0, 2.0], [[3.0, 4.0]]]
    >>> fused.extra_values(buffer).tolist()
    [5.0]
    """
    def __init__(self, shapes, dtype, extra=0, buffer=None, result=None):
        self.shapes = [tuple(shape) for shape in shapes]
        self.dtype = numpy.dtype(dtype)
        self.sizes = [int(numpy.prod(shape, dtype=numpy.int64))
                      for shape in self.shapes]
        self.offsets = numpy.concatenate(
            [[0], numpy.cumsum(self.sizes, dtype=numpy.int64)]).tolist()
        self.extra = extra
        self.length = self.offsets[-1] + extra
        for name, array in (('buffer', buffer), ('result', result)):
            if array is not None and (array.shape != (self.length,) or
                                      array.dtype != self.dtype):
                raise ValueError(
                    '{} must be a vector of {} {}, got {} {}'.format(
                        name, self.length, self.dtype, array.shape,
                        array.dtype))
        self.buffer = (numpy.zeros(self.length, dtype=self.dtype)
                       if buffer is None else buffer)
        self.result = numpy.empty_like(self.buffer) if result is None \
            else result

    @property
    def nbytes(self):
        """The size of the buffer in bytes."""
        return self.buffer.nbytes

    def pack(self, arrays, extra=(), scale=None):
        """Copy `arrays` (times `scale`) and `extra` into the buffer."""
        for array, start, stop in zip(arrays, self.offsets[:-1],
                                      self.offsets[1:]):
            view = self.buffer[start:stop]
            view[...] = numpy.ravel(array)
            if scale is not None:
                view *= scale
        if len(extra) != self.extra:
            raise ValueError('expected {} extra values, got {!r}'.format(
                self.extra, extra))
        self.buffer[self.offsets[-1]:] = extra
        return self.buffer

    def zero(self, extra=()):
        """Fill the buffer with zeros (and `extra`): an empty shard."""
        self.buffer[:self.offsets[-1]] = 0
        self.buffer[self.offsets[-1]:] = extra
        return self.buffer

    def unpack(self, buffer):
        """Views of `buffer` shaped as the arrays."""
        return [buffer[start:stop].reshape(shape)
                for start, stop, shape in zip(self.offsets[:-1],
                                              self.offsets[1:], self.shapes)]

    def extra_values(self, buffer):
        """The scalars after the arrays."""
        return buffer[self.offsets[-1]:]


def allreduce(comm, send, receive=None, operation='sum'):
    """Reduce a NumPy array over all ranks of `comm`, in one message.

    Returns `receive` (a new array when not given), the same on every rank.
    The sum is taken in the same order on every rank, so every rank gets
    bit-identical results.
    """
    send = numpy.ascontiguousarray(send)
    if receive is None:
        receive = numpy.empty_like(send)
    comm.Allreduce(send, receive, op=_mpi_op(operation))
    return receive
