"""Roles: the hierarchy, add_role's specificity rules, has_roles, pickling."""
import pickle

import pytest
from pytensor import tensor

from blocks import roles
from blocks.roles import (add_role, has_roles, VariableRole,
                          ALGORITHM_BUFFER, ALGORITHM_HYPERPARAMETER,
                          AUXILIARY, BATCH_NORM_POPULATION_MEAN,
                          BATCH_NORM_SHIFT_PARAMETER, BIAS, COLLECTOR, COST,
                          DROPOUT, FILTER, INITIAL_STATE, INPUT, OUTPUT,
                          PARAMETER, PERSISTENT, WEIGHT)


def test_add_role_to_a_fresh_variable():
    x = tensor.vector()
    add_role(x, INPUT)
    assert x.tag.roles == [INPUT]


def test_more_specific_role_replaces_the_general_one():
    W = tensor.matrix()
    add_role(W, PARAMETER)
    add_role(W, WEIGHT)
    assert W.tag.roles == [WEIGHT]
    add_role(W, FILTER)
    assert W.tag.roles == [FILTER]


def test_general_role_is_not_added_over_a_specific_one():
    W = tensor.matrix()
    add_role(W, FILTER)
    add_role(W, WEIGHT)
    add_role(W, PARAMETER)
    assert W.tag.roles == [FILTER]


def test_unrelated_roles_accumulate():
    x = tensor.vector()
    add_role(x, OUTPUT)
    add_role(x, COST)
    add_role(x, AUXILIARY)
    assert x.tag.roles == [OUTPUT, COST, AUXILIARY]


def test_adding_a_role_twice_keeps_one():
    x = tensor.vector()
    add_role(x, BIAS)
    add_role(x, BIAS)
    assert x.tag.roles == [BIAS]


def test_sibling_roles_coexist():
    x = tensor.vector()
    add_role(x, WEIGHT)
    add_role(x, BIAS)
    assert x.tag.roles == [WEIGHT, BIAS]


def test_add_role_needs_a_role():
    with pytest.raises(TypeError, match="role must be a VariableRole "
                                        "instance.*got 'weight'"):
        add_role(tensor.vector(), 'weight')
    with pytest.raises(TypeError, match="VariableRole instance"):
        add_role(tensor.vector(), roles.WeightRole)


def test_has_roles_takes_subroles_into_account():
    W = tensor.matrix()
    add_role(W, WEIGHT)
    assert has_roles(W, [PARAMETER])
    assert has_roles(W, [PERSISTENT])
    assert has_roles(W, [WEIGHT])
    assert not has_roles(W, [FILTER])
    assert not has_roles(W, [BIAS])
    assert not has_roles(tensor.matrix(), [PARAMETER])


def test_has_roles_any_and_all():
    x = tensor.vector()
    add_role(x, BIAS)
    add_role(x, AUXILIARY)
    assert has_roles(x, [WEIGHT, BIAS])
    assert not has_roles(x, [WEIGHT, BIAS], match_all=True)
    assert has_roles(x, [PARAMETER, AUXILIARY], match_all=True)
    assert not has_roles(x, [])
    assert has_roles(x, [], match_all=True)


def test_role_hierarchy():
    assert isinstance(WEIGHT, type(PARAMETER))
    assert isinstance(BIAS, type(PARAMETER))
    assert isinstance(FILTER, type(WEIGHT))
    assert isinstance(INITIAL_STATE, type(PARAMETER))
    assert isinstance(PARAMETER, type(PERSISTENT))
    assert isinstance(COLLECTOR, type(PARAMETER))
    assert isinstance(BATCH_NORM_SHIFT_PARAMETER, type(BIAS))
    assert isinstance(BATCH_NORM_POPULATION_MEAN, type(PERSISTENT))
    assert not isinstance(BATCH_NORM_POPULATION_MEAN, type(PARAMETER))
    assert not isinstance(ALGORITHM_BUFFER, type(PARAMETER))
    assert not isinstance(DROPOUT, type(PARAMETER))


@pytest.mark.parametrize('role, name', [
    (INPUT, 'INPUT'), (WEIGHT, 'WEIGHT'), (INITIAL_STATE, 'INITIAL_STATE'),
    (ALGORITHM_HYPERPARAMETER, 'ALGORITHM_HYPERPARAMETER'),
    (BATCH_NORM_POPULATION_MEAN, 'BATCH_NORM_POPULATION_MEAN')])
def test_role_names(role, name):
    assert repr(role) == name
    assert str(role) == name
    assert getattr(roles, name) is role


def test_every_exported_role_is_named_after_its_constant():
    for name in roles.__all__:
        value = getattr(roles, name)
        if isinstance(value, VariableRole):
            assert repr(value) == name


def test_roles_compare_by_class():
    assert WEIGHT == roles.WeightRole()
    assert WEIGHT != PARAMETER
    assert hash(WEIGHT) == hash(roles.WeightRole())
    assert len({WEIGHT, roles.WeightRole(), BIAS}) == 2


def test_roles_pickle_as_the_same_object():
    for role in [INPUT, WEIGHT, FILTER, ALGORITHM_BUFFER, COST]:
        assert pickle.loads(pickle.dumps(role)) is role


def test_roles_survive_pickling_a_variable():
    W = tensor.matrix('W')
    add_role(W, WEIGHT)
    clone = pickle.loads(pickle.dumps(W))
    assert clone.tag.roles[0] is WEIGHT
    assert has_roles(clone, [PARAMETER])
