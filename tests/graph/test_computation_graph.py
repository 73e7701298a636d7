"""Tests of ComputationGraph: variables, annotations, updates, replace."""
import warnings
from collections import OrderedDict

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import Identity, Linear, MLP, Tanh
from blocks.bricks.base import application, Brick
from blocks.filter import VariableFilter
from blocks.graph import add_annotation, Annotation, ComputationGraph
from blocks.initialization import Constant
from blocks.roles import add_role, AUXILIARY, COST, WEIGHT
from blocks.utils import resolve_mode, shared_floatx, shared_floatx_zeros
from blocks.compile.compilation import pytensor_mode

floatX = pytensor.config.floatX


class AuxiliaryBrick(Brick):
    """Adds a brick-level and a call-level auxiliary variable."""
    def _allocate(self):
        self.add_auxiliary_variable(shared_floatx([1., 2.]).sum(),
                                    name='brick_aux')

    @application(inputs=['x'], outputs=['y'])
    def apply(self, x, application_call):
        application_call.add_auxiliary_variable(x.mean(), roles=[COST],
                                                name='test_val')
        return x + 1


class CountingBrick(Brick):
    """Counts its calls with an update attached to the application call."""
    def _allocate(self):
        self.counter = shared_floatx(0., name='counter')

    @application(inputs=['x'], outputs=['y'])
    def apply(self, x, application_call):
        application_call.updates[self.counter] = self.counter + 1
        return 2 * x


def test_outputs_must_be_variables():
    with pytest.raises(TypeError, match="must be PyTensor variables, got"):
        ComputationGraph([tensor.vector(), 3])


def test_computation_graph():
    x = tensor.matrix('x')
    y = tensor.matrix('y')
    z = x + y
    z.name = 'z'
    a = z.copy()
    a.name = 'a'
    b = z.copy()
    b.name = 'b'
    r = tensor.matrix('r')

    cg = ComputationGraph([a, b])
    assert set(cg.inputs) == {x, y}
    assert set(cg.outputs) == {a, b}
    assert set(cg.variables) == {x, y, z, a, b}
    assert cg.variables[2] is z
    assert ComputationGraph(a).inputs == cg.inputs
    assert list(cg) == cg.variables
    assert cg.intermediary_variables == [z]

    cg2 = cg.replace({z: r})
    assert set(cg2.inputs) == {r}
    assert set([v.name for v in cg2.outputs]) == {'a', 'b'}

    W = pytensor.shared(numpy.zeros((3, 3), dtype=floatX))
    cg3 = ComputationGraph([z + W])
    assert set(cg3.shared_variables) == {W}

    cg4 = ComputationGraph([W])
    assert cg4.variables == [W]

    w1 = W ** 2
    cg5 = ComputationGraph([w1])
    assert W in cg5.variables
    assert w1 in cg5.variables


def test_single_output_is_wrapped():
    x = tensor.vector('x')
    y = 2 * x
    assert ComputationGraph(y).outputs == [y]


def test_variables_have_no_duplicates():
    x, y = tensor.matrix('x'), tensor.matrix('y')
    w = x + y
    z = tensor.exp(w)
    cg = ComputationGraph([z, w])
    assert len(set(cg.variables)) == len(cg.variables)


def test_variables_follow_the_layers():
    x = tensor.matrix('x')
    mlp = MLP([Tanh(), Tanh(), Tanh()], [3, 4, 5, 2])
    cg = ComputationGraph(mlp.apply(x))
    weights = VariableFilter(roles=[WEIGHT])(cg.variables)
    assert weights == [linear.W for linear in mlp.linear_transformations]
    assert cg.parameters.index(mlp.linear_transformations[0].W) < \
        cg.parameters.index(mlp.linear_transformations[2].W)
    assert set(cg.parameters) == set(
        parameter for linear in mlp.linear_transformations
        for parameter in linear.parameters)


def test_auxiliary_variables_of_bricks_and_calls():
    x = tensor.vector('x')
    brick = AuxiliaryBrick()
    y = brick.apply(x)
    cg = ComputationGraph([y])
    names = [var.tag.name for var in cg.auxiliary_variables]
    assert sorted(names) == ['brick_aux', 'test_val']
    test_val, = VariableFilter(roles=[COST])(cg.variables)
    assert test_val.name == 'auxiliarybrick_apply_test_val'
    values = [var.eval({x: numpy.array([1., 3.], dtype=floatX)})
              if var.tag.name == 'test_val' else var.eval()
              for var in cg.auxiliary_variables]
    assert sorted(float(value) for value in values) == [2.0, 3.0]


def test_manual_annotation():
    x = tensor.vector('x')
    annotation = Annotation()
    annotation.add_auxiliary_variable(x + 1, name='x_plus_1')
    add_annotation(x, annotation)
    add_annotation(x, annotation)
    assert x.tag.annotations == [annotation]
    cg = ComputationGraph([x ** 2])
    assert [var.name for var in cg.auxiliary_variables] == ['x_plus_1']


def test_updates_of_application_calls_and_annotations():
    x = tensor.vector('x')
    brick = CountingBrick()
    y = brick.apply(x)
    extra = shared_floatx(10., name='extra')
    annotation = Annotation()
    annotation.updates[extra] = extra * 2
    add_annotation(y, annotation)
    cg = ComputationGraph([y])
    assert list(cg.updates) == [brick.counter, extra]
    function = cg.get_theano_function()
    value = numpy.array([1., 2.], dtype=floatX)
    for _ in range(3):
        assert_allclose(function(value)[0], [2., 4.])
    assert float(brick.counter.get_value()) == 3.
    assert float(extra.get_value()) == 80.


def test_get_theano_function_additional_updates_and_mode():
    x = tensor.vector('x')
    total = shared_floatx(0., name='total')
    cg = ComputationGraph([x.sum()])
    function = cg.get_theano_function([(total, total + x.sum())],
                                      mode='FAST_COMPILE')
    function(numpy.array([1., 2.], dtype=floatX))
    function(numpy.array([3.], dtype=floatX))
    assert float(total.get_value()) == 6.


def test_get_theano_function_uses_compile_mode(monkeypatch):
    modes = []
    import blocks.compile.compilation as compilation
    original = compilation.pytensor.function

    def recording_function(*args, **kwargs):
        modes.append(kwargs.get('mode'))
        return original(*args, **kwargs)

    monkeypatch.setattr(compilation.pytensor, 'function', recording_function)
    x = tensor.vector('x')
    ComputationGraph([2 * x]).get_theano_function()
    assert modes == [pytensor_mode(resolve_mode())]


def test_replace():
    x = tensor.scalar()
    y = x + 1
    cg = ComputationGraph([y])
    doubled_cg = cg.replace([(y, 2 * y)])
    out_val = doubled_cg.outputs[0].eval({x: 2})
    assert out_val == 6.0
    assert cg.outputs == [y]


def test_replace_dependent_variables():
    x = tensor.scalar('x')
    y = x + 2
    z = y + 3
    a = z + 5
    cg = ComputationGraph([a])
    # z depends on y: both replacements are applied, in topological order
    cg_new = cg.replace({z: y * 3, y: x * 2})
    assert float(cg_new.outputs[0].eval({x: 3.})) == (3 * 2) * 3 + 5
    assert float(cg.outputs[0].eval({x: 3.})) == 3 + 2 + 3 + 5
    assert cg_new.inputs == [x]


def test_replace_keeps_annotations():
    x = tensor.matrix('x')
    mlp = MLP([Identity(), Identity()], [2, 3, 2],
              weights_init=Constant(1.), biases_init=Constant(0.))
    mlp.initialize()
    hidden = mlp.linear_transformations[0].apply(x)
    cg = ComputationGraph(mlp.linear_transformations[1].apply(hidden))
    new_cg = cg.replace({hidden: 2 * hidden})
    assert VariableFilter(roles=[WEIGHT])(new_cg.variables) == \
        [linear.W for linear in mlp.linear_transformations]
    value = numpy.ones((1, 2), dtype=floatX)
    assert new_cg.outputs[0].eval({x: value}).tolist() == [[12., 12.]]


def test_replace_variable_not_in_graph():
    x = tensor.scalar()
    y = x + 1
    z = tensor.scalar()
    cg = ComputationGraph([y])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        cg.replace([(y, 2 * y), (z, 2 * z)])
    assert len(w) == 1
    assert "not a part of" in str(w[-1].message)


def test_replace_variable_is_auxiliary():
    x = tensor.scalar()
    y = x + 1
    add_role(y, AUXILIARY)
    cg = ComputationGraph([y])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        cg.replace([(y, 2 * y)])
    assert len(w) == 1
    assert "auxiliary" in str(w[-1].message)


def test_scan_variables():
    x = tensor.matrix('x')
    s = pytensor.scan(lambda inp, accum: accum + inp, sequences=x,
                      outputs_info=tensor.zeros_like(x[0]),
                      return_updates=False)
    scan = s.owner.inputs[0].owner.op
    cg = ComputationGraph(s)
    assert cg.scans == [scan]
    assert all(v in cg.scan_variables
               for v in scan.inner_inputs + scan.inner_outputs)
    assert not set(cg.scan_variables) & set(cg.variables)


def test_similar_scans_are_distinct():
    x = tensor.matrix('x')

    def cumulative(seq):
        return pytensor.scan(lambda inp, accum: accum + inp, sequences=seq,
                             outputs_info=tensor.zeros_like(seq[0]),
                             return_updates=False)
    cg = ComputationGraph([cumulative(x), cumulative(2 * x)])
    assert len(cg.scans) == 2


def test_scan_with_bricks_inside():
    x = tensor.matrix('x')
    linear = Linear(2, 2, weights_init=Constant(1.), biases_init=Constant(0.))
    linear.initialize()
    outputs = pytensor.scan(lambda row: linear.apply(row), sequences=x,
                            return_updates=False)
    cg = ComputationGraph(outputs)
    assert linear.W in cg.scan_variables + cg.variables


def test_get_snapshot():
    x = tensor.matrix('x')
    mlp = MLP([Identity(), Identity()], [10, 10, 10],
              weights_init=Constant(1), biases_init=Constant(2))
    mlp.initialize()
    y = mlp.apply(x)
    cg = ComputationGraph(y)
    snapshot = cg.get_snapshot(dict(x=numpy.zeros((1, 10), dtype=floatX)))
    assert len(snapshot) == 14
    assert snapshot[y].tolist() == [[22.] * 10]
    for variable in snapshot:
        assert hasattr(variable.tag, 'roles')


def test_dict_of_inputs():
    x, y = tensor.vector('x'), tensor.vector('y')
    cg = ComputationGraph([x + y])
    assert cg.dict_of_inputs() == {'x': x, 'y': y}


def test_has_inputs():
    x = tensor.vector('x')
    W = shared_floatx_zeros((2,))
    cg = ComputationGraph([x + W, 2 * W])
    assert cg.has_inputs(cg.outputs[0])
    assert not cg.has_inputs(cg.outputs[1])
    assert not cg.has_inputs(W)
    deep = x
    for _ in range(5000):
        deep = deep + 1
    assert ComputationGraph([deep]).has_inputs(deep)


def test_updates_are_ordered_dicts():
    x = tensor.vector('x')
    assert ComputationGraph([x]).updates == OrderedDict()


def test_get_snapshot_with_static_shapes_and_missing_data():
    x = tensor.vector('x')
    row = x.dimshuffle('x', 0)
    add_role(row, AUXILIARY)
    cg = ComputationGraph([row * 2])
    snapshot = cg.get_snapshot({'x': numpy.array([1., 2.], dtype=floatX)})
    assert snapshot[row].tolist() == [[1., 2.]]
    with pytest.raises(ValueError, match=r"needs data for the inputs "
                                         r"\['x'\], got data for \['y'\]"):
        cg.get_snapshot({'y': numpy.zeros(2, dtype=floatX)})


def test_nested_scan_variables():
    x = tensor.tensor3('x')

    def inner(matrix):
        return pytensor.scan(lambda row: tensor.tanh(row), sequences=matrix,
                             return_updates=False)
    outputs = pytensor.scan(inner, sequences=x, return_updates=False)
    cg = ComputationGraph(outputs)
    assert len(cg.scans) == 1
    tanhs = [var for var in cg.scan_variables
             if var.owner is not None and 'Tanh' in str(var.owner.op)]
    assert tanhs
