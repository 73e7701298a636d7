"""Roles of variables in the computation graph.

All roles are implemented as subclasses of :class:`VariableRole`; the roles
themselves are their singleton instances (``WEIGHT``, ``BIAS``, ...). A
subclass is a more specific role: :data:`WEIGHT` is a :data:`PARAMETER`, so
a filter on ``PARAMETER`` also finds weights.

"""
import re

__all__ = ['add_role', 'has_roles', 'VariableRole',
           'INPUT', 'OUTPUT', 'COST', 'AUXILIARY', 'PERSISTENT', 'PARAMETER',
           'WEIGHT', 'BIAS', 'FILTER', 'INITIAL_STATE', 'DROPOUT',
           'COLLECTED', 'COLLECTOR', 'ALGORITHM_HYPERPARAMETER',
           'ALGORITHM_BUFFER', 'BATCH_NORM_POPULATION_STATISTICS',
           'BATCH_NORM_POPULATION_MEAN', 'BATCH_NORM_POPULATION_STDEV',
           'BATCH_NORM_GRAPH_VARIABLE', 'BATCH_NORM_OFFSET', 'BATCH_NORM_DIVISOR',
           'BATCH_NORM_MINIBATCH_ESTIMATE', 'BATCH_NORM_SHIFT_PARAMETER',
           'BATCH_NORM_SCALE_PARAMETER']


def add_role(var, role):
    """Add a role to a given variable.

    Parameters
    ----------
    var : :class:`~pytensor.tensor.TensorVariable`
        The variable to assign the new role to.
    role : :class:`.VariableRole` instance

    Notes
    -----
    Some roles are subroles of others (e.g. :const:`WEIGHT` is a subrole
    of :const:`PARAMETER`). This function will not add a role if a more
    specific role has already been added. If you need to replace a role
    with a parent role (e.g. replace :const:`WEIGHT` with
    :const:`PARAMETER`) you must do so manually.

    Examples
    --------
    >>> from pytensor import tensor
    >>> W = tensor.matrix()
    >>> from blocks.roles import PARAMETER, WEIGHT
    >>> add_role(W, PARAMETER)
    >>> print(*W.tag.roles)
    PARAMETER
    >>> add_role(W, WEIGHT)
    >>> print(*W.tag.roles)
    WEIGHT
    >>> add_role(W, PARAMETER)
    >>> print(*W.tag.roles)
    WEIGHT

    """
    if not isinstance(role, VariableRole):
        raise TypeError("role must be a VariableRole instance such as "
                        "blocks.roles.WEIGHT, got {!r}".format(role))
    roles = [old_role for old_role in getattr(var.tag, 'roles', [])
             if not isinstance(role, old_role.__class__)]
    if not any(isinstance(old_role, role.__class__) for old_role in roles):
        roles.append(role)
    var.tag.roles = roles


def has_roles(var, roles, match_all=False):
    """Test if a variable has given roles taking subroles into account.

    Parameters
    ----------
    var : :class:`~pytensor.graph.basic.Variable`
        Variable being queried.
    roles : an iterable of :class:`.VariableRole` instances.
    match_all : bool, optional
        If ``True``, checks if the variable has all given roles.
        If ``False``, any of the roles is sufficient.
        ``False`` by default.

    Examples
    --------
    >>> from pytensor import tensor
    >>> W = tensor.matrix()
    >>> add_role(W, WEIGHT)
    >>> has_roles(W, [PARAMETER]), has_roles(W, [BIAS])
    (True, False)
    >>> has_roles(W, [PARAMETER, BIAS], match_all=True)
    False

    """
    var_roles = getattr(var.tag, 'roles', [])

    def has_role(role):
        return any(isinstance(var_role, role.__class__)
                   for var_role in var_roles)
    return all(map(has_role, roles)) if match_all else any(map(has_role, roles))


class VariableRole:
    """Base class for all variable roles.

    A role's name is its class name without the ``Role`` suffix, in upper
    case with underscores (``InitialStateRole`` is ``INITIAL_STATE``). Roles
    compare equal by class and pickle by reference to their module-level
    instance.

    """
    def __eq__(self, other):
        return self.__class__ == other.__class__

    def __hash__(self):
        return hash(self.__class__)

    def __repr__(self):
        name = re.sub(r'Role$', '', self.__class__.__name__)
        return re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', name).upper()

    def __reduce__(self):
        return repr(self)


class InputRole(VariableRole):
    """The input of a brick."""


#: The input of a :class:`~.bricks.Brick`
INPUT = InputRole()


class OutputRole(VariableRole):
    """The output of a brick."""


#: The output of a :class:`~.bricks.Brick`
OUTPUT = OutputRole()


class CostRole(VariableRole):
    """A scalar cost."""


#: A scalar cost that can be used to train or regularize
COST = CostRole()


class PersistentRole(VariableRole):
    """A shared variable whose value persists across calls."""


#: Variables that are shared between function calls, e.g. parameters
PERSISTENT = PersistentRole()


class ParameterRole(PersistentRole):
    """A parameter of the model."""


#: A parameter of the model
PARAMETER = ParameterRole()


class AuxiliaryRole(VariableRole):
    """A variable added to the graph as an annotation."""


#: Variables added to the graph as annotations
AUXILIARY = AuxiliaryRole()


class WeightRole(ParameterRole):
    """A weight matrix."""


#: The weight matrices of linear transformations
WEIGHT = WeightRole()


class BiasRole(ParameterRole):
    """A bias vector."""


#: Biases of linear transformations
BIAS = BiasRole()


class InitialStateRole(ParameterRole):
    """A learned initial state of a recurrent network."""


#: Initial state of a recurrent network
INITIAL_STATE = InitialStateRole()


class FilterRole(WeightRole):
    """The filters of a convolution."""


#: The filters (kernels) of a convolution operation
FILTER = FilterRole()


class DropoutRole(VariableRole):
    """An input on which dropout was applied."""


#: Inputs with applied dropout
DROPOUT = DropoutRole()


class CollectedRole(VariableRole):
    """A parameter collected into a shared vector by collect_parameters."""


#: The replacement of a variable collected into a single shared variable
COLLECTED = CollectedRole()


class CollectorRole(ParameterRole):
    """A shared variable holding several collected parameters."""


#: A variable that collects other variables
COLLECTOR = CollectorRole()


class AlgorithmStateRole(VariableRole):
    """State of a training algorithm."""


#: Variables that are parameters of a training algorithm
ALGORITHM_STATE = AlgorithmStateRole()


class AlgorithmHyperparameterRole(AlgorithmStateRole):
    """A hyperparameter of a training algorithm (a learning rate, ...)."""


#: Hyperparameters of training algorithms, e.g. learning rate
ALGORITHM_HYPERPARAMETER = AlgorithmHyperparameterRole()


class AlgorithmBufferRole(AlgorithmStateRole):
    """A buffer of a training algorithm (a velocity, a moment, ...)."""


#: Buffers of training algorithms, e.g. momentum velocities
ALGORITHM_BUFFER = AlgorithmBufferRole()


class BatchNormPopulationStatisticsRole(PersistentRole):
    """A population statistic of batch normalization."""


#: Statistics of an activation population for batch normalization
BATCH_NORM_POPULATION_STATISTICS = BatchNormPopulationStatisticsRole()


class BatchNormPopulationMeanRole(BatchNormPopulationStatisticsRole):
    """The population mean of batch normalization."""


#: Mean of activations, for batch normalization
BATCH_NORM_POPULATION_MEAN = BatchNormPopulationMeanRole()


class BatchNormPopulationStdevRole(BatchNormPopulationStatisticsRole):
    """The population standard deviation of batch normalization."""


#: Standard deviation of activations, for batch normalization
BATCH_NORM_POPULATION_STDEV = BatchNormPopulationStdevRole()


class BatchNormGraphVariableRole(VariableRole):
    """A variable of the batch-normalized graph."""


#: A variable taking part in batch normalization in the graph
BATCH_NORM_GRAPH_VARIABLE = BatchNormGraphVariableRole()


class BatchNormOffsetRole(BatchNormGraphVariableRole):
    """The offset subtracted from activations (a mean)."""


#: A variable that is subtracted from activations to normalize them
BATCH_NORM_OFFSET = BatchNormOffsetRole()


class BatchNormDivisorRole(BatchNormGraphVariableRole):
    """The divisor of activations (a standard deviation)."""


#: A variable by which activations are divided to normalize them
BATCH_NORM_DIVISOR = BatchNormDivisorRole()


class BatchNormMinibatchEstimateRole(BatchNormGraphVariableRole):
    """A statistic estimated on the current minibatch."""


#: A minibatch estimate of a population statistic
BATCH_NORM_MINIBATCH_ESTIMATE = BatchNormMinibatchEstimateRole()


class BatchNormScaleParameterRole(ParameterRole):
    """The learned scale of batch normalization (gamma)."""


#: Scale parameter of batch normalization
BATCH_NORM_SCALE_PARAMETER = BatchNormScaleParameterRole()


class BatchNormShiftParameterRole(BiasRole):
    """The learned shift of batch normalization (beta)."""


#: Shift parameter of batch normalization
BATCH_NORM_SHIFT_PARAMETER = BatchNormShiftParameterRole()
