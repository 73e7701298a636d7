"""The shared-memory reduction: a node-local reduce-scatter.

Where several ranks share a machine (a node), they sum their buffers in
MPI-3 shared memory rather than through ``MPI_Allreduce``, whose
shared-memory path copies every buffer through small cells (MPICH moves
about 3 GB/s there, where the memory moves ten times that):

1. every rank writes its buffer into its own *segment* of a shared window
   (the data-parallel gradient function writes there directly);
2. barrier;
3. rank ``r`` of the node sums chunk ``r`` of all the node's segments, in
   rank order, into the node's shared *result* (each element is summed
   exactly once, by one rank, so every rank reads the same bits); on
   several nodes, chunk ``r`` is then summed across the nodes with an
   ``MPI_Allreduce`` in place among the ranks of node rank ``r`` (one per
   node);
4. barrier; every rank reads the whole result.

With two ranks on one node, the reduction can be *fused* into its reader
instead (``fused=True``): after the barrier, every rank reads both
segments, and sums them itself where it uses them (the data-parallel step
function adds them in its elementwise loops; only the small tail of the
buffer is summed here). The two ranks then move ``4 L`` bytes each for a
buffer of ``L`` (two segments read, the parameters read and written) where
the reduce-scatter moves ``4.5 L`` (its chunk's two halves read, the chunk
written, the result read, the parameters read and written), and one
barrier is left: the segments are double-buffered (the ranks write the
other set at the next step, while a slower neighbour may still read this
one), so the barrier of the next step also says that this step's reads are
done. With ``N`` ranks the fused reader would move ``(N + 2) L``, against
``(4 + 1 / N) L``: it is used for two ranks on one node only. (The sharded
step of :mod:`blocks.distributed.sharding` ends with a barrier of its own,
and uses one set of segments; each rank then moves ``2 L`` for the step.)

The windows are used in MPI-3's unified memory model: one passive epoch
(``Lock_all``) for the windows' lifetime, ``Win.Sync`` around the barriers
to order the loads and stores. Nodes must hold equal numbers of ranks
(:class:`UnequalNodes` otherwise; :class:`~blocks.distributed.DataParallel`
then falls back to ``MPI_Allreduce``).

The windows are freed by :meth:`SharedReduction.free` (collective over the
node), or at exit for those still open (before ``mpi4py`` finalizes MPI),
in the order they were created, which is the same on every rank.
"""
import atexit
import logging

import numpy

from blocks.distributed.mpi import require_mpi

logger = logging.getLogger(__name__)

#: The reductions whose windows are open, in the order of creation.
_open = []


class UnequalNodes(ValueError):
    """The nodes hold different numbers of ranks."""


def _free_open_windows():
    while _open:
        _open[0].free()


def _register_exit():
    """Free the windows still open at exit (once registered, for all)."""
    global _exit_registered
    if not _exit_registered:
        atexit.register(_free_open_windows)
        _exit_registered = True


_exit_registered = False


def open_shared_reduction(comm, length, dtype, reduction='auto', **kwargs):
    r"""A :class:`SharedReduction`, or ``None`` where ``MPI_Allreduce`` must do.

    Parameters
    ----------
    comm, length, dtype, \*\*kwargs
        Passed to :class:`SharedReduction`.
    reduction : {'auto', 'shared', 'mpi'}
        ``'mpi'``: ``None``; ``'shared'``: raise where the shared-memory
        reduction is impossible (`comm` is not an ``mpi4py``
        intracommunicator, unequal nodes, no shared windows); ``'auto'``:
        ``None`` then (logged).
    """
    if reduction == 'mpi':
        return None
    MPI = require_mpi()
    if not isinstance(comm, MPI.Intracomm):
        if reduction == 'shared':
            raise TypeError("reduction='shared' needs an mpi4py "
                            "intracommunicator, got {!r}".format(comm))
        return None
    try:
        return SharedReduction(comm, length, dtype, **kwargs)
    except (UnequalNodes, MPI.Exception) as error:
        if reduction == 'shared':
            raise
        logger.info('No shared-memory reduction (%s): the gradients are '
                    'reduced with MPI_Allreduce', error)
        return None


def two_ranks_on_one_node(comm):
    """Whether `comm` holds two ranks, on one machine (collective).

    False for anything but an ``mpi4py`` intracommunicator.
    """
    try:
        MPI = require_mpi()
    except ImportError:
        return False
    if not isinstance(comm, MPI.Intracomm) or comm.Get_size() != 2:
        return False
    node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    try:
        return node.Get_size() == 2
    finally:
        node.Free()


def chunk_bounds(length, parts):
    """Split ``range(length)`` into `parts` contiguous chunks, in order.

    >>> chunk_bounds(10, 3)
    [0, 3, 6, 10]
    """
    return [length * part // parts for part in range(parts + 1)]


class SharedReduction:
    """Sum a buffer over the ranks of a communicator in shared memory.

    Collective over `comm`: every rank creates it, writes its buffer into
    :attr:`send`, calls :meth:`reduce` and reads the sum from
    :attr:`result` (the same bits on every rank), until :meth:`free`.

    Parameters
    ----------
    comm : ``mpi4py.MPI.Intracomm``
        The ranks to sum over.
    length : int
        The number of elements of the buffer.
    dtype : str or numpy.dtype
    node : ``mpi4py.MPI.Intracomm``, optional
        The ranks of `comm` that share this rank's memory. Default:
        ``comm.Split_type(MPI.COMM_TYPE_SHARED)`` (its own split, freed
        with the reduction; one given is the caller's to free).
    node_color : int, optional
        Instead of `node`: split `comm` by this color (ranks of equal
        colors form a node; freed with the reduction). Pretending that the
        ranks of one machine lie on several nodes tests the multi-node
        path on one machine.
    fused : bool, optional
        Leave the sum to the reader where there are two ranks, on one
        node (:attr:`fused` says whether it is so): :meth:`reduce` then
        sums only the buffer's tail from `tail` on into :attr:`result`,
        and returns the segments.
    tail : int, optional
        Where the tail starts, with `fused`.
    double_buffered : bool, optional
        With `fused`, alternate two sets of segments (default), so that a
        rank may write the next step's buffer while its neighbour still
        reads this one. ``False``: one set; the reader must then hold a
        barrier between its reads and the next step's writes (the sharded
        step of :mod:`blocks.distributed.sharding` ends with one).

    Raises
    ------
    UnequalNodes
        When the nodes hold different numbers of ranks.

    Notes
    -----
    ``MPI_Allreduce`` across nodes is asked to give every rank the same
    sum, as MPICH's and Open MPI's algorithms for a commutative operation
    do; :meth:`~blocks.distributed.DataParallel.check_parameters` checks
    the parameters' agreement.

    """
    def __init__(self, comm, length, dtype, node=None, fused=False,
                 tail=0, node_color=None, double_buffered=True):
        MPI = require_mpi()
        self.comm = comm
        self.length = int(length)
        self.dtype = numpy.dtype(dtype)
        self._own_node = node is None
        if node_color is not None:
            if node is not None:
                raise ValueError('give node or node_color, not both')
            node = comm.Split(color=node_color, key=comm.Get_rank())
        elif node is None:
            node = comm.Split_type(MPI.COMM_TYPE_SHARED,
                                   key=comm.Get_rank())
        self.node = node
        node_rank, node_size = node.Get_rank(), node.Get_size()
        sizes = comm.allgather(node_size)
        if len(set(sizes)) != 1:
            if self._own_node:
                node.Free()
            raise UnequalNodes(
                'the nodes hold different numbers of ranks ({}); the '
                'shared-memory reduction needs as many ranks on every node'
                .format(sorted(set(sizes))))
        self.nodes = len(sizes) // node_size
        self.fused = bool(fused) and node_size == 2 and self.nodes == 1
        self.tail = int(tail)
        self.cross = comm.Split(color=node_rank, key=comm.Get_rank())
        self._windows = []
        #: Which set of segments is written (the sets alternate when fused).
        self.parity = 0
        if node_size == 1:
            # Alone on its node: the sum over the node is this rank's
            # buffer, in place.
            self.result = numpy.zeros(self.length, self.dtype)
            self.segments = [[self.result]]
        else:
            item = self.dtype.itemsize
            # Each segment page-aligned and placed on its writer's memory.
            info = MPI.Info.Create({'alloc_shared_noncontig': 'true'})
            sets = 2 if self.fused and double_buffered else 1
            try:
                segments = MPI.Win.Allocate_shared(
                    sets * self.length * item, item, info=info, comm=node)
                self._windows.append(segments)
                if not self.fused:
                    results = MPI.Win.Allocate_shared(
                        self.length * item if node_rank == 0 else 0, item,
                        info=info, comm=node)
                    self._windows.append(results)
            except Exception:
                self._release()
                raise
            finally:
                info.Free()
            memories = [self._view(segments, rank, sets * self.length)
                        for rank in range(node_size)]
            #: ``segments[set][rank]``: the ranks' buffers.
            self.segments = [
                [memory[index * self.length:(index + 1) * self.length]
                 for memory in memories] for index in range(sets)]
            # Fused, each rank sums the tail into its own memory.
            self.result = (numpy.zeros(self.length, self.dtype) if self.fused
                           else self._view(results, 0, self.length))
            for window in self._windows:
                window.Lock_all(MPI.MODE_NOCHECK)
            memories[node_rank][...] = 0
            self._synchronize()
        bounds = chunk_bounds(self.length, node_size)
        self._chunk = slice(bounds[node_rank], bounds[node_rank + 1])
        _register_exit()
        _open.append(self)

    def _view(self, window, rank, count):
        memory, _ = window.Shared_query(rank)
        return numpy.frombuffer(memory, self.dtype, count=count)

    @property
    def send(self):
        """This rank's buffer to fill before :meth:`reduce`."""
        return self.segments[self.parity][self.node.Get_rank()]

    @property
    def nbytes(self):
        """The size of the buffer in bytes."""
        return self.length * self.dtype.itemsize

    @property
    def is_open(self):
        return self in _open

    def _synchronize(self):
        # Stores before the barrier are visible to loads after it on the
        # other ranks (MPI-3's unified model: sync, barrier, sync).
        for window in self._windows:
            window.Sync()
        self.node.Barrier()
        for window in self._windows:
            window.Sync()

    def reduce(self):
        """Sum :attr:`send` over the ranks into :attr:`result` (collective).

        Returns :attr:`result`, which stays valid until the next call;
        when :attr:`fused`, only its tail is summed, and the list of the
        segments to sum (in rank order) is returned instead.
        """
        if not self.is_open:
            raise RuntimeError('the shared-memory reduction was freed')
        segments = self.segments[self.parity]
        if len(segments) == 1:
            if self.nodes > 1:
                self.cross.Allreduce(require_mpi().IN_PLACE, self.result)
            return self.result
        self._synchronize()
        if self.fused:
            tail = slice(self.tail, None)
            numpy.add(segments[0][tail], segments[1][tail],
                      out=self.result[tail])
            self.parity = (self.parity + 1) % len(self.segments)
            return segments
        chunk = self._chunk
        total = self.result[chunk]
        numpy.add(segments[0][chunk], segments[1][chunk], out=total)
        for segment in segments[2:]:
            numpy.add(total, segment[chunk], out=total)
        if self.nodes > 1:
            self.cross.Allreduce(require_mpi().IN_PLACE, total)
        self._synchronize()
        return self.result

    def _release(self):
        for window in self._windows:
            window.Free()
        self._windows = []
        for communicator in ([self.cross] +
                             ([self.node] if self._own_node else [])):
            communicator.Free()

    def free(self):
        """Free the windows and communicators (collective over `comm`)."""
        if not self.is_open:
            return
        _open.remove(self)
        # The arrays are views of the windows' memory: drop them first.
        self.result = None
        self.segments = []
        for window in self._windows:
            window.Unlock_all()
        self._release()
