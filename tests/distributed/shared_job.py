"""Checks of the shared-memory reduction, run by the MPI tests.

``mpiexec -n N python -m tests.distributed.shared_job`` (N >= 2) checks, on
every rank, and exits with status 0 when all hold:

- the reduce-scatter on one node, with chunks of unequal sizes, gives the sum
  in rank order, exactly, on every rank, step after step;
- two ranks with ``fused=True`` get both segments, the sets alternating, and
  the tail summed;
- with 3 ranks or more, pretended nodes of unequal sizes raise
  :class:`UnequalNodes`, and
  ``reduction='auto'`` falls back to ``None`` (``MPI_Allreduce``) then;
- the windows are freed (``free`` is idempotent).
"""
import sys

import numpy

from blocks.distributed.shared import (SharedReduction, UnequalNodes,
                                       open_shared_reduction)


def contribution(rank, step, length):
    return numpy.random.RandomState(100 * step + rank).normal(size=length)


def expected_sum(size, step, length):
    total = contribution(0, step, length)
    for rank in range(1, size):
        total = total + contribution(rank, step, length)
    return total


def main():
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    length = 1001  # not a multiple of the number of ranks

    reduction = SharedReduction(comm, length, 'float64')
    assert not reduction.fused and reduction.nodes == 1
    for step in range(3):
        reduction.send[...] = contribution(rank, step, length)
        result = reduction.reduce()
        assert numpy.array_equal(result, expected_sum(size, step, length))
        digests = comm.allgather(result.tobytes())
        assert all(digest == digests[0] for digest in digests)
    reduction.free()
    reduction.free()
    assert not reduction.is_open

    pair = comm.Split(color=rank // 2, key=rank)
    if pair.Get_size() == 2:
        fused = SharedReduction(pair, length, 'float64', fused=True,
                                tail=length - 3)
        assert fused.fused
        for step in range(3):
            parity = fused.parity
            fused.send[...] = contribution(pair.Get_rank(), step, length)
            segments = fused.reduce()
            assert fused.parity == 1 - parity
            assert segments is fused.segments[parity]
            for index, segment in enumerate(segments):
                assert numpy.array_equal(
                    segment, contribution(index, step, length))
            assert numpy.array_equal(fused.result[-3:], expected_sum(
                2, step, length)[-3:])
            pair.Barrier()  # the segments are read before they are reused
        fused.free()
    comm.Barrier()
    pair.Free()

    if size >= 3:
        # Rank 0 alone on a pretended node, the others together.
        color = int(rank > 0)
        try:
            SharedReduction(comm, length, 'float64', node_color=color)
        except UnequalNodes as error:
            assert 'different numbers of ranks' in str(error)
        else:
            raise AssertionError('unequal nodes were accepted')
        assert open_shared_reduction(comm, length, 'float64', 'auto',
                                     node_color=color) is None
    print('rank {}: ok'.format(rank), flush=True)


if __name__ == '__main__':
    sys.exit(main())
