"""Scratch arrays shared by the convolution Ops of a thread.

The columns of an im2col are the largest arrays of a convolution (25 times
the image for 5x5 filters). A fresh one costs a page fault per 4 KiB page
at each call, and one buffer per Op makes a training step touch more memory
than the cache holds; :func:`scratch` hands out arrays from one pool per
thread instead, reusing a buffer once nothing refers to the array (or a
view of it) it was handed out as.

"""
import sys
import threading

import numpy

__all__ = ['scratch']

#: Each thread's scratch buffers (see :func:`scratch`).
_SCRATCH = threading.local()


def _smallest_free(buffers, nbytes):
    """The index of the smallest buffer nothing outside `buffers` holds.

    Only one of at least `nbytes` bytes if `nbytes` is given; ``None`` if
    there is none. A view of a buffer (such as the array :func:`scratch`
    returns) holds it.
    """
    best = None
    for index in range(len(buffers)):
        if (sys.getrefcount(buffers[index]) == _FREE and
                (nbytes is None or buffers[index].nbytes >= nbytes) and
                (best is None or
                 buffers[index].nbytes < buffers[best].nbytes)):
            best = index
    return best


def _free_count():
    """What :func:`sys.getrefcount` says in :func:`_smallest_free` of a
    free buffer."""
    probe = [numpy.empty(1)]
    return sys.getrefcount(probe[0])


_FREE = _free_count()


def scratch(shape, dtype):
    """An uninitialized array from this thread's scratch buffers.

    The columns of an im2col are the largest arrays of a convolution (25
    times the image for 5x5 filters): a fresh one costs a page fault per 4
    KiB page each call, and one buffer per Op makes a training step touch
    more memory than the cache holds. So the convolution Ops share a pool
    of buffers per thread: an array returned here keeps its buffer busy as
    long as it (or a view of it) lives, and the next call takes the
    smallest free buffer that is large enough (the pool grows only when
    none is, to the most arrays alive at once; it is never freed).

    >>> a = scratch((2, 3), 'float32')
    >>> b = scratch((2, 3), 'float32')
    >>> numpy.shares_memory(a, b)
    False
    >>> address = a.ctypes.data
    >>> del a
    >>> scratch((3, 2), 'float32').ctypes.data == address
    True
    """
    dtype = numpy.dtype(dtype)
    nbytes = max(int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize,
                 1)
    buffers = _SCRATCH.__dict__.setdefault('buffers', [])
    index = _smallest_free(buffers, nbytes)
    if index is None:
        index = _smallest_free(buffers, None)
        if index is None:
            buffers.append(None)
            index = len(buffers) - 1
        buffers[index] = numpy.empty(nbytes, numpy.uint8)
    return buffers[index][:nbytes].view(dtype).reshape(shape)
