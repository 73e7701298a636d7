"""One call makes a main loop data-parallel: :func:`data_parallel`.

It wraps the algorithm in :class:`~blocks.distributed.algorithms.DataParallel`,
makes the extensions that write (checkpoints, printing, progress bars, plots)
act on rank 0 only, keeps the SQLite log on rank 0 only, and adds
:class:`WorkerSync`, which makes the workers agree to stop and takes the
whole job down when one worker fails.
"""
import logging
import sys
import time
import traceback

from blocks.algorithms import GradientDescent
from blocks.distributed.algorithms import DataParallel
from blocks.distributed.mpi import rank, require_mpi, world
from blocks.distributed.monitoring import DistributedDatasetEvaluator
from blocks.extensions import TrainingExtension
from blocks.extensions.monitoring import DataStreamMonitoring

logger = logging.getLogger(__name__)

#: The names of the extension classes that write files or to the terminal,
#: which act on rank 0 only. An extension with a true ``rank_zero_only``
#: attribute is treated the same way.
RANK_ZERO_ONLY = ('Checkpoint', 'Printing', 'ProgressBar', 'Plot')

#: Seconds a failing worker waits, after printing its error, before it
#: aborts the job (so that ``mpiexec`` forwards the message).
ABORT_GRACE = 1.0


def _writes(extension):
    if getattr(extension, 'rank_zero_only', False):
        return True
    return any(cls.__name__ in RANK_ZERO_ONLY
               for cls in type(extension).__mro__)


class RankZeroOnly(TrainingExtension):
    """Run an extension on rank 0 only (the rank is read at each call).

    The wrapped extension is pickled with the main loop, so a checkpoint
    written by rank 0 and loaded by every worker keeps it on rank 0 only.

    Parameters
    ----------
    extension : :class:`~blocks.extensions.TrainingExtension`
        The extension to run on rank 0.

    """
    def __init__(self, extension):
        super().__init__(name=extension.name)
        self.extension = extension

    @property
    def main_loop(self):
        return self.extension.main_loop

    @main_loop.setter
    def main_loop(self, value):
        self.extension.main_loop = value

    def dispatch(self, callback_name, *args):
        if rank() == 0:
            self.extension.dispatch(callback_name, *args)

    def __getattr__(self, name):
        if name.startswith('__') or 'extension' not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__['extension'], name)


def _in_memory_copy(log):
    """A :class:`~blocks.log.TrainingLog` with the rows and status of `log`."""
    from blocks.log import TrainingLog
    copy = TrainingLog(uuid=log.uuid)
    copy.status.update(dict(log.status))
    for moment, row in log.items():
        copy[moment].update(dict(row))
    return copy


class WorkerSync(TrainingExtension):
    """Keeps the workers of a data-parallel main loop in step.

    - On the workers other than rank 0, a persistent (SQLite) log is
      replaced by an in-memory copy when the main loop starts, so that only
      rank 0 writes the database.
    - After every batch and epoch, the workers agree to stop when any of
      them was asked to, or interrupted (one small allreduce), so none is
      left waiting in a collective operation.
    - When training fails on a worker, the error is printed with the
      worker's rank and the whole job is aborted (``MPI_Abort``), rather
      than leaving the other workers waiting forever.

    """
    def __init__(self, **kwargs):
        kwargs.setdefault('name', 'WorkerSync')
        super().__init__(**kwargs)

    @TrainingExtension.main_loop.setter
    def main_loop(self, value):
        self._main_loop = value
        if rank() != 0 and type(value.log).__name__ != 'TrainingLog':
            value.log = _in_memory_copy(value.log)

    def _agree_to_stop(self):
        """Share the requests to stop (and the interrupts) of every worker.

        A request (``training_finish_requested``) or an interrupt (Ctrl-C,
        ``SIGTERM``, which ``mpiexec`` forwards to every worker, each at its
        own moment) on any worker applies to all, so they stop after the
        same batch.
        """
        MPI = require_mpi()
        main_loop = self.main_loop
        row = main_loop.log.current_row
        status = main_loop.status
        flags = (int(bool(row.get('training_finish_requested', False))) |
                 int(bool(status.get('_batch_interrupt_received', False))) << 1 |
                 int(bool(status.get('_epoch_interrupt_received', False))) << 2)
        agreed = world().allreduce(flags, op=MPI.BOR)
        if agreed & 1:
            row['training_finish_requested'] = True
        if agreed & 2:
            status['_batch_interrupt_received'] = True
        if agreed & 4:
            status['_epoch_interrupt_received'] = True

    def after_batch(self, batch):
        self._agree_to_stop()

    def after_epoch(self):
        self._agree_to_stop()

    def on_error(self, exception):
        comm = world()
        sys.stderr.write(
            'blocks.distributed: training failed on rank {} of {}; aborting '
            'the job.\n{}'.format(comm.Get_rank(), comm.Get_size(),
                                  ''.join(traceback.format_exception(
                                      type(exception), exception,
                                      exception.__traceback__))))
        sys.stderr.flush()
        sys.stdout.flush()
        # mpiexec forwards the workers' output asynchronously, and drops what
        # it has not forwarded when the job is aborted: give it a moment.
        time.sleep(ABORT_GRACE)
        comm.Abort(1)


def data_parallel(main_loop_or_algorithm, **kwargs):
    r"""Make a main loop (or a gradient descent algorithm) data-parallel.

    Parameters
    ----------
    main_loop_or_algorithm : MainLoop or GradientDescent
        A :class:`~blocks.main_loop.MainLoop` is changed in place and
        returned: its algorithm wrapped in
        :class:`~blocks.distributed.algorithms.DataParallel`, its writing
        extensions in :class:`RankZeroOnly`, its
        :class:`~blocks.extensions.monitoring.DataStreamMonitoring`
        extensions made to aggregate across the workers
        (:class:`~blocks.distributed.monitoring.DistributedDatasetEvaluator`),
        and :class:`WorkerSync` appended. A
        :class:`~blocks.algorithms.GradientDescent` is returned wrapped.
    \*\*kwargs
        Passed to :class:`~blocks.distributed.algorithms.DataParallel`.

    Returns
    -------
    MainLoop or DataParallel
        The main loop, or the wrapped algorithm. Calling it again on its
        result changes nothing.

    """
    if isinstance(main_loop_or_algorithm, DataParallel):
        return main_loop_or_algorithm
    if isinstance(main_loop_or_algorithm, GradientDescent):
        return DataParallel(main_loop_or_algorithm, **kwargs)
    main_loop = main_loop_or_algorithm
    if not hasattr(main_loop, 'algorithm') or not hasattr(main_loop,
                                                          'extensions'):
        raise TypeError('data_parallel expects a MainLoop or a '
                        'GradientDescent, got {!r}'.format(main_loop))
    if not isinstance(main_loop.algorithm, DataParallel):
        main_loop.algorithm = DataParallel(main_loop.algorithm, **kwargs)
    main_loop.extensions = [
        RankZeroOnly(extension)
        if _writes(extension) and not isinstance(extension, RankZeroOnly)
        else extension
        for extension in main_loop.extensions
        if not isinstance(extension, WorkerSync)] + [WorkerSync()]
    for extension in main_loop.extensions:
        if isinstance(extension, DataStreamMonitoring):
            extension.evaluator_class = DistributedDatasetEvaluator
    if rank() != 0 and type(main_loop.log).__name__ != 'TrainingLog':
        main_loop.log = _in_memory_copy(main_loop.log)
    return main_loop
