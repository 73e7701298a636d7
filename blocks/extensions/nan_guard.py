"""Stop training when the cost or a parameter becomes NaN or infinite.

A diverging run (a learning rate too large), a NaN in the data or a
non-finite hyperparameter turns the parameters into NaN within a few
batches, and a run without a guard trains on to the end with them. The
:class:`NanGuard` checks the training cost of every batch and the parameters
after every update, and stops training at the first non-finite value with a
message naming the iteration, the quantity and the last good checkpoint,
which is kept: :class:`~blocks.extensions.saveload.Checkpoint` refuses to
save a state the guard has not seen finite, and runs the guards itself
before each save, whatever the order of the extensions.

"""
import logging

import numpy
import pytensor

from blocks.compile.jax_support import shared_value
from blocks.extensions.base import SimpleExtension
from blocks.filter import get_parameter_path

logger = logging.getLogger(__name__)

#: The status record holding the iteration at which a guard found a
#: non-finite value (``None`` while the state is finite).
NON_FINITE_STATUS = '_non_finite_at'

NON_FINITE = (
    "NanGuard stopped training at iteration {iteration} ({epochs} epochs "
    "done): "
    "{quantity}. {checkpoint} Lower the learning rate (or clip the steps), "
    "and look for NaN or infinite values in the data")
LAST_CHECKPOINT = ("The last good checkpoint is {path} (iteration "
                   "{iteration}); it is kept, and nothing is saved over it.")
NO_CHECKPOINT = "No checkpoint was saved in this run."


class NonFiniteError(FloatingPointError):
    """Training met a NaN or an infinite value (raised by :class:`NanGuard`)."""


def _describe(name, value):
    value = numpy.asarray(value)
    nan = int(numpy.isnan(value).sum())
    infinite = int(numpy.isinf(value).sum())
    if value.ndim == 0:
        return "{} is {}".format(name, value.item())
    return "{} holds {} NaN and {} infinite values out of {}".format(
        name, nan, infinite, value.size)


def _extensions(extensions):
    for extension in extensions:
        yield extension
        yield from _extensions(getattr(extension, 'sub_extensions', ()))


class NanGuard(SimpleExtension):
    """Stops training at the first NaN or infinite cost or parameter.

    After every batch (by default; the triggers of
    :class:`~blocks.extensions.SimpleExtension`, such as
    ``every_n_batches=10``, replace the default), the guard checks the
    training cost of that batch and then every parameter. At the first
    non-finite value it raises :class:`NonFiniteError`, whose message names
    the iteration, the quantity (``the training cost 'cost' is nan``, ``the
    parameter /mlp/linear_0.W holds 12 NaN ...``) and the last checkpoint
    saved in this run, which is never overwritten afterwards.

    Parameters
    ----------
    cost : :class:`~pytensor.tensor.TensorVariable`, optional
        The scalar cost to check. By default, the training algorithm's
        ``cost`` (:class:`~blocks.algorithms.GradientDescent` has one). Its
        value on each batch is kept by an update added to the training
        algorithm, so nothing is computed twice.
    parameters : list of shared variables, optional
        The parameters to check. By default, the model's parameters (or
        the training algorithm's).

    Notes
    -----
    The cost a batch reports is computed before that batch's update, so a
    NaN in the data shows as a non-finite cost, and a step that overflows
    as a non-finite parameter. Checking the parameters reads each one once
    per check (a few milliseconds for a hundred million values); for very
    large models, check less often (``every_n_batches=10``): a
    :class:`~blocks.extensions.saveload.Checkpoint` still runs the check
    before each save.

    Examples
    --------
    >>> from blocks.extensions import FinishAfter
    >>> from blocks.extensions.saveload import Checkpoint
    >>> extensions = [NanGuard(), Checkpoint('checkpoint.tar',
    ...                                      every_n_epochs=1),
    ...               FinishAfter(after_n_epochs=5)]

    """
    def __init__(self, cost=None, parameters=None, **kwargs):
        triggers = self.BOOLEAN_TRIGGERS | self.INTEGER_TRIGGERS
        if not triggers.intersection(kwargs):
            kwargs['after_batch'] = True  # the default, unless told when
        super().__init__(**kwargs)
        if cost is not None and getattr(cost, 'ndim', None) != 0:
            raise ValueError("NanGuard checks a scalar cost, got {!r} of "
                             "ndim {}".format(cost, getattr(cost, 'ndim',
                                                            None)))
        self.cost = cost
        self.parameters = parameters
        self._cost_value = None
        self._checked_at = None

    def dispatch(self, callback_invoked, *from_main_loop):
        if callback_invoked in ('before_training', 'on_resumption'):
            self._watch_cost()
        super().dispatch(callback_invoked, *from_main_loop)

    def _watch_cost(self):
        """Add the update that keeps the cost of each batch (once)."""
        if self._cost_value is not None:
            return
        algorithm = self.main_loop.algorithm
        cost = self.cost if self.cost is not None else getattr(
            algorithm, 'cost', None)
        if cost is None or not hasattr(algorithm, 'add_updates'):
            logger.info("NanGuard checks the parameters only: the training "
                        "algorithm has no cost to check")
            return
        if cost.ndim != 0:
            raise ValueError("NanGuard checks a scalar cost; the training "
                             "algorithm's cost {!r} has ndim {}".format(
                                 cost, cost.ndim))
        self._cost_name = cost.name or 'cost'
        self._cost_value = pytensor.shared(
            numpy.zeros((), dtype=cost.dtype),
            name='nan_guard_{}'.format(self._cost_name))
        algorithm.add_updates([(self._cost_value, cost)])

    def _parameters(self):
        if self.parameters is not None:
            return self.parameters
        try:
            return self.main_loop.model.parameters
        except AttributeError:  # no model
            return getattr(self.main_loop.algorithm, 'parameters', None) or []

    def first_non_finite(self):
        """Describe the first non-finite quantity, or return None."""
        if (self._cost_value is not None and
                self.main_loop.status['iterations_done'] > 0):
            value = shared_value(self._cost_value, borrow=True)
            if not numpy.isfinite(value).all():
                return _describe("the training cost {!r}".format(
                    self._cost_name), value)
        for parameter in self._parameters():
            value = shared_value(parameter, borrow=True)
            if not numpy.isfinite(value).all():
                return _describe("the parameter {}".format(
                    get_parameter_path(parameter)), value)
        return None

    def check(self):
        """Return True if the state is finite; raise at a first non-finite value.

        Checks once per iteration. :class:`~blocks.extensions.saveload.
        Checkpoint` calls it before saving, so the order of the extensions
        does not matter.

        Raises
        ------
        NonFiniteError
            When the cost of the last batch or a parameter is NaN or
            infinite, the first time it is seen.

        """
        status = self.main_loop.status
        iteration = status['iterations_done']
        if self._checked_at == iteration:
            return not status.get(NON_FINITE_STATUS)
        quantity = self.first_non_finite()
        self._checked_at = iteration
        if quantity is None:
            if status.get(NON_FINITE_STATUS) is not None:
                status[NON_FINITE_STATUS] = None
            return True
        status[NON_FINITE_STATUS] = iteration
        message = NON_FINITE.format(
            iteration=iteration, epochs=status['epochs_done'],
            quantity=quantity,
            checkpoint=self._last_checkpoint_sentence())
        self.main_loop.log.current_row['nan_guard'] = message
        raise NonFiniteError(message)

    def _last_checkpoint_sentence(self):
        saved = [getattr(extension, 'last_saved', None)
                 for extension in _extensions(self.main_loop.extensions)]
        saved = [entry for entry in saved if entry is not None]
        if not saved:
            return NO_CHECKPOINT
        path, iteration = max(saved, key=lambda entry: entry[1])
        return LAST_CHECKPOINT.format(path=path, iteration=iteration)

    def do(self, which_callback, *args):
        self.check()


def check_before_saving(main_loop):
    """Run the main loop's guards; True when the state may be saved.

    Raises :class:`NonFiniteError` from a guard that finds a non-finite
    value now; returns False when a guard found one earlier (the state
    stays refused until a guard sees it finite again).

    """
    finite = [extension.check()
              for extension in _extensions(main_loop.extensions)
              if isinstance(extension, NanGuard)]
    return all(finite) and not main_loop.status.get(NON_FINITE_STATUS)
