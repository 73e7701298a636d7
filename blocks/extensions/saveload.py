"""Extensions for saving and loading the state of a training process."""
import logging
import os

import numpy

from blocks.checkpoint_files import (CheckpointLock,
                                     remove_abandoned_temporaries)
from blocks.compile.jax_support import shared_value
from blocks.extensions.base import SimpleExtension
from blocks.extensions.nan_guard import NON_FINITE_STATUS, check_before_saving
from blocks.filter import get_parameter_path
from blocks.serialization import (dump_and_add_to_dump, load,
                                  load_parameters, secure_dump)
from blocks.utils import reraise_as

logger = logging.getLogger(__name__)

SAVED_TO = "saved_to"
LOADED_FROM = "loaded_from"

NOT_FINITE = ("checkpoint to {path} refused: the parameters {names} hold NaN "
              "or infinite values; the previous checkpoint is kept")
GUARD_REFUSED = ("checkpoint to {path} refused: a NanGuard found a NaN or "
                 "infinite value at iteration {iteration}; the previous "
                 "checkpoint is kept")
WRITE_FAILED = "the {name!r} extension could not save the checkpoint: {reason}"
UNUSABLE_PATH = ("the {name!r} extension cannot write the checkpoint {path}: "
                 "{reason}")


class Checkpoint(SimpleExtension):
    """Saves a pickled version of the main loop to the disk.

    The pickled main loop can be later reloaded and training can be
    resumed.

    Makes a `SAVED_TO` record in the log with the serialization destination
    in the case of success and ``None`` in the case of failure. The
    value of the record is a tuple of paths to which saving was done
    (there can be more than one if the user added a condition
    with an argument, see :meth:`do` docs).

    Parameters
    ----------
    path : str or None
        The destination path for pickling. ``None`` when each condition
        gives its own path as its argument (see :meth:`do`).
    parameters : list, optional
        The parameters to save separately. If None, the parameters from
        the model (main_loop.model.parameters) are saved.
    save_separately : list of str, optional
        The list of the main loop's attributes to be saved (copied)
        in a separate file in the tar archive. It may be used for example
        to save the log separetely. The name of the attribute will be used
        as name in the tar file.
    save_main_loop : bool
        Choose whether to save the main loop or not. This can be useful
        for example if you are only interested in saving the parameters,
        but not the whole main loop. Defaults to `True`.
    use_cpickle : bool
        See documentation of :func:`~blocks.serialization.dump`.

    Attributes
    ----------
    last_saved : tuple or None
        ``(path, iteration)`` of the last checkpoint this extension saved.

    Notes
    -----
    Using pickling for saving the whole main loop object comes with
    certain limitations: everything it holds must pickle (no lambdas, no
    generators). Compiled functions are not saved; they are compiled again
    when training resumes, so a checkpoint can be resumed in another
    compile mode.

    Before training starts (and when it resumes), the path is checked: its
    missing parent directories are created (as ``mkdir -p`` would), and a
    lock file ``path + '.lock'`` is written next to it, naming this process.
    An unwritable path thus fails before the first epoch, and a second run
    writing the same path stops with a
    :class:`~blocks.checkpoint_files.CheckpointInUseError` naming the
    process that holds it (a lock whose process is gone is taken over). The
    lock is removed when training ends. Temporary files left by killed
    writers of the path are removed.

    The checkpoint is written to a temporary file in the destination's
    directory and renamed over the previous one only when complete; a write
    error (a full disk, a file too large) is an :class:`OSError` of the
    same errno naming the extension and the path, and leaves the previous
    checkpoint in place. A checkpoint whose parameters hold NaN or infinite
    values, or taken after a :class:`~blocks.extensions.nan_guard.NanGuard`
    found one, is refused (logged as an error, ``None`` in the `SAVED_TO`
    record), so that a diverged run never overwrites the last good
    checkpoint; the main loop's guards run before each save.

    """
    def __init__(self, path, parameters=None, save_separately=None,
                 save_main_loop=True, use_cpickle=False, **kwargs):
        kwargs.setdefault("after_training", True)
        super().__init__(**kwargs)
        # As in Blocks, the path may be None when every condition passes
        # its own (``add_condition(..., arguments=(path,))``).
        self.path = None if path is None else _checked_path(path)
        self.parameters = parameters
        self.save_separately = save_separately
        self.save_main_loop = save_main_loop
        self.use_cpickle = use_cpickle
        self.last_saved = None
        self._locks = {}

    def dispatch(self, callback_invoked, *from_main_loop):
        if (callback_invoked in ('before_training', 'on_resumption') and
                self.path is not None):
            self.prepare(self.path)
        try:
            super().dispatch(callback_invoked, *from_main_loop)
        finally:
            if callback_invoked in ('after_training', 'on_error'):
                self.release()

    def prepare(self, path):
        """Make `path` writable by this run: directories, lock, leftovers.

        Raises
        ------
        OSError
            When the directory cannot be created or written, naming the
            extension and the path.
        CheckpointInUseError
            When another running process writes `path`.

        """
        lock = self._locks.get(path)
        if lock is not None and lock.held:
            lock.verify()
            return
        directory = os.path.dirname(os.path.abspath(path))
        try:
            if os.path.isdir(path):
                raise IsADirectoryError(21, "it is a directory")
            os.makedirs(directory, exist_ok=True)
            lock = CheckpointLock(path)
            lock.acquire()
        except OSError as error:
            raise _named_error(error, UNUSABLE_PATH.format(
                name=self.name, path=path,
                reason=error.strerror or error)) from error
        self._locks[path] = lock
        remove_abandoned_temporaries(path)

    def release(self):
        """Release the locks of the paths this extension wrote."""
        for lock in self._locks.values():
            lock.release()
        self._locks = {}

    def _parameters_to_save(self):
        if self.parameters is not None:
            return self.parameters
        try:
            return self.main_loop.model.parameters
        except AttributeError:
            return getattr(self.main_loop.algorithm, 'parameters', None) or []

    def do(self, callback_name, *args):
        """Pickle the main loop object to the disk.

        If `*args` contain an argument from user, it is treated as
        saving path to be used instead of the one given at the
        construction stage.

        """
        logger.info("Checkpointing has started")
        _, from_user = self.parse_args(callback_name, args)
        path = self.path
        if from_user:
            path, = from_user
        saved_to = None
        try:
            # The attributes saved separately are read first, as in Blocks:
            # a missing one is an AttributeError whatever else is wrong.
            to_add = None
            if self.save_separately:
                to_add = {attr: getattr(self.main_loop, attr) for attr in
                          self.save_separately}
            if path is None:
                raise ValueError(
                    "{} has no path to save to: give one to the "
                    "constructor or as the argument of a condition "
                    "(add_condition(..., arguments=(path,)))".format(
                        self.name))
            path = _checked_path(path)
            if not check_before_saving(self.main_loop):
                logger.error(GUARD_REFUSED.format(
                    path=path, iteration=self.main_loop.status.get(
                        NON_FINITE_STATUS)))
                return
            parameters = self._parameters_to_save()
            not_finite = [get_parameter_path(parameter)
                          for parameter in parameters
                          if not numpy.isfinite(
                              shared_value(parameter, borrow=True)).all()]
            if not_finite:
                logger.error(NOT_FINITE.format(path=path,
                                               names=', '.join(not_finite)))
                return
            self.prepare(path)
            object_ = self.main_loop if self.save_main_loop else None
            previous = self.last_saved
            # Pickled with the main loop: a resumed run knows its checkpoint
            self.last_saved = (path, self.main_loop.status['iterations_done'])
            try:
                secure_dump(object_, path, dump_function=dump_and_add_to_dump,
                            parameters=parameters, to_add=to_add,
                            use_cpickle=self.use_cpickle)
            except OSError as error:
                self.last_saved = previous
                raise _named_error(error, WRITE_FAILED.format(
                    name=self.name, reason=error.strerror or error)) from error
            except BaseException:
                self.last_saved = previous
                raise
            saved_to = path
        finally:
            already_saved_to = self.main_loop.log.current_row.get(SAVED_TO,
                                                                  ())
            self.main_loop.log.current_row[SAVED_TO] = (already_saved_to +
                                                        (saved_to,))
            logger.info("Checkpointing has finished")

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_locks'] = {}  # locks belong to a process
        return state

    def __setstate__(self, state):
        # Checkpoints written by earlier versions lack the newer attributes
        state.setdefault('_locks', {})
        state.setdefault('last_saved', None)
        self.__dict__.update(state)


def _checked_path(path):
    """`path` as a str, if it can name a checkpoint file."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError("Checkpoint path must be a str or a path, got "
                        "{!r}".format(path))
    path = os.fspath(path)
    if path.endswith(os.sep) or os.path.isdir(path):
        raise ValueError("Checkpoint path must name a file, got the "
                         "directory {!r}".format(path))
    return path


def _named_error(error, message):
    """An OSError of `error`'s errno (and subclass) with `message`."""
    if error.errno is None:
        return OSError(message)
    return OSError(error.errno, message)


class Load(SimpleExtension):
    """Loads a saved checkpoint into the main loop.

    Makes a `LOADED_FROM` record in the log with the dump path.

    Parameters
    ----------
    path : str
        The path to the folder with dump.
    load_iteration_state : bool
        If `True`, load the iteration state. This can be useful when your
        model has very long epochs, and you want to resume when you were in
        the middle of one. Defaults to `False`.
    load_log : bool
        If `True`, load the old log and continue logging from there.
        Convenient because you end up with a single log of the entire
        training history. Defaults to `False`.

    Notes
    -----
    Requires the model to be created entirely using bricks, with a unique
    path/name for each brick, so that the parameters can be matched to
    their values.

    In order to load the iteration state and the log, the saved model needs
    to be unpickled. Note that resuming training this way is still not
    entirely seamless because e.g. extensions will not be reloaded.

    .. warning::

       With `load_iteration_state` or `load_log`, the checkpoint is
       unpickled, and unpickling runs code: use them only with checkpoints
       you trust. Loading the parameters alone
       (:func:`~blocks.serialization.load_parameters`) never unpickles.

    """
    def __init__(self, path, load_iteration_state=False, load_log=False,
                 **kwargs):
        kwargs.setdefault("before_training", True)
        super().__init__(**kwargs)
        self.path = path
        self.load_iteration_state = load_iteration_state
        self.load_log = load_log

    def load_to(self, main_loop):
        with open(self.path, "rb") as source:
            main_loop.model.set_parameter_values(load_parameters(source))
            if self.load_iteration_state or self.load_log:
                loaded_main_loop = load(source)
                if self.load_log:
                    main_loop.log = loaded_main_loop.log
                if self.load_iteration_state:
                    main_loop.iteration_state = \
                        loaded_main_loop.iteration_state

    def do(self, *args, **kwargs):
        if not os.path.exists(self.path):
            logger.warning("No dump found at %s", self.path)
            return
        logger.info("loading model from %s", self.path)
        try:
            self.load_to(self.main_loop)
            self.main_loop.log.current_row[LOADED_FROM] = self.path
        except Exception:
            reraise_as("Failed to load the state from {}".format(self.path))
