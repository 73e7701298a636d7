"""Predicates for the conditions of simple extensions."""


class OnLogRecord:
    """Trigger a callback when a certain log record is found.

    Parameters
    ----------
    record_name : str
        The record name to check.

    Examples
    --------
    A checkpoint that is saved whenever a new best validation cost is
    found (``TrackTheBest`` writes the notification record)::

        checkpoint.add_condition(['after_epoch'],
                                 predicate=OnLogRecord('valid_cost_best_so_far'))

    """
    def __init__(self, record_name):
        self.record_name = record_name

    def __call__(self, log):
        return bool(log.current_row.get(self.record_name, False))
