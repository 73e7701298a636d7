"""Synchronous data-parallel training over MPI (``mpi4py``).

One change makes a training script data-parallel::

    main_loop = data_parallel(MainLoop(algorithm, stream, ...))

with the stream's scheme wrapped in :class:`fuel.schemes.ShardedScheme`,
run with ``mpiexec -n N python script.py``. See ``docs/distributed.rst``.

Modules: :mod:`~blocks.distributed.mpi` (the communicator, the fused
allreduce), :mod:`~blocks.distributed.shared` (the reduction in shared
memory), :mod:`~blocks.distributed.algorithms` (:class:`DataParallel`),
:mod:`~blocks.distributed.monitoring` (aggregation across the workers),
:mod:`~blocks.distributed.training` (:func:`data_parallel`, the rank-0
extensions). ``mpi4py`` is needed only when training runs.
"""
from blocks.distributed.algorithms import DataParallel, count_examples
from blocks.distributed.monitoring import DistributedDatasetEvaluator
from blocks.distributed.mpi import FusedBuffer, allreduce, rank, require_mpi
from blocks.distributed.training import (RankZeroOnly, WorkerSync,
                                         data_parallel)

__all__ = ('DataParallel', 'DistributedDatasetEvaluator', 'FusedBuffer',
           'RankZeroOnly', 'WorkerSync', 'allreduce', 'count_examples',
           'data_parallel', 'rank', 'require_mpi')
