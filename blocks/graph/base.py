"""The annotated computation graph."""
import warnings
from collections import OrderedDict
from itertools import chain

from pytensor.graph.basic import Variable
from pytensor.graph.replace import clone_replace
from pytensor.graph.traversal import graph_inputs, io_toposort
from pytensor.scan.op import Scan
from toolz import unique

from blocks.compile.pytensor_internals import recorded_step_graph
from blocks.roles import has_roles, AUXILIARY, PARAMETER
from blocks.utils import (compile_function, dict_union, is_graph_input,
                          is_shared_variable)


class ComputationGraph:
    r"""Encapsulates a managed PyTensor computation graph.

    This implies that it not only contains the variables required to
    compute the given outputs, but also all the auxiliary variables and
    updates that were attached to these variables through the annotation
    system.

    All variables are presented in topologically sorted order according to
    the apply nodes that they are an input to.

    Parameters
    ----------
    outputs : (list of) :class:`~pytensor.tensor.TensorVariable`
        The output(s) of the computation graph.

    Attributes
    ----------
    inputs : list of :class:`~pytensor.tensor.TensorVariable`
        The inputs of the computation graph. This does not include shared
        variables and constants.
    shared_variables : list of :class:`~pytensor.compile.SharedVariable`
        All the shared variables in the graph.
    parameters : list of :class:`~pytensor.compile.SharedVariable`
        All the shared variables which have the :const:`.PARAMETER` role.
    outputs : list of :class:`~pytensor.tensor.TensorVariable`
        The outputs of the computations graph (as passed to the
        constructor).
    auxiliary_variables : list of :class:`~pytensor.tensor.TensorVariable`
        All variables which have the :const:`.AUXILIARY` role.
    intermediary_variables : list of :class:`~pytensor.tensor.TensorVariable`
        Any variable that is not part of :attr:`inputs` or :attr:`outputs`.
    variables : list of :class:`~pytensor.tensor.TensorVariable`
        All variables (including auxiliary) in the managed graph.
    scans : list of :class:`~pytensor.scan.op.Scan`
        All Scan ops used in this computation graph.
    scan_variables : list of :class:`~pytensor.tensor.TensorVariable`
        All variables of the inner graphs of Scan ops. For the scan of a
        recurrent brick (:func:`~blocks.bricks.recurrent.recurrent`) these
        are the variables of the step as the step built them, with their
        names and annotations; for other scans those of the op's own inner
        graph (which PyTensor 3.3 and later keep without names and tags).
    updates : :class:`~collections.OrderedDict`
        All the updates (shared variable to its new value) found attached
        to the annotations: those of application calls
        (``application_call.updates``) and of other annotations.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.bricks import Linear
    >>> x = tensor.matrix('x')
    >>> linear = Linear(3, 2)
    >>> cg = ComputationGraph(linear.apply(x))
    >>> cg.inputs, cg.outputs
    ([x], [linear_apply_output])
    >>> sorted(parameter.name for parameter in cg.parameters)
    ['W', 'b']
    >>> cg.auxiliary_variables
    [W_norm, b_norm]

    """
    def __init__(self, outputs):
        if isinstance(outputs, Variable):
            outputs = [outputs]
        outputs = list(outputs)
        not_variables = [output for output in outputs
                         if not isinstance(output, Variable)]
        if not_variables:
            raise TypeError("the outputs of a ComputationGraph must be "
                            "PyTensor variables, got {}".format(
                                not_variables))
        self.outputs = outputs
        self._get_variables()
        self._has_inputs = {}

    def __iter__(self):
        return iter(self.variables)

    @property
    def inputs(self):
        """Inputs to the graph, excluding constants and shared variables."""
        return [var for var in self.variables if is_graph_input(var)]

    @property
    def intermediary_variables(self):
        """Variables that are neither inputs nor outputs of the graph."""
        excluded = set(self.inputs) | set(self.outputs)
        return [var for var in self.variables if var not in excluded]

    @property
    def shared_variables(self):
        return [var for var in self.variables if is_shared_variable(var)]

    @property
    def parameters(self):
        return [var for var in self.shared_variables
                if has_roles(var, [PARAMETER])]

    @property
    def auxiliary_variables(self):
        return [var for var in self.variables if has_roles(var, [AUXILIARY])]

    @property
    def scan_variables(self):
        """Variables of the inner graphs of Scan ops, nested ones included."""
        return list(chain(*[g.variables + g.scan_variables
                            for g in self._scan_graphs]))

    @classmethod
    def _bounded(cls, outputs, blockers):
        """The graph of `outputs` that stops at, and leaves out, `blockers`."""
        graph = cls.__new__(cls)
        graph.outputs = list(outputs)
        graph._get_variables(blockers)
        graph._has_inputs = {}
        return graph

    def _get_variables(self, blockers=()):
        """Collect variables, updates and auxiliary variables.

        In addition collects all :class:`~pytensor.scan.op.Scan` ops and
        recurses in the respective inner PyTensor graphs.

        Parameters
        ----------
        blockers : collection of :class:`~pytensor.graph.basic.Variable`
            Variables the graph stops at and leaves out (for the step of
            a scan: the variables outside the loop that it reads).

        """
        updates = OrderedDict()

        shared_outputs = [o for o in self.outputs if is_shared_variable(o)]
        usual_outputs = [o for o in self.outputs if not is_shared_variable(o)]
        variables = shared_outputs
        self.sorted_apply_nodes = []
        self.scans = []
        self._scan_graphs = []

        if usual_outputs:
            # Sort apply nodes topologically, get variables and remove
            # duplicates
            blockers = set(blockers)
            inputs = list(graph_inputs(self.outputs, blockers=blockers))
            self.sorted_apply_nodes = io_toposort(inputs, usual_outputs)
            scan_nodes = list(unique([node for node in
                                      self.sorted_apply_nodes
                                      if isinstance(node.op, Scan)],
                                     key=lambda node: id(node.op)))
            self.scans = [node.op for node in scan_nodes]
            self._scan_graphs = [_step_graph(node) for node in scan_nodes]

            seen = set(blockers)
            main_vars = (
                [var for var in chain(*[apply_node.inputs for apply_node
                                        in self.sorted_apply_nodes])
                 if not (var in seen or seen.add(var))] +
                [var for var in self.outputs if var not in seen])

            # While preserving order add auxiliary variables, and collect
            # updates
            seen = set()
            # Intermediate variables could be auxiliary
            seen_avs = set(main_vars)
            variables = []
            for var in main_vars:
                variables.append(var)
                for annotation in getattr(var.tag, 'annotations', []):
                    if annotation not in seen:
                        seen.add(annotation)
                        new_avs = [
                            av for av in annotation.auxiliary_variables
                            if not (av in seen_avs or seen_avs.add(av))]
                        variables.extend(new_avs)
                        updates = dict_union(updates, annotation.updates)

        self.variables = variables
        self.updates = updates

    def dict_of_inputs(self):
        """Return a mapping from an input name to the input.

        >>> from pytensor import tensor
        >>> x, y = tensor.vector('x'), tensor.vector('y')
        >>> ComputationGraph([x + y]).dict_of_inputs() == {'x': x, 'y': y}
        True

        """
        return {var.name: var for var in self.inputs}

    def replace(self, replacements):
        """Replace certain variables in the computation graph.

        Parameters
        ----------
        replacements : dict
            The mapping from variables to be replaced to the corresponding
            substitutes.

        Examples
        --------
        >>> import pytensor
        >>> from pytensor import tensor, function
        >>> x = tensor.scalar('x')
        >>> y = x + 2
        >>> z = y + 3
        >>> a = z + 5

        Let's suppose we have dependent replacements like

        >>> replacements = {y: x * 2, z: y * 3}
        >>> cg = ComputationGraph([a])
        >>> pytensor.printing.pprint(a)  # doctest: +NORMALIZE_WHITESPACE
        '(((x + 2) + 3) + 5)'
        >>> cg_new = cg.replace(replacements)
        >>> pytensor.printing.pprint(
        ...     cg_new.outputs[0])  # doctest: +NORMALIZE_WHITESPACE
        '(((x * 2) * 3) + 5)'

        First two sums turned into multiplications

        >>> float(function(cg_new.inputs, cg_new.outputs)(3.)[0])
        23.0

        """
        # Due to PyTensor specifics we have to make one replacement in time
        replacements = OrderedDict(replacements)

        outputs_cur = self.outputs

        # `replacements` with previous replacements applied. We have to track
        # variables in the new graph corresponding to original replacements.
        replacement_keys_cur = []
        replacement_vals_cur = []
        # Sort `replacements` in topological order
        # variables in self.variables are in topological order
        remaining_replacements = replacements.copy()
        for variable in self.variables:
            if variable in replacements:
                if has_roles(variable, [AUXILIARY]):
                    warnings.warn(
                        "replace method was asked to replace a variable ({}) "
                        "that is an auxiliary variable.".format(variable))
                replacement_keys_cur.append(variable)
                # self.variables should not contain duplicates,
                # otherwise pop() may fail.
                replacement_vals_cur.append(
                    remaining_replacements.pop(variable))

        # if remaining_replacements is not empty
        if remaining_replacements:
            warnings.warn(
                "replace method was asked to replace a variable(s) ({}) "
                "that is not a part of the computational "
                "graph.".format(list(remaining_replacements.keys())))

        # Replace step-by-step in topological order
        while replacement_keys_cur:
            replace_what = replacement_keys_cur[0]
            replace_by = replacement_vals_cur[0]
            # We also want to make changes in future replacements
            outputs_new = clone_replace(
                outputs_cur + replacement_keys_cur[1:] +
                replacement_vals_cur[1:],
                replace={replace_what: replace_by})
            # Reconstruct outputs, keys, and values
            outputs_cur = outputs_new[:len(outputs_cur)]
            replacement_keys_cur = outputs_new[len(outputs_cur):
                                               len(outputs_cur) +
                                               len(replacement_keys_cur) - 1]
            replacement_vals_cur = outputs_new[len(outputs_cur) +
                                               len(replacement_keys_cur):]

        return ComputationGraph(outputs_cur)

    def get_theano_function(self, additional_updates=None, **kwargs):
        r"""Create PyTensor function from the graph contained.

        The function takes the :attr:`inputs` in order, returns the
        :attr:`outputs` and performs the :attr:`updates`. It is compiled by
        :func:`blocks.utils.compile_function`, in the configured mode.

        Parameters
        ----------
        additional_updates : list of pairs or dict, optional
            Updates performed besides :attr:`updates`.
        \*\*kwargs : dict
            Keyword arguments to :func:`pytensor.function` (``mode`` among
            them, which otherwise comes from ``config.compile_mode``).
            Useful for specifying compilation modes or profiling.

        Examples
        --------
        >>> from pytensor import tensor
        >>> from blocks.utils import shared_floatx
        >>> x = tensor.vector('x')
        >>> calls = shared_floatx(0., name='calls')
        >>> function = ComputationGraph([x.sum()]).get_theano_function(
        ...     [(calls, calls + 1)])
        >>> [float(output) for output in function([1., 2.])]
        [3.0]
        >>> float(calls.get_value())
        1.0

        """
        updates = self.updates
        if additional_updates:
            updates = dict_union(updates, OrderedDict(additional_updates))
        return compile_function(self.inputs, self.outputs, updates=updates,
                                **kwargs)

    def get_snapshot(self, data):
        """Evaluate all role-carrying PyTensor variables on given data.

        Parameters
        ----------
        data : dict of (data source, data) pairs
            Data for input variables. The sources should match with the
            names of the input variables.

        Returns
        -------
        Dictionary of (variable, variable value on given data) pairs.

        Raises
        ------
        ValueError
            If `data` has no value for an input of the graph.

        Examples
        --------
        >>> from pytensor import tensor
        >>> from blocks.bricks import Tanh
        >>> x = tensor.vector('x')
        >>> cg = ComputationGraph(Tanh().apply(x))
        >>> snapshot = cg.get_snapshot({'x': [0., 0.]})
        >>> [(var.name, value.tolist()) for var, value in snapshot.items()]
        [('tanh_apply_input_', [0.0, 0.0]), ('tanh_apply_output', [0.0, 0.0])]

        """
        missing = [input_.name for input_ in self.inputs
                   if input_.name not in data]
        if missing:
            raise ValueError("get_snapshot needs data for the inputs {}, got "
                             "data for {}".format(missing, sorted(data)))
        role_variables = [var for var in self.variables
                          if hasattr(var.tag, "roles") and
                          not is_shared_variable(var)]
        # The graph's updates are performed, as by a call of the function
        # of get_theano_function.
        function = compile_function(self.inputs, role_variables,
                                    updates=self.updates,
                                    on_unused_input='ignore')
        values = function(*(data[input_.name] for input_ in self.inputs))
        return OrderedDict(zip(role_variables, values))

    def has_inputs(self, variable):
        """Check if a variable depends on input variables.

        Parameters
        ----------
        variable : :class:`~pytensor.graph.basic.Variable`
            A variable of this graph.

        Returns
        -------
        bool
            ``True`` if the given variable depends on input variables,
            ``False`` otherwise.

        Examples
        --------
        >>> from pytensor import tensor
        >>> from blocks.utils import shared_floatx
        >>> x, W = tensor.vector('x'), shared_floatx([1., 2.])
        >>> cg = ComputationGraph([x * W, 2 * W])
        >>> cg.has_inputs(cg.outputs[0]), cg.has_inputs(cg.outputs[1])
        (True, False)

        """
        # Iterative depth-first search: deep graphs (long unrolled
        # recurrences) would overflow Python's recursion limit.
        stack = [variable]
        while stack:
            current = stack[-1]
            if current in self._has_inputs:
                stack.pop()
                continue
            if is_graph_input(current):
                self._has_inputs[current] = True
                stack.pop()
                continue
            owner = getattr(current, 'owner', None)
            dependencies = owner.inputs if owner is not None else []
            pending = [dependency for dependency in dependencies
                       if dependency not in self._has_inputs]
            if pending:
                stack.extend(pending)
                continue
            self._has_inputs[current] = any(
                self._has_inputs[dependency] for dependency in dependencies)
            stack.pop()
        return self._has_inputs[variable]


def _step_graph(node):
    """The graph of the step of the Scan `node`, annotations included.

    A recurrent brick records the step it built with the op
    (:func:`~blocks.compile.pytensor_internals.record_step_graph`); its
    graph stops at the outer variables the step reads (those it read when
    built, and the node's inputs now, after a replacement). Other scans
    give the op's own inner graph.

    """
    recorded = recorded_step_graph(node.op)
    if recorded is None:
        return ComputationGraph(node.op.inner_outputs)
    outputs, outer_inputs = recorded
    return ComputationGraph._bounded(
        outputs, set(outer_inputs) | set(node.inputs))
