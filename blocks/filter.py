"""Filtering the variables of an annotated graph: :class:`VariableFilter`.

Bricks annotate the variables they create (their roles, the brick, the
application call); a :class:`VariableFilter` selects variables from a list
(usually :attr:`.ComputationGraph.variables`) by these annotations.

"""
import re
from inspect import isclass

from blocks.bricks.base import (Application, ApplicationCall, Brick,
                                BoundApplication)
from blocks.roles import has_roles, VariableRole

__all__ = ['get_annotation', 'get_brick', 'get_application_call',
           'get_parameter_path', 'VariableFilter']


def get_annotation(var, cls):
    """A helper function to retrieve an annotation of a particular type.

    Parameters
    ----------
    var : :class:`~pytensor.graph.basic.Variable`
        The annotated variable.
    cls : type
        The class of the annotation looked for.

    Returns
    -------
    The first annotation of `var` that is an instance of `cls`, or
    ``None`` when there is none.

    Notes
    -----
    This function returns the first annotation of a particular type. If
    there are multiple--there shouldn't be--it will ignore them.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.graph import add_annotation, Annotation
    >>> x = tensor.vector('x')
    >>> annotation = Annotation()
    >>> add_annotation(x, annotation)
    >>> get_annotation(x, Annotation) is annotation
    True
    >>> get_annotation(x, Brick) is None
    True

    """
    for annotation in getattr(var.tag, 'annotations', []):
        if isinstance(annotation, cls):
            return annotation
    return None


def get_brick(var):
    """Retrieves the brick that created this variable.

    See :func:`get_annotation`.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.bricks import Tanh
    >>> tanh = Tanh()
    >>> get_brick(tanh.apply(tensor.vector())) is tanh
    True

    """
    return get_annotation(var, Brick)


def get_parameter_path(parameter):
    """Return the hierarchical name of a parameter (``/mlp/linear_0.W``).

    A parameter that no brick owns is named by its own name. These are the
    keys of :meth:`.Model.get_parameter_dict` and of checkpoints.

    Examples
    --------
    >>> from blocks.bricks import MLP, Tanh
    >>> mlp = MLP([Tanh(), None], [3, 4, 2])
    >>> mlp.allocate()
    >>> get_parameter_path(mlp.linear_transformations[1].W)
    '/mlp/linear_1.W'

    """
    brick = get_brick(parameter)
    if brick is not None:
        return brick.get_hierarchical_name(parameter)
    return str(parameter.name)


def get_application_call(var):
    """Retrieves the application call that created this variable.

    See :func:`get_annotation`.

    Examples
    --------
    >>> from pytensor import tensor
    >>> from blocks.bricks import Tanh
    >>> tanh = Tanh()
    >>> call = get_application_call(tanh.apply(tensor.vector()))
    >>> call.application is tanh.apply
    True

    """
    return get_annotation(var, ApplicationCall)


def _check_list(argument, value, kinds, description):
    """Check that `value` is ``None`` or a list or tuple of `kinds`."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError("{} must be a list of {}, got {!r}".format(
            argument, description, value))
    wrong = [item for item in value if not kinds(item)]
    if wrong:
        raise TypeError("{} must be a list of {}, got {!r} in it".format(
            argument, description, wrong[0]))
    return list(value)


def _is_brick(brick):
    return isinstance(brick, Brick) or (isclass(brick) and
                                        issubclass(brick, Brick))


def _is_application(application):
    return isinstance(application, (Application, BoundApplication))


def _is_role(role):
    return isinstance(role, VariableRole)


class VariableFilter:
    """Filters PyTensor variables based on a range of criteria.

    Parameters
    ----------
    roles : list of :class:`.VariableRole` instances, optional
        Matches any variable which has one of the roles given (or a
        subrole of it: :const:`.PARAMETER` matches weights and biases).
    bricks : list of :class:`~.bricks.Brick` classes or list of
             instances of :class:`~.bricks.Brick`, optional
        Matches any variable that is instance of any of the given classes
        or that is owned by any of the given brick instances.
    each_role : bool, optional
        If ``True``, the variable needs to have all given roles.  If
        ``False``, a variable matching any of the roles given will be
        returned. ``False`` by default.
    name : str, optional
        The variable name. The Blocks name (i.e.
        ``x.tag.name``) is used.
    name_regex : str, optional
        A regular expression for the variable name. The Blocks name (i.e.
        ``x.tag.name``) is used.
    theano_name : str, optional
        The variable name. The PyTensor name (i.e.
        ``x.name``) is used.
    theano_name_regex : str, optional
        A regular expression for the variable name. The PyTensor name (i.e.
        ``x.name``) is used.
    call_id : str, optional
        The call identifier as written in :class:`.ApplicationCall`
        metadata attribute (an application called with
        ``call_id='...'``).
    applications : list of :class:`.Application`
        or :class:`.BoundApplication`, optional
        Matches a variable that was produced by any of the applications
        given. An :class:`.Application` (``Linear.apply``) matches the
        calls of every brick of its class, a :class:`.BoundApplication`
        (``linear.apply``) only those of its brick.

    Notes
    -----
    Note that only auxiliary variables, parameters, inputs and outputs are
    tagged with the brick that created them. Other PyTensor variables that
    were created in the process of applying a brick will be filtered out.

    Note that technically speaking, bricks are able to have non-shared
    variables as parameters. For example, we can use the transpose of
    another weight matrix as the parameter of a particular brick. This
    means that in some unusual cases, filtering by the :const:`.PARAMETER`
    role alone will not be enough to retrieve all trainable parameters in
    your model; you will need to filter out the shared variables from these
    (using e.g. :func:`~blocks.utils.is_shared_variable`).

    The regular expressions are matched at the start of the name
    (:func:`re.match`), as in Blocks.

    Examples
    --------
    >>> from blocks.bricks import MLP, Linear, Logistic, Identity
    >>> from blocks.roles import BIAS
    >>> mlp = MLP(activations=[Identity(), Logistic()], dims=[20, 10, 20])
    >>> from pytensor import tensor
    >>> x = tensor.matrix()
    >>> y_hat = mlp.apply(x)
    >>> from blocks.graph import ComputationGraph
    >>> cg = ComputationGraph(y_hat)
    >>> from blocks.filter import VariableFilter
    >>> var_filter = VariableFilter(roles=[BIAS],
    ...                             bricks=[mlp.linear_transformations[0]])
    >>> var_filter(cg.variables)
    [b]

    """
    def __init__(self, roles=None, bricks=None, each_role=False, name=None,
                 name_regex=None, theano_name=None, theano_name_regex=None,
                 call_id=None, applications=None):
        self.roles = _check_list(
            'roles', roles, _is_role,
            'VariableRole instances (blocks.roles.WEIGHT, ...)')
        self.bricks = _check_list('bricks', bricks, _is_brick,
                                  'Brick instances or Brick subclasses')
        self.applications = _check_list(
            'applications', applications, _is_application,
            'Applications or BoundApplications (Linear.apply or '
            'linear.apply)')
        for argument, value in [('name', name), ('name_regex', name_regex),
                                ('theano_name', theano_name),
                                ('theano_name_regex', theano_name_regex)]:
            if value is not None and not isinstance(value, str):
                raise TypeError("{} must be a string, got {!r}".format(
                    argument, value))
        self.each_role = each_role
        self.name = name
        self.name_regex = name_regex
        self.theano_name = theano_name
        self.theano_name_regex = theano_name_regex
        self.call_id = call_id

    def __repr__(self):
        criteria = ['{}={!r}'.format(key, value) for key, value in [
            ('roles', self.roles), ('bricks', self.bricks),
            ('each_role', self.each_role or None), ('name', self.name),
            ('name_regex', self.name_regex),
            ('theano_name', self.theano_name),
            ('theano_name_regex', self.theano_name_regex),
            ('call_id', self.call_id), ('applications', self.applications)]
            if value is not None]
        return 'VariableFilter({})'.format(', '.join(criteria))

    def _matches_brick(self, var):
        var_brick = get_brick(var)
        if var_brick is None:
            return False
        for brick in self.bricks:
            if isclass(brick):
                if isinstance(var_brick, brick):
                    return True
            elif var_brick is brick:
                return True
        return False

    def _matches_application(self, var):
        call = get_application_call(var)
        if call is None:
            return False
        bound = call.application
        return any(application is bound or
                   application is bound.application
                   for application in self.applications)

    def __call__(self, variables):
        """Filter the given variables.

        Parameters
        ----------
        variables : list of :class:`~pytensor.tensor.TensorVariable`

        Returns
        -------
        list
            The variables that match every criterion given, in their
            original order.

        """
        variables = list(variables)
        if self.roles:
            variables = [var for var in variables
                         if has_roles(var, self.roles, self.each_role)]
        if self.bricks is not None:
            variables = [var for var in variables if self._matches_brick(var)]
        if self.name:
            variables = [var for var in variables
                         if getattr(var.tag, 'name', None) == self.name]
        if self.name_regex:
            variables = [var for var in variables
                         if getattr(var.tag, 'name', None) is not None and
                         re.match(self.name_regex, var.tag.name)]
        if self.theano_name:
            variables = [var for var in variables
                         if var.name is not None and
                         var.name == self.theano_name]
        if self.theano_name_regex:
            variables = [var for var in variables
                         if var.name is not None and
                         re.match(self.theano_name_regex, var.name)]
        if self.call_id:
            variables = [
                var for var in variables
                if get_application_call(var) is not None and
                get_application_call(var).metadata.get('call_id') ==
                self.call_id]
        if self.applications:
            variables = [var for var in variables
                         if self._matches_application(var)]
        return variables
