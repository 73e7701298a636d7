"""The extension framework: callbacks of the main loop and their triggers.

:class:`TrainingExtension` declares the callbacks the main loop calls;
:class:`SimpleExtension` runs one method, :meth:`~SimpleExtension.do`, on
the triggers given to its constructor; :class:`CompositeExtension` bundles
several extensions.

The concrete extensions live in modules named for what they do and are
re-exported at the bottom of this module, so that the import paths and
the pickles of earlier releases (``blocks.extensions.base.Printing``, ...)
keep working: :mod:`blocks.extensions.stopping` (:class:`FinishAfter`),
:mod:`blocks.extensions.printing` (:class:`Printing`,
:class:`ProgressBar`), :mod:`blocks.extensions.timing` (:class:`Timing`,
:class:`Timestamp`).

"""
import logging
from abc import ABCMeta, abstractmethod

logger = logging.getLogger(__name__)

#: The callbacks of :class:`TrainingExtension`, in the order the main loop
#: can call them.
CALLBACK_NAMES = frozenset([
    'before_training', 'before_epoch', 'before_batch', 'after_batch',
    'after_epoch', 'after_training', 'on_resumption', 'on_interrupt',
    'on_error'])


def callback(func):
    """Mark a method as a callback of a training extension."""
    func._is_callback = True
    return func


class TrainingExtension:
    """The base class for training extensions.

    An extension is a set of callbacks sharing a joint context that are
    invoked at certain stages of the training procedure. These callbacks
    typically add a certain functionality to the training procedure,
    e.g. running validation on auxiliary datasets or early stopping.

    Parameters
    ----------
    name : str, optional
        The name of the extension. The names are useful in order to
        distinguish between several extensions of the same type that
        belongs to the same main loop. By default the name is set to
        the name of the class.

    Attributes
    ----------
    main_loop : :class:`.MainLoop`
        The main loop to which the extension belongs.
    name : str
        The name of the extension.

    """
    def __init__(self, name=None):
        if not name:
            name = self.__class__.__name__
        self.name = name

    @property
    def main_loop(self):
        if not hasattr(self, '_main_loop'):
            raise ValueError("main loop must be assigned to extension first")
        return self._main_loop

    @main_loop.setter
    def main_loop(self, value):
        self._main_loop = value

    def dispatch(self, callback_name, *args):
        """Runs callback with the given name.

        The reason for having this method is to allow
        the descendants of the :class:`TrainingExtension` to intercept
        callback invocations and do something with them, e.g. block
        when certain condition does not hold. The default implementation
        simply invokes the callback by its name.

        """
        getattr(self, str(callback_name))(*args)

    @callback
    def on_resumption(self):
        """The callback invoked after training is resumed."""
        pass

    @callback
    def on_error(self, exception):
        """The callback invoked when an error occurs.

        Parameters
        ----------
        exception : object
            Exception occurred during the main loop run.

        """

    @callback
    def before_training(self):
        """The callback invoked before training is started."""
        pass

    @callback
    def before_epoch(self):
        """The callback invoked before starting an epoch."""
        pass

    @callback
    def before_batch(self, batch):
        """The callback invoked before a batch is processed.

        Parameters
        ----------
        batch : object
            The data batch to be processed.

        """
        pass

    @callback
    def after_batch(self, batch):
        """The callback invoked after a batch is processed.

        Parameters
        ----------
        batch : object
            The data batch just processed.

        """
        pass

    @callback
    def after_epoch(self):
        """The callback invoked after an epoch is finished."""
        pass

    @callback
    def after_training(self):
        """The callback invoked after training is finished."""
        pass

    @callback
    def on_interrupt(self):
        """The callback invoked when training is interrupted."""
        pass


class CallbackName(str):
    """A name of a TrainingExtension callback.

    Raises
    ------
    :class:`TypeError` on comparison with a string which is not a name of
    TrainingExtension callback.

    Examples
    --------
    >>> CallbackName('after_epoch') == 'after_epoch'
    True
    >>> CallbackName('after_epoch') == 'after_epochs'
    Traceback (most recent call last):
      ...
    TypeError: after_epochs is not a valid callback.

    """
    def __eq__(self, other):
        if other not in CALLBACK_NAMES:
            raise TypeError("{} is not a valid callback.".format(other))
        return str(self) == other

    def __ne__(self, other):
        return not self == other

    __hash__ = str.__hash__


class Predicate:
    """A trigger predicate of the integer triggers of :class:`SimpleExtension`.

    Parameters
    ----------
    condition : str
        One of ``every_n_batches``, ``every_n_epochs``, ``after_n_batches``,
        ``after_n_epochs``.
    num : int
        The ``n``.

    """
    def __init__(self, condition, num):
        self.condition = condition
        self.num = num

    def __call__(self, log):
        if self.condition.endswith('epochs'):
            entry = log.status['epochs_done']
        else:
            entry = log.status['iterations_done']
        if self.condition.startswith('every'):
            return entry % self.num == 0
        return entry == self.num


def has_done_epochs(log):
    """True before the first epoch (named as in Blocks)."""
    return log.status['epochs_done'] == 0


def always_true(log):
    """A predicate that always holds."""
    return True


class SimpleExtension(TrainingExtension, metaclass=ABCMeta):
    """A base class for simple extensions.

    All logic of simple extensions is concentrated in the method
    :meth:`do`.  This method is called when certain conditions are
    fulfilled. The user can manage the conditions by calling the
    `add_condition` method and by passing arguments to the constructor.  In
    addition to specifying when :meth:`do` is called, it is possible to
    specify additional arguments passed to :meth:`do` under different
    conditions.

    Parameters
    ----------
    before_training : bool
        If ``True``, :meth:`do` is invoked before training.
    before_first_epoch : bool
        If ``True``, :meth:`do` is invoked before the first epoch.
    before_epoch : bool
        If ``True``, :meth:`do` is invoked before every epoch.
    on_resumption : bool, optional
        If ``True``, :meth:`do` is invoked when training is resumed.
    on_interrupt : bool, optional
        If ``True``, :meth:`do` is invoked when training is interrupted.
    after_epoch : bool
        If ``True``, :meth:`do` is invoked after every epoch.
    after_batch: bool
        If ``True``, :meth:`do` is invoked after every batch.
    after_training : bool
        If ``True``, :meth:`do` is invoked after training.
    after_n_epochs : int, optional
        If not ``None``, :meth:`do` is invoked when `after_n_epochs`
        epochs are done.
    every_n_epochs : int, optional
        If not ``None``, :meth:`do` is invoked after every n-th epoch.
    after_n_batches : int, optional
        If not ``None``, :meth:`do` is invoked when `after_n_batches`
        batches are processed.
    every_n_batches : int, optional
        If not ``None``, :meth:`do` is invoked after every n-th batch.

    """
    BOOLEAN_TRIGGERS = frozenset(["before_training", "before_first_epoch",
                                  "before_epoch", "before_batch",
                                  "after_batch", "after_epoch",
                                  "after_training", "on_resumption",
                                  "on_interrupt", "on_error"])

    INTEGER_TRIGGERS = frozenset(["after_n_epochs", "after_n_batches",
                                  "every_n_epochs", "every_n_batches"])

    def __init__(self, **kwargs):
        self._conditions = []
        super_kwargs = {}
        trigger_keywords = self.BOOLEAN_TRIGGERS | self.INTEGER_TRIGGERS
        conditions = {}
        for key, value in kwargs.items():
            if key in trigger_keywords:
                conditions[key] = value
            else:
                super_kwargs[key] = value
        self.set_conditions(**conditions)
        super().__init__(**super_kwargs)

    def set_conditions(self, **kwargs):
        """Set the conditions for which this extension should be run.

        Parameters
        ----------
        See the :class:`SimpleExtension` docstring for a list of
        possible parameters.

        """
        self._conditions[:] = []
        predicates = {'before_first_epoch': has_done_epochs}
        conditions = {
            'before_first_epoch': 'before_epoch',
            'after_epoch': 'after_epoch',
            'after_batch': 'after_batch',
            'every_n_batches': 'after_batch',
            'every_n_epochs': 'after_epoch',
            'after_n_batches': 'after_batch',
            'after_n_epochs': 'after_epoch'
        }
        for key, value in kwargs.items():
            if key in self.BOOLEAN_TRIGGERS:
                if value:
                    self.add_condition([conditions.get(key, key)],
                                       predicate=predicates.get(key, None))
            elif key in self.INTEGER_TRIGGERS:
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int) \
                        or value < 1:
                    raise ValueError("{} must be a positive integer, got "
                                     "{!r}".format(key, value))
                self.add_condition([conditions.get(key, key)],
                                   predicate=Predicate(key, value))
            else:
                raise KeyError("Invalid condition: {}".format(key))
        return self  # For chaining calls.

    def add_condition(self, callbacks_names, predicate=None, arguments=None):
        """Adds a condition under which a :meth:`do` is called.

        Parameters
        ----------
        callbacks_names : list of str
            The names of the callback in which the method.
        predicate : function
            A predicate function the main loop's log as the
            single parameter and returning ``True`` when the method
            should be called and ``False`` when should not. If ``None``,
            an always ``True`` predicate is used.
        arguments : iterable
            Additional arguments to be passed to :meth:`do`. They will
            be concatenated with the ones passed from the main loop
            (e.g. the batch in case of `after_epoch` callback).

        Returns
        -------
            The extension object (allow chaining calls)

        """
        if not isinstance(callbacks_names, (list, tuple)):
            raise ValueError("callbacks_names must be list or tuple, got "
                             "{!r}".format(callbacks_names))
        for _callback_name in callbacks_names:
            if _callback_name not in CALLBACK_NAMES:
                raise ValueError("{!r} is not a callback; the callbacks are "
                                 "{}".format(_callback_name,
                                             sorted(CALLBACK_NAMES)))
            if not arguments:
                arguments = []
            if not predicate:
                self._conditions.append((_callback_name, always_true,
                                        arguments))
            else:
                self._conditions.append((_callback_name, predicate,
                                        arguments))
        return self

    @abstractmethod
    def do(self, which_callback, *args):
        r"""Does the job of the training extension.

        Parameters
        ----------
        which_callback : str
            The name of the callback in the context of which :meth:`do` is
            run.
        \*args : tuple
            The arguments from the main loop concatenated with additional
            arguments from user.

        Notes
        -----
        Subclasses *must* accept additional positional arguments in their
        call signature for this method, even if they are unused.

        """
        pass

    def dispatch(self, callback_invoked, *from_main_loop):
        """Check conditions and call the :meth:`do` method.

        Also adds additional arguments if specified for a condition.

        .. todo::

           Add a check for a situation when several conditions are met
           at the same time and do something.

        """
        for callback_name, predicate, arguments in self._conditions:
            if (callback_name == callback_invoked and
                    predicate(self.main_loop.log)):
                self.do(callback_invoked, *(from_main_loop + tuple(arguments)))

    @staticmethod
    def parse_args(which_callback, args):
        """Separates :meth:`do` arguments coming from different sources.

        When a :meth:`do` method receives arguments from both the main
        loop (e.g. a batch) and the user, it often has to separate them.
        This method is the right tool to use.

        Parameters
        ----------
        which_callback : str
            The name of the callback.
        args : iterable
            The arguments.

        Returns
        -------
        from_main_loop : tuple
        from_user : tuple

        """
        args = tuple(args)
        if (which_callback == 'after_batch' or
                which_callback == 'before_batch'):
            return (args[0],), args[1:]
        return (), args


class CompositeExtension(SimpleExtension):
    """An extension that manages several other extensions.

    Parameters
    ----------
    sub_extensions : iterable
        An iterable collection of sub-extensions to manage.
    run_before_children : bool, optional
        Whether the container extension's own logic should
        be dispatched before that of the sub-extensions.
        If ``False``, the containing extension is dispatched last.
        Defaults to ``True``.

    Notes
    -----
    The main use case for this class is bundling together groups
    of extensions that are most commonly used in tandem, configured
    so as to interact with one another. Encapsulating this pattern
    in a single extension reduces boilerplate.

    Sub-extensions are dispatched in the order specified in
    ``sub_extensions``, on whatever triggers they are individually
    configured to respect.

    Sub-extensions may be run on different triggers than the containing
    extension; the trigger keywords passed to the constructor
    for this class only affect the outer extension's logic, and
    sub-extensions should be configured independently (possibly in
    a constructor for a subclass of :class:`CompositeExtension`).

    """
    def __init__(self, sub_extensions, run_before_children=True, **kwargs):
        self.sub_extensions = list(sub_extensions)
        self.run_before_children = run_before_children
        super().__init__(**kwargs)

    def dispatch(self, callback_invoked, *from_main_loop):
        if self.run_before_children:
            super().dispatch(callback_invoked, *from_main_loop)
        for ext in self.sub_extensions:
            ext.dispatch(callback_invoked, *from_main_loop)
        if not self.run_before_children:
            super().dispatch(callback_invoked, *from_main_loop)

    @property
    def main_loop(self):
        return super().main_loop

    @main_loop.setter
    def main_loop(self, value):
        self._main_loop = value
        for sub in self.sub_extensions:
            sub.main_loop = value

    def do(self, which_callback, *args):
        pass


# Re-exported for the old import and pickle paths; imported last because
# these modules build on the classes above.
from blocks.extensions.printing import (  # noqa: E402,F401
    find_iteration_scheme, Printing, ProgressBar)
from blocks.extensions.stopping import FinishAfter  # noqa: E402,F401
from blocks.extensions.timing import Timestamp, Timing  # noqa: E402,F401
