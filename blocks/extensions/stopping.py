"""Extensions that stop training: on a trigger, or when progress stops."""
import logging

from blocks.extensions.base import CompositeExtension, SimpleExtension
from blocks.extensions.predicates import OnLogRecord
from blocks.extensions.training import TrackTheBest

logger = logging.getLogger(__name__)


class FinishAfter(SimpleExtension):
    """Finishes the training process when triggered."""
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def do(self, which_callback, *args):
        self.main_loop.log.current_row['training_finish_requested'] = True


class FinishIfNoImprovementAfter(FinishAfter):
    """Stop after improvements have ceased for a given period.

    Parameters
    ----------
    notification_name : str
        The name of the log record to look for which indicates a new
        best performer has been found.  Note that the value of this
        record is not inspected.
    iterations : int, optional
        The number of iterations to wait for a new best. Exactly one of
        `iterations` or `epochs` must be not `None` (default).
    epochs : int, optional
        The number of epochs to wait for a new best. Exactly one of
        `iterations` or `epochs` must be not `None` (default).
    patience_log_record : str, optional
        The name under which to record the number of iterations we
        are currently willing to wait for a new best performer.
        Defaults to `notification_name + '_patience_epochs'` or
        `notification_name + '_patience_iterations'`, depending
        which measure is being used.

    Notes
    -----
    By default, runs after each epoch if `epochs` is given, and after each
    batch if `iterations` is given. This can be manipulated by passing
    keyword arguments to the constructor, see
    :class:`~blocks.extensions.SimpleExtension`.

    """
    def __init__(self, notification_name, iterations=None, epochs=None,
                 patience_log_record=None, **kwargs):
        if (epochs is None) == (iterations is None):
            raise ValueError("Need exactly one of epochs or iterations "
                             "to be specified")
        self.notification_name = notification_name
        self.iterations = iterations
        self.epochs = epochs
        kwargs.setdefault('after_epoch', self.epochs is not None)
        kwargs.setdefault('after_batch', self.iterations is not None)
        self.patience_log_record = (patience_log_record or
                                    self.notification_name + '_patience' +
                                    ('_epochs' if self.epochs is not None
                                     else '_iterations'))
        super().__init__(**kwargs)

    def update_best(self):
        # Here mainly so we can easily subclass different criteria.
        if self.notification_name in self.main_loop.log.current_row:
            self.last_best_iter = self.main_loop.log.status['iterations_done']
            self.last_best_epoch = self.main_loop.log.status['epochs_done']

    def do(self, which_callback, *args):
        self.update_best()
        # If we haven't encountered a best yet, then we should just bail.
        if not hasattr(self, 'last_best_iter'):
            return
        if self.epochs is not None:
            since = (self.main_loop.log.status['epochs_done'] -
                     self.last_best_epoch)
            patience = self.epochs - since
        else:
            since = (self.main_loop.log.status['iterations_done'] -
                     self.last_best_iter)
            patience = self.iterations - since
        logger.debug('%s: Writing patience of %d to current log record (%s) '
                     'at iteration %d', self.__class__.__name__, patience,
                     self.patience_log_record,
                     self.main_loop.log.status['iterations_done'])
        self.main_loop.log.current_row[self.patience_log_record] = patience
        if patience == 0:
            super().do(which_callback, *args)


class EarlyStopping(CompositeExtension):
    r"""Stop when a log record has not improved for a while; keep the best.

    A :class:`~blocks.extensions.training.TrackTheBest` and a
    :class:`FinishIfNoImprovementAfter` configured to work together, and
    optionally a :class:`~blocks.extensions.saveload.Checkpoint` that saves
    the best model so far to a file of its own.

    Parameters
    ----------
    record_name : str
        The log record whose value decides, for example a validation error
        rate (written by a monitoring extension placed *before* this one).
    checkpoint_extension : :class:`~blocks.extensions.saveload.Checkpoint`, optional
        A checkpoint to save each new best model with. If it is not among
        the main loop's extensions when training starts, it is added.
    checkpoint_filename : str, optional
        Where the best model is saved. Required with
        `checkpoint_extension`.
    notification_name : str, optional
        The record written when a new best is found, ``record_name +
        '_best_so_far'`` by default.
    choose_best : callable, optional
        Picks the better of two values: :func:`min` (the default) or
        :func:`max`.
    iterations, epochs : int, optional
        How long to wait for a new best; exactly one must be given.
    \*\*kwargs
        Trigger keywords for the tracking, the stopping decision and this
        extension (by default ``after_epoch``, and ``before_training``
        for the checkpoint set-up).

    Raises
    ------
    ValueError
        If `checkpoint_extension` is given without `checkpoint_filename`,
        or not exactly one of `iterations` and `epochs` is given.

    Examples
    --------
    Stop when the validation error has not reached a new minimum for two
    epochs, saving each new best model to ``best.tar``:

    >>> from blocks.extensions.saveload import Checkpoint
    >>> stopping = EarlyStopping(
    ...     'valid_error_rate', epochs=2,
    ...     checkpoint_extension=Checkpoint('model.tar', after_epoch=True),
    ...     checkpoint_filename='best.tar')
    >>> stopping.notification_name
    'valid_error_rate_best_so_far'

    """
    def __init__(self, record_name, checkpoint_extension=None,
                 checkpoint_filename=None, notification_name=None,
                 choose_best=min, iterations=None, epochs=None, **kwargs):
        if checkpoint_extension is not None and checkpoint_filename is None:
            raise ValueError("EarlyStopping: checkpoint_extension was given "
                             "without checkpoint_filename, the file to save "
                             "the best model to")
        if notification_name is None:
            notification_name = record_name + '_best_so_far'
        self.record_name = record_name
        self.notification_name = notification_name
        self.checkpoint_extension = checkpoint_extension
        self.checkpoint_filename = checkpoint_filename
        kwargs.setdefault('after_epoch', True)
        tracking = TrackTheBest(record_name, notification_name,
                                choose_best=choose_best, **kwargs)
        stopping = FinishIfNoImprovementAfter(
            notification_name, iterations=iterations, epochs=epochs,
            **kwargs)
        if checkpoint_extension is not None:
            # Saved right after the tracker wrote the notification, on the
            # triggers the tracker runs on.
            checkpoint_extension.add_condition(
                [trigger for trigger in ('after_batch', 'after_epoch')
                 if kwargs.get(trigger)],
                OnLogRecord(notification_name), (checkpoint_filename,))
        kwargs.setdefault('before_training', True)
        super().__init__([tracking, stopping], **kwargs)

    def do(self, which_callback, *args):
        if (which_callback == 'before_training' and
                self.checkpoint_extension is not None and
                self.checkpoint_extension not in self.main_loop.extensions):
            logger.info("EarlyStopping: adding its checkpoint extension to "
                        "the main loop")
            self.main_loop.extensions.append(self.checkpoint_extension)
            self.checkpoint_extension.main_loop = self.main_loop
            self.checkpoint_extension.dispatch('before_training')
