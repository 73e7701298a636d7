"""Training logs: in memory (:class:`TrainingLog`) or in SQLite (:class:`SQLiteLog`)."""
from blocks.log.log import TrainingLog, TrainingLogBase
from blocks.log.sqlite import SQLiteLog

#: The log backends by their ``config.log_backend`` name.
BACKENDS = {
    'python': TrainingLog,
    'sqlite': SQLiteLog,
}

__all__ = ['TrainingLogBase', 'TrainingLog', 'SQLiteLog', 'BACKENDS']
