"""Extensions that record time in the log: :class:`Timing`, :class:`Timestamp`."""
import datetime
import logging

from blocks.compile.compilation import total_compile_time
from blocks.extensions.base import SimpleExtension

logger = logging.getLogger(__name__)


class Timing(SimpleExtension):
    """Add timing information to the log.

    This adds data about the time spent in the algorithm's
    :meth:`~.Algorithm.process_batch` method as well as the time spent
    reading data per batch or epoch. It also reports the time spent
    initializing the algorithm (``time_initialization``: compiling the
    training function) and the time spent compiling all of Blocks'
    functions so far (``time_compile_total``: the training function and the
    monitoring functions), apart from training time.

    Parameters
    ----------
    prefix : str
        Prefix to be added to the log record. Defaults to the empty string.

    Notes
    -----
    Add this extension *before* the :class:`Printing` extension.

    Created with callbacks like ``every_n_batches`` this extension
    averages the time.

    This extension does *not* enable full profiling information. To see a
    full profile of the main loop at the end of training, use the
    ``profile`` configuration (e.g. by setting ``BLOCKS_PROFILE=true``).

    """
    def __init__(self, prefix="", **kwargs):
        kwargs.setdefault('before_first_epoch', True)
        kwargs.setdefault('after_epoch', True)
        super().__init__(**kwargs)
        self.current = {
            level: {'train': 0, 'read_data': 0}
            for level in ['batch', 'epoch']
        }
        self.previous = {
            level: {'train': 0, 'read_data': 0}
            for level in ['batch', 'epoch']
        }
        self.current_index = {
            level: 0
            for level in ['batch', 'epoch']
        }
        self.previous_index = {
            level: 0
            for level in ['batch', 'epoch']
        }
        self.prefix = prefix
        if self.prefix:
            self.prefix += '_'

    def do(self, which_callback, *args):
        current_row = self.main_loop.log.current_row
        profile = self.main_loop.profile.total

        current_row[self.prefix + 'time_compile_total'] = \
            total_compile_time()
        if which_callback == 'before_epoch':
            current_row[self.prefix + 'time_initialization'] = \
                profile[('initialization',)]
            return
        if which_callback == 'after_epoch':
            level = 'epoch'
            counter = 'epochs_done'
        elif which_callback == 'after_batch':
            level = 'batch'
            counter = 'iterations_done'
        else:
            return

        self.previous_index[level] = self.current_index[level]
        self.current_index[level] = self.main_loop.log.status[counter]
        if self.current_index[level] == self.previous_index[level]:
            logger.debug('Timing extension was called twice this %s, '
                         'log was not updated.', level)
            # Nothing to report for this level
            return
        for action in ['train', 'read_data']:
            self.previous[level][action] = self.current[level][action]
            self.current[level][action] = profile[
                'training', 'epoch', action]

            this_time = self.prefix + 'time_{}_this_{}'
            current_row[this_time.format(action, level)] = (
                (self.current[level][action] -
                 self.previous[level][action]) /
                (self.current_index[level] - self.previous_index[level]))
            total_time = self.prefix + 'time_{}_total'
            current_row[total_time.format(action)] = \
                self.current[level][action]


class Timestamp(SimpleExtension):
    """Adds a human readable (ISO 8601) timestamp to the log.

    Parameters
    ----------
    log_record : str, optional
        The record name to use. Defaults to 'timestamp'.
    separator : str, optional
        Separator between the date and time. ISO 8601 specifies 'T'.
        Here, we default to ' ' (blank space) for human readability.

    Notes
    -----
    By default, triggers after every epoch as well as before training
    starts, after training finishes, when an error occurs or when training
    is interrupted or resumed, as these are all generally useful
    circumstances for which to have a timestamp. These can be disabled
    by passing `False` as the appropriate keyword argument; see
    :class:`SimpleExtension`.

    """
    DEFAULT_LOG_RECORD = 'timestamp'

    def __init__(self, log_record=DEFAULT_LOG_RECORD, separator=' ',
                 **kwargs):
        self.log_record = log_record
        self.separator = separator
        default_callbacks = ['before_training', 'after_epoch', 'on_error',
                             'on_interrupt', 'on_resumption',
                             'after_training']
        for callback_name in default_callbacks:
            kwargs.setdefault(callback_name, True)
        super().__init__(**kwargs)

    def do(self, *args):
        self.main_loop.log.current_row[self.log_record] = self.get_timestamp()

    def get_timestamp(self):
        # Separated into a method to override for ease of testing.
        return datetime.datetime.now().isoformat(self.separator)
