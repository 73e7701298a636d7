"""Base definitions for recurrent bricks: :class:`BaseRecurrent`, :func:`recurrent`.

A recurrent brick implements *one step* of a recurrent network; the
:func:`recurrent` decorator turns that step into an application method that
iterates it over sequences with :func:`pytensor.scan`. The step is still
available as such with ``iterate=False``, which lets a brick combine the
steps of several recurrent bricks inside its own step (see the RNN tutorial,
``docs/rnn.rst``).

"""
import functools
import inspect
import logging
import warnings

import pytensor
from pytensor import tensor
from pytensor.graph.basic import Variable
from pytensor.scan.op import Scan

from blocks.bricks.base import Application, application, Brick
from blocks.compile.pytensor_internals import record_step_graph
from blocks.compile.scan import inner_mode
from blocks.initialization import NdarrayInitialization
from blocks.utils import (dict_subset, dict_union, is_shared_variable, pack,
                          Unbroadcast, unbroadcast)

logger = logging.getLogger(__name__)

unknown_scan_input = """

Your function uses a non-shared variable other than those given \
by scan explicitly. That can significantly slow down `tensor.grad` \
call. Did you forget to declare it in `contexts`?"""

#: Arguments that the application machinery passes to a method that asks.
CALL_ARGUMENTS = ('application', 'application_call')

#: Keyword arguments of a recurrent application that control the iteration.
ITERATION_ARGUMENTS = ('iterate', 'reverse', 'return_initial_states',
                       'scan_kwargs', 'n_steps', 'batch_size')

NO_INITIAL_STATE = (
    "no initial state for '{state}' of the brick {brick}; pass {state}=... "
    "to {brick}.{application}, or give {brick} an initial_states "
    "application that returns it")

NO_SEQUENCES = (
    "{brick}.{application} was called without any of its sequences {sequences}, "
    "so the number of steps and the batch size are unknown; pass the sequences, "
    "or n_steps=... and batch_size=...")


class BaseRecurrent(Brick):
    """Base class for brick with recurrent application method."""
    has_bias = False

    @application
    def initial_states(self, batch_size, *args, **kwargs):
        r"""Return initial states for an application call.

        Default implementation assumes that the recurrent application
        method is called `apply`. It fetches the state names
        from `apply.states` and a returns a zero matrix for each of them.

        :class:`SimpleRecurrent`, :class:`LSTM` and :class:`GatedRecurrent`
        override this method with trainable initial states initialized
        with zeros.

        Parameters
        ----------
        batch_size : int
            The batch size.
        \*args
            The positional arguments of the application call.
        \*\*kwargs
            The keyword arguments of the application call.

        """
        result = []
        for state in self.apply.states:
            dim = self.get_dim(state)
            if dim == 0:
                result.append(tensor.zeros((batch_size,),
                                           dtype=pytensor.config.floatX))
            else:
                result.append(tensor.zeros((batch_size, dim),
                                           dtype=pytensor.config.floatX))
        return result

    @initial_states.property('outputs')
    def initial_states_outputs(self):
        return self.apply.states


def _match_type(variable, target_type):
    """Give `variable` exactly `target_type` (dtype and static shape).

    :func:`pytensor.scan` demands that a step returns each state with the
    type of its initial value; a step may know more (a static batch size)
    or less about the shape than the initial state does, and its
    arithmetic may upcast (a float64 mask times a float32 state).

    """
    if variable.type == target_type:
        return variable
    if variable.dtype != target_type.dtype:
        variable = tensor.cast(variable, target_type.dtype)
    if variable.ndim != target_type.ndim:
        raise ValueError(
            "a recurrent step returned a state of {} dimensions where its "
            "initial value has {}: {}".format(variable.ndim, target_type.ndim,
                                              variable))
    forget = [axis for axis, (have, want) in enumerate(
        zip(variable.type.shape, target_type.shape))
        if want is None and have is not None]
    if forget:
        variable = Unbroadcast(forget)(variable)
    if any(have is None and want is not None for have, want in
           zip(variable.type.shape, target_type.shape)):
        variable = tensor.specify_shape(variable, target_type.shape)
    return variable


def _scan_node(outputs):
    """The Scan node that computes `outputs` (what :func:`pytensor.scan`
    returned: the node's outputs, or slices of them), or ``None``."""
    frontier = list(outputs)
    for _ in range(3):
        following = []
        for variable in frontier:
            owner = variable.owner
            if owner is None:
                continue
            if isinstance(owner.op, Scan):
                return owner
            following.extend(owner.inputs)
        frontier = following
    return None


def _with_iteration_signature(function):
    """Give `recurrent_apply` the signature the application machinery reads.

    :class:`~blocks.bricks.base.Application` inspects the signature to
    name positional inputs and to pass the ``application`` and
    ``application_call`` arguments; ``functools.wraps`` would make
    :func:`inspect.signature` report the undecorated step instead.

    """
    def decorator(recurrent_apply):
        functools.update_wrapper(recurrent_apply, function)
        del recurrent_apply.__wrapped__
        parameters = list(inspect.signature(function).parameters.values())
        self_parameter = parameters[0]
        step_parameters = [parameter for parameter in parameters[1:]
                           if parameter.name not in CALL_ARGUMENTS]
        extra = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                 for name in CALL_ARGUMENTS]
        has_var_keyword = any(p.kind == p.VAR_KEYWORD for p in step_parameters)
        if not has_var_keyword:
            step_parameters.append(
                inspect.Parameter('kwargs', inspect.Parameter.VAR_KEYWORD))
        recurrent_apply.__signature__ = inspect.Signature(
            [self_parameter] + extra + step_parameters)
        return recurrent_apply
    return decorator


def recurrent(*args, **kwargs):
    """Wraps an apply method to allow its iterative application.

    This decorator allows you to implement only one step of a recurrent
    network and enjoy applying it to sequences for free. The idea behind is
    that its most general form information flow of an RNN can be described
    as follows: depending on the context and driven by input sequences the
    RNN updates its states and produces output sequences.

    Given a method describing one step of an RNN and a specification
    which of its inputs are the elements of the input sequence,
    which are the states and which are the contexts, this decorator
    returns an application method which implements the whole RNN loop.
    The returned application method also has additional parameters,
    see documentation of the `recurrent_apply` inner function below.

    Parameters
    ----------
    sequences : list of strs
        Specifies which of the arguments are elements of input sequences.
    states : list of strs
        Specifies which of the arguments are the states.
    contexts : list of strs
        Specifies which of the arguments are the contexts.
    outputs : list of strs
        Names of the outputs. The outputs whose names match with those
        in the `state` parameter are interpreted as next step states.

    Returns
    -------
    recurrent_apply : :class:`~blocks.bricks.base.Application`
        The new application method that applies the RNN to sequences.

    See Also
    --------
    :doc:`The tutorial on RNNs </rnn>`

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> class Accumulator(BaseRecurrent):
    ...     @recurrent(sequences=['inputs'], states=['states'],
    ...                outputs=['states'], contexts=[])
    ...     def apply(self, inputs, states=None):
    ...         return states + inputs
    ...     def get_dim(self, name):
    ...         return 2
    >>> x = tensor.tensor3('x')
    >>> h = Accumulator().apply(x)
    >>> h.eval({x: numpy.ones((3, 1, 2), dtype=x.dtype)})[:, 0].tolist()
    [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]

    """
    def recurrent_wrapper(application_function):
        step_arguments = list(
            inspect.signature(application_function).parameters)[1:]
        # A step may ask for its application call (to attach auxiliary
        # variables) like any application method
        call_arguments = [name for name in CALL_ARGUMENTS
                          if name in step_arguments]
        arg_names = [name for name in step_arguments
                     if name not in CALL_ARGUMENTS]

        def call_step(brick, application, application_call, *args,
                      **kwargs):
            if 'application' in call_arguments:
                kwargs['application'] = application
            if 'application_call' in call_arguments:
                kwargs['application_call'] = application_call
            return application_function(brick, *args, **kwargs)

        @_with_iteration_signature(application_function)
        def recurrent_apply(brick, application, application_call,
                            *args, **kwargs):
            """Iterates a transition function.

            Parameters
            ----------
            iterate : bool
                If ``True`` iteration is made. By default ``True``.
            reverse : bool
                If ``True``, the sequences are processed in backward
                direction. ``False`` by default.
            return_initial_states : bool
                If ``True``, initial states are included in the returned
                state tensors. ``False`` by default.
            scan_kwargs : dict, optional
                Further keyword arguments of :func:`pytensor.scan`.
            n_steps, batch_size : int or scalar variable, optional
                Needed only when no sequence is given.

            """
            # Extract arguments related to iteration and immediately relay
            # the call to the wrapped function if `iterate=False`
            iterate = kwargs.pop('iterate', True)
            if not iterate:
                return call_step(brick, application, application_call,
                                 *args, **kwargs)
            reverse = kwargs.pop('reverse', False)
            scan_kwargs = dict(kwargs.pop('scan_kwargs', None) or {})
            # the step compiles in Blocks' mode (blocks.compile.scan)
            scan_kwargs.setdefault('mode', inner_mode())
            return_initial_states = kwargs.pop('return_initial_states', False)

            # Push everything to kwargs
            if len(args) > len(arg_names):
                raise TypeError(
                    "{}.{} takes at most {} positional inputs ({}), got "
                    "{}".format(brick.name, application.name, len(arg_names),
                                arg_names, len(args)))
            for arg, arg_name in zip(args, arg_names):
                kwargs[arg_name] = arg

            # Make sure that all arguments for scan are tensor variables
            scan_arguments = (application.sequences + application.states +
                              application.contexts)
            for arg in scan_arguments:
                if arg in kwargs:
                    if kwargs[arg] is None:
                        del kwargs[arg]
                    elif not isinstance(kwargs[arg], (NdarrayInitialization,
                                                      Application)):
                        kwargs[arg] = tensor.as_tensor_variable(kwargs[arg])

            # Check which sequence and contexts were provided
            sequences_given = dict_subset(kwargs, application.sequences,
                                          must_have=False)
            contexts_given = dict_subset(kwargs, application.contexts,
                                         must_have=False)

            # Determine number of steps and batch size.
            n_steps = kwargs.pop('n_steps', None)
            batch_size = kwargs.pop('batch_size', None)
            if sequences_given:
                # The first axis of every sequence is time, the second the
                # batch: the first sequence given tells both.
                shape = list(sequences_given.values())[0].shape
                if n_steps is None:
                    n_steps = shape[0]
                if batch_size is None:
                    batch_size = shape[1]
            elif n_steps is None or batch_size is None:
                raise ValueError(NO_SEQUENCES.format(
                    brick=brick.name, application=application.name,
                    sequences=application.sequences))

            # Handle the rest kwargs
            rest_kwargs = {key: value for key, value in kwargs.items()
                           if key not in scan_arguments}
            for value in rest_kwargs.values():
                if (isinstance(value, Variable) and not
                        is_shared_variable(value)):
                    logger.warning("unknown input {}".format(value) +
                                   unknown_scan_input)

            # Ensure that all initial states are available.
            missing_states = [name for name in application.states
                              if name not in kwargs]
            initial_states = {}
            if missing_states:
                initial_states = brick.initial_states(
                    batch_size, as_dict=True, **kwargs)
            for state_name in application.states:
                dim = brick.get_dim(state_name)
                if state_name in kwargs:
                    if isinstance(kwargs[state_name], NdarrayInitialization):
                        kwargs[state_name] = tensor.alloc(
                            tensor.as_tensor_variable(
                                kwargs[state_name].generate(brick.rng,
                                                            (1, dim))),
                            batch_size, dim)
                    elif isinstance(kwargs[state_name], Application):
                        kwargs[state_name] = (
                            kwargs[state_name](state_name, batch_size,
                                               *args, **kwargs))
                else:
                    try:
                        kwargs[state_name] = initial_states[state_name]
                    except KeyError:
                        raise KeyError(NO_INITIAL_STATE.format(
                            state=state_name, brick=brick.name,
                            application=application.name)) from None
            states_given = dict_subset(kwargs, application.states)

            # A static length-1 axis of an initial state would make its
            # type differ from the step's output (Theano issue 1772)
            for name, state in states_given.items():
                states_given[name] = unbroadcast(state)
            state_types = {name: state.type
                           for name, state in states_given.items()}

            # A brick may iterate without scan (a fused Op), see LSTM
            fused_iteration = getattr(brick, 'fused_iteration', None)
            if fused_iteration is not None:
                result = fused_iteration(application, sequences_given,
                                         states_given, contexts_given,
                                         reverse)
                if result is not None:
                    if return_initial_states:
                        result = [
                            tensor.concatenate([states_given[name][None],
                                                output])
                            if name in application.states else output
                            for name, output in zip(application.outputs,
                                                    result)]
                    return result

            def scan_function(*args):
                args = list(args)
                arg_names = (list(sequences_given) +
                             [output for output in application.outputs
                              if output in application.states] +
                             list(contexts_given))
                kwargs = dict(zip(arg_names, args))
                kwargs.update(rest_kwargs)
                outputs = pack(application(iterate=False, **kwargs))
                outputs = [
                    _match_type(output, state_types[name])
                    if name in state_types else output
                    for name, output in zip(application.outputs, outputs)]
                # We want to save the computation graph returned by the
                # `application_function` when it is called inside the
                # `pytensor.scan`.
                application_call.inner_inputs = args
                application_call.inner_outputs = outputs
                return outputs

            outputs_info = [
                states_given[name] if name in application.states
                else None
                for name in application.outputs]
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    'ignore', category=DeprecationWarning,
                    message='Scan return signature will change')
                result, updates = pytensor.scan(
                    scan_function, sequences=list(sequences_given.values()),
                    outputs_info=outputs_info,
                    non_sequences=list(contexts_given.values()),
                    n_steps=n_steps,
                    go_backwards=reverse,
                    name='{}_{}_scan'.format(
                        brick.name, application.application_name),
                    return_list=True,
                    **scan_kwargs)
            result = pack(result)
            # The op keeps a copy of the step that, from PyTensor 3.3 on,
            # has no names and no annotations: ComputationGraph reads the
            # step's own graph instead.
            scan_node = _scan_node(result)
            if scan_node is not None:
                record_step_graph(scan_node.op, application_call.inner_outputs,
                                  scan_node.inputs)
            if return_initial_states:
                # Undo the Subtensor that drops the initial state: the
                # buffer scan fills holds it in its first row
                for i, name in enumerate(application.outputs):
                    if name not in application.states:
                        continue
                    if not isinstance(result[i].owner.op,
                                      tensor.subtensor.Subtensor):
                        raise AssertionError(
                            "scan no longer returns its states as a slice "
                            "of its buffer, so return_initial_states cannot "
                            "find the initial states")
                    result[i] = result[i].owner.inputs[0]
            if updates:
                application_call.updates = dict_union(application_call.updates,
                                                      updates)

            return result

        return recurrent_apply

    # Decorator can be used with or without arguments
    if not ((args and not kwargs) or (not args and kwargs)):
        raise TypeError("recurrent takes either the method to decorate or "
                        "keyword arguments, not both")
    if args:
        application_function, = args
        return application(recurrent_wrapper(application_function))
    else:
        def wrap_application(application_function):
            return application(**kwargs)(
                recurrent_wrapper(application_function))
        return wrap_application
