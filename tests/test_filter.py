"""Tests of VariableFilter and the annotation getters."""
import pytest
from pytensor import tensor

from blocks.bricks import Bias, Linear, Logistic, MLP, Rectifier
from blocks.bricks.base import application, Brick
from blocks.filter import (get_annotation, get_application_call, get_brick,
                           VariableFilter)
from blocks.graph import Annotation, ComputationGraph
from blocks.roles import (AUXILIARY, BIAS, FILTER, INPUT, OUTPUT, PARAMETER,
                          WEIGHT)
from tests.helpers import tutorial_mlp


class TwoOutputs(Brick):
    """A brick with two applications, one of them with two outputs."""
    @application(inputs=['x'], outputs=['sum', 'difference'])
    def apply(self, x):
        return x + 1, x - 1

    @application(inputs=['x'], outputs=['double'])
    def double(self, x):
        return 2 * x


def build_graph():
    brick1 = Linear(input_dim=2, output_dim=2, name='linear1')
    brick2 = Bias(2, name='bias1')
    activation = Logistic(name='sigm')

    x = tensor.vector()
    h1 = brick1.apply(x, call_id='brick1_call_id')
    h2 = activation.apply(h1, call_id='act')
    h2.name = "h2act"
    y = brick2.apply(h2)
    return brick1, brick2, activation, ComputationGraph(y), h1, h2


def test_variable_filter_roles():
    brick1, brick2, _, cg, _, _ = build_graph()
    parameters = [brick1.W, brick1.b, brick2.parameters[0]]
    bias = [brick1.b, brick2.parameters[0]]

    role_filter = VariableFilter(roles=[PARAMETER])
    assert set(parameters) == set(role_filter(cg.variables))
    assert len(role_filter(cg.variables)) == 3
    role_filter = VariableFilter(roles=[FILTER])
    assert [] == role_filter(cg.variables)

    # each_role
    role_filter = VariableFilter(roles=[PARAMETER, BIAS])
    assert set(parameters) == set(role_filter(cg.variables))
    role_filter = VariableFilter(roles=[PARAMETER, BIAS], each_role=True)
    assert set(bias) == set(role_filter(cg.variables))
    role_filter = VariableFilter(roles=[WEIGHT, BIAS], each_role=True)
    assert role_filter(cg.variables) == []


def test_variable_filter_keeps_order():
    brick1, _, _, cg, _, _ = build_graph()
    variables = cg.variables
    filtered = VariableFilter(roles=[PARAMETER])(variables)
    positions = [variables.index(var) for var in filtered]
    assert positions == sorted(positions)


def test_variable_filter_bricks():
    brick1, brick2, activation, cg, _, _ = build_graph()
    # by class
    brick_filter = VariableFilter(roles=[BIAS], bricks=[Linear])
    assert [brick1.b] == brick_filter(cg.variables)
    # by instance
    brick_filter = VariableFilter(roles=[BIAS], bricks=[brick1])
    assert [brick1.b] == brick_filter(cg.variables)
    # mixing both, and subclasses
    brick_filter = VariableFilter(roles=[BIAS], bricks=[brick2, Linear])
    assert set(brick_filter(cg.variables)) == {brick1.b,
                                               brick2.parameters[0]}
    assert VariableFilter(bricks=[Brick], roles=[PARAMETER])(
        cg.variables) == VariableFilter(roles=[PARAMETER])(cg.variables)
    # an empty list matches nothing
    assert VariableFilter(bricks=[])(cg.variables) == []
    outputs = VariableFilter(roles=[OUTPUT], bricks=[activation])(
        cg.variables)
    assert [var.name for var in outputs] == ['h2act']


def test_variable_filter_names():
    brick1, _, _, cg, _, h2 = build_graph()
    name_filter = VariableFilter(name='W_norm')
    W_norm, = name_filter(cg.variables)
    assert W_norm.tag.name == 'W_norm'
    assert VariableFilter(name_regex='W_no.?m')(cg.variables) == [W_norm]
    assert VariableFilter(name='output', bricks=[brick1])(cg.variables)[0] \
        .name == 'linear1_apply_output'
    # The Blocks name is tag.name, the PyTensor name is name
    assert VariableFilter(theano_name='h2act')(cg.variables) == [h2]
    assert VariableFilter(theano_name_regex='h2a.?t')(cg.variables) == [h2]
    assert VariableFilter(name='h2act')(cg.variables) == []
    # the regular expressions match at the start of the name
    assert VariableFilter(theano_name_regex='2act')(cg.variables) == []
    assert set(VariableFilter(name_regex='.*_norm')(cg.variables)) == set(
        VariableFilter(roles=[AUXILIARY])(cg.variables))


def test_variable_filter_applications():
    brick1, _, _, cg, h1, _ = build_graph()
    appli_filter = VariableFilter(applications=[brick1.apply])
    variables = appli_filter(cg.variables)
    assert len(variables) == 2
    assert h1 in variables
    assert [var.tag.name for var in variables] == ['input_', 'output']
    # An Application matches the calls of every brick of its class
    assert VariableFilter(applications=[Linear.apply])(cg.variables) == \
        variables
    assert VariableFilter(applications=[Linear(name='other').apply])(
        cg.variables) == []

    x = tensor.vector('x')
    two = TwoOutputs()
    summed, difference = two.apply(x)
    doubled = two.double(summed)
    two_cg = ComputationGraph([difference, doubled])
    outputs = VariableFilter(roles=[OUTPUT], bricks=[two])(two_cg.variables)
    assert set(outputs) == {summed, difference, doubled}
    outputs = VariableFilter(roles=[OUTPUT], applications=[two.apply])(
        two_cg.variables)
    assert set(outputs) == {summed, difference}
    outputs = VariableFilter(roles=[OUTPUT], applications=[TwoOutputs.double])(
        two_cg.variables)
    assert outputs == [doubled]


def test_variable_filter_call_id():
    brick1, _, activation, cg, h1, h2 = build_graph()
    call_id_filter = VariableFilter(call_id='brick1_call_id')
    assert [var.tag.name for var in call_id_filter(cg.variables)] == \
        ['input_', 'output']
    assert h1 in call_id_filter(cg.variables)
    call_id_filter = VariableFilter(call_id='act', roles=[OUTPUT])
    assert call_id_filter(cg.variables) == [h2]
    assert VariableFilter(call_id='nothing')(cg.variables) == []


def test_variable_filter_argument_errors():
    with pytest.raises(TypeError, match="bricks must be a list of Brick "
                                        "instances or Brick subclasses, "
                                        "got 'linear' in it"):
        VariableFilter(bricks=['linear'])
    with pytest.raises(TypeError, match="bricks must be a list of .*, got "
                                        "<class 'str'>"):
        VariableFilter(bricks=str)
    with pytest.raises(TypeError, match="applications must be a list of "
                                        "Applications or BoundApplications"
                                        ".*got 3 in it"):
        VariableFilter(applications=[3])
    with pytest.raises(TypeError, match="roles must be a list of "
                                        "VariableRole instances.*got "
                                        "'WEIGHT' in it"):
        VariableFilter(roles=['WEIGHT'])
    with pytest.raises(TypeError, match="roles must be a list of .*got "
                                        "WEIGHT$"):
        VariableFilter(roles=WEIGHT)
    with pytest.raises(TypeError, match="name_regex must be a string, got 1"):
        VariableFilter(name_regex=1)


def test_variable_filter_repr():
    assert repr(VariableFilter(roles=[WEIGHT], name='W')) == \
        "VariableFilter(roles=[WEIGHT], name='W')"


def test_getters():
    brick1, _, _, cg, h1, _ = build_graph()
    assert get_brick(h1) is brick1
    assert get_brick(brick1.W) is brick1
    call = get_application_call(h1)
    assert call.application is brick1.apply
    assert call.metadata['call_id'] == 'brick1_call_id'
    assert get_application_call(brick1.W) is None
    x = tensor.vector()
    assert get_brick(x) is None and get_application_call(x) is None
    assert get_annotation(h1, Annotation) in (brick1, call)


def test_introduction_tutorial_regularization():
    input_to_hidden, hidden_to_output, _, _, cost = tutorial_mlp()
    cg = ComputationGraph(cost)
    W1, W2 = VariableFilter(roles=[WEIGHT])(cg.variables)
    assert W1 is input_to_hidden.W and W2 is hidden_to_output.W
    cost = cost + 0.005 * (W1 ** 2).sum() + 0.005 * (W2 ** 2).sum()
    cost.name = 'cost_with_regularization'
    assert set(ComputationGraph(cost).parameters) == {
        input_to_hidden.W, input_to_hidden.b, hidden_to_output.W,
        hidden_to_output.b}


def test_tutorial_filters_on_an_mlp():
    x = tensor.matrix('features')
    mlp = MLP(activations=[Rectifier()] * 2 + [Logistic()],
              dims=[784, 256, 128, 784])
    cg = ComputationGraph(mlp.apply(x))
    assert VariableFilter(roles=[WEIGHT])(cg.variables) == \
        [linear.W for linear in mlp.linear_transformations]
    second_layer = mlp.linear_transformations[1]
    assert VariableFilter(roles=[PARAMETER], bricks=[second_layer])(
        cg.variables) == [second_layer.b, second_layer.W]
    inputs = VariableFilter(roles=[INPUT], bricks=[second_layer])(
        cg.variables)
    assert [var.name for var in inputs] == ['linear_1_apply_input_']
