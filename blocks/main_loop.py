"""The event-based main loop of Blocks."""
import logging
import signal
import threading
import traceback
from collections import OrderedDict

import numpy

from blocks.config import config
from blocks.exceptions import TrainingFinish
from blocks.extensions import CallbackName
from blocks.filter import get_parameter_path
from blocks.log import BACKENDS
from blocks.utils import change_recursion_limit, reraise_as, unpack
from blocks.compile.jax_support import shared_value
from blocks.utils.profile import Profile, Timer
from blocks.utils.logging_setup import configure_logging

logger = logging.getLogger(__name__)

error_message = """

Blocks will attempt to run `on_error` extensions, potentially saving data, \
before exiting and reraising the error. Note that the usual `after_training` \
extensions will *not* be run. The original error will be re-raised and also \
stored in the training log. Press CTRL + C to halt Blocks immediately."""

error_in_error_handling_message = """

Blocks will now exit. The remaining `on_error` extensions will not be run."""


epoch_interrupt_message = """

Blocks will complete this epoch of training and run extensions \
before exiting. If you do not want to complete this epoch, press CTRL + C \
again to stop training after the current batch."""

batch_interrupt_message = """

Blocks will complete the current batch and run extensions before exiting. If \
you do not want to complete this batch, press CTRL + C again. WARNING: Note \
that this will end training immediately, and extensions that e.g. save your \
training progress won't be run."""

no_model_message = """

A possible reason: one of your extensions requires the main loop to have \
a model. Check documentation of your extensions."""

UNINITIALIZED_PARAMETERS = (
    "these parameters are still NaN, i.e. never initialized: {}; call "
    "initialize() on their top brick (or on each brick) before training")

DUPLICATE_PATHS = (
    "several parameters share the hierarchical name {}; give the bricks "
    "distinct names (name=...) so that checkpoints and Model.get_parameter_"
    "dict can tell them apart")

#: The keys of the main loop's own status records.
STATUS_DEFAULTS = (('_training_started', False),
                   ('_epoch_started', False),
                   ('_epoch_interrupt_received', False),
                   ('_batch_interrupt_received', False),
                   ('_received_first_batch', False))


class MainLoop:
    """The standard main loop of Blocks.

    In the `MainLoop` a model is trained by a training algorithm using data
    extracted from a data stream. This process is scrupulously documented
    in a log object.

    The `MainLoop` itself does very little: only fetching the data from the
    data stream and feeding it to the algorithm. It expects the extensions
    to do most of the job. A respective callback of every extension is
    called at every stage of training. The extensions should communicate
    with the main loop object and the training algorithm object via the
    log (see :attr:`status`).

    Parameters
    ----------
    algorithm : instance of :class:`~blocks.algorithms.TrainingAlgorithm`
        The training algorithm.
    data_stream : instance of :class:`.DataStream`.
        The data stream. Should support :class:`AbstractDataStream`
        interface from Fuel.
    model : instance of :class:`.ComputationGraph`, optional
        An annotated computation graph, typically represented
        by :class:`ComputationGraph` or :class:`Model` object. The main
        loop object uses the model only for optional sanity checks, it is
        here mainly for the main loop extensions.
    log : instance of :class:`.TrainingLog`, optional
        The log. When not given, a :class:`.TrainingLog` is created.
    log_backend : str
        The backend to use for the log. Currently `python` and `sqlite` are
        available. If not given, `config.log_backend` will be used. Ignored
        if `log` is passed.
    extensions : list of :class:`.TrainingExtension` instances
        The training extensions. Will be called in the same order as given
        here.

    Notes
    -----
    When :meth:`run` starts, the main loop refuses to train, with one
    message naming every offending parameter, when parameters are still NaN
    (never initialized), when two parameters share a hierarchical name, or
    when the data stream's sources do not match the training function's
    inputs (extra sources per the algorithm's ``on_unused_sources``), or
    when the first batch does not fit the training graph (its number of
    dimensions, dtype or widths). These checks run on the first batch
    before the training function is compiled; the batch is then trained
    on as usual.

    A first SIGINT (CTRL + C) finishes the current epoch, a second one the
    current batch; SIGTERM finishes the current batch. The ``on_interrupt``
    callbacks run in both cases, before ``after_training``.

    """
    def __init__(self, algorithm, data_stream, model=None, log=None,
                 log_backend=None, extensions=None):
        if log is None:
            if log_backend is None:
                log_backend = config.log_backend
            if log_backend not in BACKENDS:
                raise ValueError("log_backend must be one of {}, got "
                                 "{!r}".format(sorted(BACKENDS), log_backend))
            log = BACKENDS[log_backend]()
        if extensions is None:
            extensions = []

        self.data_stream = data_stream
        self.algorithm = algorithm
        self.log = log
        self.extensions = list(extensions)

        self.profile = Profile()

        self._model = model
        if hasattr(model, 'check_sanity'):
            model.check_sanity(algorithm)
        # The first batch, read before training to check it against the
        # graph, and whether its epoch iterator is already open.
        self._first_batch = None
        self._epoch_iterator_opened = False

        for key, value in STATUS_DEFAULTS:
            self.status.setdefault(key, value)

    @property
    def model(self):
        if not self._model:
            raise AttributeError("no model in this main loop" +
                                 no_model_message)
        return self._model

    @property
    def iteration_state(self):
        """Quick access to the (data stream, epoch iterator) pair."""
        return (self.data_stream, self.epoch_iterator)

    @iteration_state.setter
    def iteration_state(self, value):
        (self.data_stream, self.epoch_iterator) = value

    @property
    def status(self):
        """A shortcut for `self.log.status`."""
        return self.log.status

    def run(self):
        """Starts the main loop.

        The main loop ends when a training extension makes
        a `training_finish_requested` record in the log.

        """
        # Shows Blocks' warnings and compile lines (not PyTensor's INFO
        # messages); does nothing if the user has configured logging.
        configure_logging()

        # If this is resumption from a checkpoint, it is crucial to
        # reset `profile.current`. Otherwise, it simply does not hurt.
        self.profile.current = []

        # A bad configuration value fails now, not when first read, which
        # may be deep into training (max_blob_size at the first large log
        # record).
        config.check()
        with change_recursion_limit(config.recursion_limit):
            self._install_signal_handlers()
            try:
                logger.info("Entered the main loop")
                for extension in self.extensions:
                    extension.main_loop = self
                if not self.status['_training_started']:
                    self._check_parameters()
                    self._run_extensions('before_training')
                    first_batch = self._read_first_batch()
                    self._check_sources(first_batch)
                    with Timer('initialization', self.profile):
                        self.algorithm.initialize()
                    self.status['_training_started'] = True
                elif not getattr(self.algorithm, 'initialized', True):
                    # Resumed from a checkpoint: compiled functions are not
                    # pickled, so the training function is built again.
                    with Timer('initialization', self.profile):
                        self.algorithm.initialize()
                # We can not write "else:" here because extensions
                # called "before_training" could have changed the status
                # of the main loop.
                if self.log.status['iterations_done'] > 0:
                    self.log.resume()
                    self._run_extensions('on_resumption')
                    self.status['_epoch_interrupt_received'] = False
                    self.status['_batch_interrupt_received'] = False
                with Timer('training', self.profile):
                    while self._run_epoch():
                        pass
            except TrainingFinish:
                self.log.current_row['training_finished'] = True
            except Exception as e:
                self._restore_signal_handlers()
                self.log.current_row['got_exception'] = traceback.format_exc()
                logger.error("Error occured during training." + error_message)
                try:
                    self._run_extensions('on_error', e)
                except Exception:
                    logger.error(traceback.format_exc())
                    logger.error("Error occured when running extensions." +
                                 error_in_error_handling_message)
                raise
            finally:
                self._restore_signal_handlers()
                if self.log.current_row.get('training_finished', False):
                    self._run_extensions('after_training')
                if config.profile:
                    self.profile.report()

    def find_extension(self, name):
        """Find an extension with a given name.

        Parameters
        ----------
        name : str
            The name of the extension looked for.

        Notes
        -----
        Will crash if there no or several extension found.

        """
        return unpack([extension for extension in self.extensions
                       if extension.name == name], singleton=True)

    def _training_parameters(self):
        parameters = list(getattr(self.algorithm, 'parameters', None) or [])
        if self._model is not None:
            parameters.extend(getattr(self._model, 'parameters', []))
        seen, unique_parameters = set(), []
        for parameter in parameters:
            if parameter not in seen:
                seen.add(parameter)
                unique_parameters.append(parameter)
        return unique_parameters

    def _check_parameters(self):
        """Refuse NaN (uninitialized) parameters and duplicate paths."""
        problems = []
        names = {}
        uninitialized = []
        for parameter in self._training_parameters():
            name = get_parameter_path(parameter)
            names.setdefault(name, []).append(parameter)
            value = shared_value(parameter, borrow=True)
            if (numpy.issubdtype(numpy.asarray(value).dtype, numpy.floating)
                    and numpy.isnan(value).all() and numpy.size(value)):
                uninitialized.append(name)
        if uninitialized:
            problems.append(UNINITIALIZED_PARAMETERS.format(
                ', '.join(uninitialized)))
        duplicates = [name for name, parameters in names.items()
                      if len(parameters) > 1]
        if duplicates:
            problems.append(DUPLICATE_PATHS.format(', '.join(duplicates)))
        if problems:
            raise ValueError('; '.join(problems))

    def _read_first_batch(self):
        """Open the first epoch and read its first batch, to check it.

        The batch is not lost: the first iteration trains on it (it is
        kept in ``_first_batch``, which pickles with the main loop, so a
        checkpoint written in between resumes exactly). Returns ``None``
        when the stream has no batch to give.

        """
        try:
            self.epoch_iterator = self.data_stream.get_epoch_iterator(
                as_dict=True)
        except StopIteration:
            return None
        self._epoch_iterator_opened = True
        try:
            # Timed where the first iteration would have read it.
            with Timer('training', self.profile), \
                    Timer('epoch', self.profile), \
                    Timer('read_data', self.profile):
                batch = next(self.epoch_iterator)
        except StopIteration:
            return None
        self._first_batch = batch
        return batch

    def _check_sources(self, batch):
        """Check the first batch against the training function's inputs.

        Runs before the training function is compiled: the algorithm's
        ``_validate_batch`` checks the source names (as every batch's
        are) and, for algorithms that compile a graph, that the data's
        dimensions, dtypes and widths fit it. Without a batch, the stream's
        declared sources are checked once the algorithm knows its inputs.

        """
        if batch is not None:
            validate = getattr(self.algorithm, '_validate_batch', None)
            if validate is not None:
                validate(batch)
            return
        sources = getattr(self.data_stream, 'sources', None)
        if sources is None or getattr(self.algorithm, 'inputs', None) is None:
            return
        self.algorithm._validate_source_names(OrderedDict.fromkeys(sources))

    def _next_batch(self):
        """The next batch of the epoch: the one read ahead, if any, first."""
        batch = getattr(self, '_first_batch', None)
        if batch is not None:
            self._first_batch = None
            return batch
        return next(self.epoch_iterator)

    def _run_epoch(self):
        if not self.status.get('_epoch_started', False):
            self.log.status['_received_first_batch'] = False
            if getattr(self, '_epoch_iterator_opened', False):
                # The first epoch was opened to check its first batch.
                self._epoch_iterator_opened = False
            else:
                try:
                    self.epoch_iterator = (self.data_stream.
                                           get_epoch_iterator(as_dict=True))
                except StopIteration:
                    return False
            self.status['_epoch_started'] = True
            self._run_extensions('before_epoch')
        with Timer('epoch', self.profile):
            while self._run_iteration():
                pass
        self.status['_epoch_started'] = False
        self.status['epochs_done'] += 1
        # Log might not allow mutating objects, so use += instead of append
        self.status['_epoch_ends'] += [self.status['iterations_done']]
        self._run_extensions('after_epoch')
        self._check_finish_training('epoch')
        return True

    def _run_iteration(self):
        try:
            with Timer('read_data', self.profile):
                batch = self._next_batch()
        except StopIteration:
            if not self.log.status['_received_first_batch']:
                reraise_as(ValueError("epoch iterator yielded zero batches"))
            return False
        self.log.status['_received_first_batch'] = True
        self._run_extensions('before_batch', batch)
        with Timer('train', self.profile):
            self.algorithm.process_batch(batch)
        self.status['iterations_done'] += 1
        self._run_extensions('after_batch', batch)
        self._check_finish_training('batch')
        return True

    def _run_extensions(self, method_name, *args):
        with Timer(method_name, self.profile):
            for extension in self.extensions:
                with Timer(type(extension).__name__, self.profile):
                    extension.dispatch(CallbackName(method_name), *args)

    def _check_finish_training(self, level):
        """Checks whether the current training should be terminated.

        Parameters
        ----------
        level : {'epoch', 'batch'}
            The level at which this check was performed. In some cases, we
            only want to quit after completing the remained of the epoch.

        """
        interrupted = (self.status.get('_batch_interrupt_received', False) or
                       (level == 'epoch' and
                        self.status.get('_epoch_interrupt_received', False)))
        if interrupted:
            self._run_extensions('on_interrupt')
            raise TrainingFinish
        # In case when keyboard interrupt is handled right at the end of
        # the iteration the corresponding log record can be found only in
        # the previous row.
        if self.log.current_row.get('training_finish_requested', False):
            raise TrainingFinish

    def _handle_epoch_interrupt(self, signal_number, frame):
        # Try to complete the current epoch if user presses CTRL + C
        logger.warning('Received epoch interrupt signal.' +
                       epoch_interrupt_message)
        signal.signal(signal.SIGINT, self._handle_batch_interrupt)
        self.log.current_row['epoch_interrupt_received'] = True
        # Add a record to the status. Unlike the log record it will be
        # easy to access at later iterations.
        self.status['_epoch_interrupt_received'] = True

    def _handle_batch_interrupt(self, signal_number, frame):
        # After 2nd CTRL + C or SIGTERM signal (from cluster) finish batch
        self._restore_signal_handlers()
        logger.warning('Received batch interrupt signal.' +
                       batch_interrupt_message)
        self.log.current_row['batch_interrupt_received'] = True
        # Add a record to the status. Unlike the log record it will be
        # easy to access at later iterations.
        self.status['_batch_interrupt_received'] = True

    def _install_signal_handlers(self):
        # Signals can only be handled in the main thread; a loop run from
        # another thread is not interruptible this way.
        if threading.current_thread() is not threading.main_thread():
            self.original_sigint_handler = None
            self.original_sigterm_handler = None
            return
        self.original_sigint_handler = signal.signal(
            signal.SIGINT, self._handle_epoch_interrupt)
        self.original_sigterm_handler = signal.signal(
            signal.SIGTERM, self._handle_batch_interrupt)

    def _restore_signal_handlers(self):
        if getattr(self, 'original_sigint_handler', None) is not None:
            signal.signal(signal.SIGINT, self.original_sigint_handler)
        if getattr(self, 'original_sigterm_handler', None) is not None:
            signal.signal(signal.SIGTERM, self.original_sigterm_handler)

    def __getstate__(self):
        state = self.__dict__.copy()
        # Signal handlers are bound methods of a running loop
        state.pop('original_sigint_handler', None)
        state.pop('original_sigterm_handler', None)
        return state
