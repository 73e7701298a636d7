"""The brick machinery: life cycle, lazy arguments, applications, pickling."""
import pickle
import threading
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy
import pytensor
import pytest
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.bricks import (Brick, Identity, Initializable, Linear, Logistic,
                           MLP, Softmax, Softplus, Tanh, application, lazy)
from blocks.bricks.base import (Application, ApplicationCall,
                                BoundApplication, NoneAllocation,
                                NoneInitialization)
from blocks.config import config
from blocks.filter import get_brick
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import (has_roles, AUXILIARY, BIAS, COST, INPUT, OUTPUT,
                          WEIGHT)
from blocks.utils import compile_function, shared_floatx_nans

floatX = pytensor.config.floatX


# Small purpose-built bricks

class Recorder(Brick):
    """Records every stage of its life cycle in a shared list."""
    def __init__(self, log, children=None, **kwargs):
        super().__init__(children=children, **kwargs)
        self.log = log

    def _push_allocation_config(self):
        self.log.append(('push_allocation', self.name))

    def _allocate(self):
        self.log.append(('allocate', self.name))
        self.parameters.append(shared_floatx_nans((2,), name='p'))

    def _push_initialization_config(self):
        self.log.append(('push_initialization', self.name))

    def _initialize(self):
        self.log.append(('initialize', self.name))
        self.parameters[0].set_value(numpy.ones(2, dtype=floatX))


class FailingAllocation(Brick):
    def _allocate(self):
        self.parameters.append(shared_floatx_nans((2,), name='half_made'))
        raise RuntimeError("boom")


class FailingInitialization(Brick):
    def _allocate(self):
        self.parameters.append(shared_floatx_nans((2,), name='p'))

    def _initialize(self):
        raise RuntimeError("bang")


class LazyBrick(Brick):
    @lazy(allocation=['a'], initialization=['b'])
    def __init__(self, a, b, c='c', d=None, **kwargs):
        super().__init__(**kwargs)
        self.a, self.b, self.c, self.d = a, b, c, d

    def _allocate(self):
        self.parameters.append(shared_floatx_nans((self.a,), name='v'))

    def _initialize(self):
        self.parameters[0].set_value(
            numpy.full(self.a, self.b, dtype=floatX))


class TwoOutputs(Brick):
    @application(inputs=['x', 'y'], outputs=['sum', 'diff'])
    def apply(self, x, y):
        return x + y, x - y

    @application
    def undeclared(self, x):
        return x * 2, x * 3

    @application(outputs=['only'])
    def too_many(self, x):
        return x, x


class WithAuxiliary(Brick):
    @application(inputs=['x'], outputs=['y'])
    def apply(self, x, application_call):
        application_call.add_auxiliary_variable(x.mean(), name='mean')
        application_call.add_auxiliary_variable(x.sum(), roles=[COST],
                                                name='total')
        application_call.metadata['seen'] = True
        return x + 1


class WithProperty(Brick):
    def __init__(self, names, **kwargs):
        super().__init__(**kwargs)
        self.names = names

    @application(outputs=['output'])
    def apply(self, *args):
        return sum(args)

    @apply.property('inputs')
    def apply_inputs(self):
        return self.names


class Delegating(Brick):
    def __init__(self, **kwargs):
        self.inner = TwoOutputs()
        super().__init__(children=[self.inner], **kwargs)

    @application
    def apply(self, x, y):
        return self.inner.apply(x, y)

    @apply.delegate
    def apply_delegate(self):
        return self.inner.apply


class Caller(Brick):
    """Applies a brick without listing it as a child."""
    def __init__(self, callee, **kwargs):
        super().__init__(**kwargs)
        self.callee = callee

    @application
    def apply(self, x):
        return self.callee.apply(x)


class GetsApplication(Brick):
    @application(inputs=['x'], outputs=['y'])
    def apply(self, application, x):
        self.seen = application
        return x


# Life cycle

def test_allocate_pushes_config_then_allocates_children_then_parent():
    log = []
    child = Recorder(log, name='child')
    parent = Recorder(log, children=[child], name='parent')
    parent.allocate()
    assert log == [('push_allocation', 'parent'), ('push_allocation', 'child'),
                   ('allocate', 'child'), ('allocate', 'parent')]
    assert parent.allocated and child.allocated
    assert parent.allocation_config_pushed and child.allocation_config_pushed
    assert not parent.initialized


def test_initialize_allocates_first_if_needed():
    log = []
    child = Recorder(log, name='child')
    parent = Recorder(log, children=[child], name='parent')
    parent.initialize()
    assert log == [('push_allocation', 'parent'), ('push_allocation', 'child'),
                   ('allocate', 'child'), ('allocate', 'parent'),
                   ('push_initialization', 'parent'),
                   ('push_initialization', 'child'),
                   ('initialize', 'child'), ('initialize', 'parent')]
    assert parent.initialized and child.initialized
    assert child.parameters[0].get_value().tolist() == [1.0, 1.0]


def test_initialize_does_not_reallocate():
    log = []
    brick = Recorder(log)
    brick.allocate()
    parameter = brick.parameters[0]
    brick.initialize()
    assert [event for event, _ in log].count('allocate') == 1
    assert brick.parameters[0] is parameter


def test_config_is_pushed_once():
    log = []
    brick = Recorder(log)
    brick.push_allocation_config()
    brick.allocate()
    brick.push_initialization_config()
    brick.initialize()
    assert [event for event, _ in log] == [
        'push_allocation', 'allocate', 'push_initialization', 'initialize']


def test_reallocation_resets_parameters():
    brick = Recorder([])
    brick.allocate()
    first = brick.parameters[0]
    brick.allocate()
    assert len(brick.parameters) == 1
    assert brick.parameters[0] is not first


def test_parameters_attribute_error_before_allocation():
    linear = Linear(input_dim=10, output_dim=5)
    with pytest.raises(AttributeError,
                       match="'Linear' object has no attribute 'parameters'"):
        linear.parameters
    assert not hasattr(linear, 'parameters')
    linear.allocate()
    assert [p.name for p in linear.parameters] == ['W', 'b']


def test_failed_allocation_leaves_brick_unallocated():
    brick = FailingAllocation()
    with pytest.raises(RuntimeError, match="boom"):
        brick.allocate()
    assert not brick.allocated
    with pytest.raises(AttributeError, match="has no attribute 'parameters'"):
        brick.parameters


def test_failed_reallocation_keeps_previous_parameters():
    brick = Recorder([])
    brick.allocate()
    previous = list(brick.parameters)

    def fail():
        raise RuntimeError("boom")
    brick._allocate = fail
    with pytest.raises(RuntimeError, match="boom"):
        brick.allocate()
    assert list(brick.parameters) == previous


def test_failed_child_allocation_leaves_parent_unallocated():
    parent = Recorder([], children=[FailingAllocation()])
    with pytest.raises(RuntimeError, match="boom"):
        parent.allocate()
    assert not parent.allocated
    assert not parent.children[0].allocated


def test_failed_allocation_through_initialize_or_application():
    brick = FailingAllocation()
    with pytest.raises(RuntimeError, match="boom"):
        brick.initialize()
    assert not brick.allocated and not brick.initialized

    class FailingApplied(FailingAllocation):
        @application
        def apply(self, x):
            return x
    brick = FailingApplied()
    with pytest.raises(RuntimeError, match="boom"):
        brick.apply(tensor.vector())
    assert not brick.allocated
    assert Application.call_stack == []
    with pytest.raises(AttributeError, match="has no attribute 'parameters'"):
        brick.parameters


def test_failed_initialization_leaves_brick_uninitialized():
    brick = FailingInitialization()
    with pytest.raises(RuntimeError, match="bang"):
        brick.initialize()
    assert brick.allocated
    assert not brick.initialized


def test_missing_allocation_config_raises_and_can_be_fixed():
    linear = Linear(output_dim=3)
    with pytest.raises(ValueError,
                       match="allocation config not set: input_dim"):
        linear.allocate()
    assert not linear.allocated
    linear.input_dim = 2
    linear.allocate()
    assert linear.W.get_value().shape == (2, 3)


def test_missing_initialization_config():
    brick = LazyBrick(a=2)
    brick.allocate()
    with pytest.raises(ValueError, match="initialization config not set: b"):
        brick.initialize()
    brick.b = 3.
    brick.initialize()
    assert brick.parameters[0].get_value().tolist() == [3.0, 3.0]


def test_initialize_without_scheme_names_the_setting():
    linear = Linear(2, 3, biases_init=Constant(0))
    with pytest.raises(ValueError, match="has no weights_init"):
        linear.initialize()
    assert not linear.initialized


def test_failed_push_allocation_config_can_be_retried():
    mlp = MLP([Tanh(), None])
    x = tensor.matrix('x')
    with pytest.raises(ValueError, match="allocation config not set: dims"):
        mlp.apply(x)
    assert not mlp.allocation_config_pushed and not mlp.allocated
    mlp.dims = [3, 4, 2]
    mlp.apply(x)
    assert mlp.linear_transformations[1].W.get_value().shape == (4, 2)


def test_push_initialization_config_then_override_survives_initialize():
    mlp = MLP([Tanh(), Tanh()], [3, 4, 2], weights_init=Constant(2.),
              biases_init=Constant(1.))
    mlp.push_initialization_config()
    mlp.linear_transformations[0].weights_init = Constant(5.)
    mlp.initialize()
    first, second = mlp.linear_transformations
    assert numpy.all(first.W.get_value() == 5)
    assert numpy.all(second.W.get_value() == 2)
    assert numpy.all(first.b.get_value() == 1)


def test_push_allocation_config_then_override_survives_allocate():
    mlp = MLP([Tanh(), Tanh()], [3, 4, 2], use_bias=True)
    mlp.push_allocation_config()
    mlp.linear_transformations[0].use_bias = False
    mlp.allocate()
    first, second = mlp.linear_transformations
    assert [p.name for p in first.parameters] == ['W']
    assert [p.name for p in second.parameters] == ['W', 'b']


def test_application_allocates_but_does_not_initialize():
    linear = Linear(2, 3, weights_init=Constant(1.), biases_init=Constant(0))
    linear.apply(tensor.matrix())
    assert linear.allocated and not linear.initialized
    assert numpy.isnan(linear.W.get_value()).all()


def test_lazy_false_class_switch_initializes_on_application(monkeypatch):
    monkeypatch.setattr(Brick, 'lazy', False)
    linear = Linear(2, 3, weights_init=Constant(1.), biases_init=Constant(.5))
    x = tensor.matrix('x')
    y = linear.apply(x)
    assert linear.initialized
    assert y.eval({x: numpy.ones((1, 2), dtype=floatX)}).tolist() == [
        [2.5, 2.5, 2.5]]


def test_lazy_false_on_a_subclass():
    class EagerLinear(Linear):
        lazy = False
    eager = EagerLinear(2, 3, weights_init=Constant(1.),
                        biases_init=Constant(0.))
    lazy_linear = Linear(2, 3, weights_init=Constant(1.),
                         biases_init=Constant(0.))
    x = tensor.matrix('x')
    eager.apply(x)
    lazy_linear.apply(x)
    assert eager.initialized and not lazy_linear.initialized


# lazy

def test_lazy_positional_and_keyword_arguments():
    brick = LazyBrick(1, 2, 'x', 'y')
    assert (brick.a, brick.b, brick.c, brick.d) == (1, 2, 'x', 'y')
    brick = LazyBrick(1, b=2, d='y')
    assert (brick.a, brick.b, brick.c, brick.d) == (1, 2, 'c', 'y')
    brick = LazyBrick(b=2, a=1)
    assert (brick.a, brick.b) == (1, 2)


def test_lazy_missing_arguments_become_lazy_nones():
    brick = LazyBrick()
    assert brick.a is NoneAllocation
    assert brick.b is NoneInitialization
    assert repr(brick.a) == 'NoneAllocation' and not brick.a
    assert str(brick.b) == 'NoneInitialization' and not brick.b
    assert brick.allocation_args == ['a']
    assert brick.initialization_args == ['b']


def test_lazy_arguments_set_later():
    brick = LazyBrick(name='later')
    with pytest.raises(ValueError, match="allocation config not set: a"):
        brick.allocate()
    brick.a = 3
    brick.b = 0.5
    brick.initialize()
    assert brick.parameters[0].get_value().tolist() == [0.5, 0.5, 0.5]


def test_lazy_nones_pickle_as_the_same_object():
    assert pickle.loads(pickle.dumps(NoneAllocation)) is NoneAllocation
    assert (pickle.loads(pickle.dumps(NoneInitialization))
            is NoneInitialization)


def test_lazy_multiple_values_is_a_type_and_a_value_error():
    # Python raises a TypeError, Blocks raised a ValueError: both catch it.
    with pytest.raises(TypeError, match="multiple values for argument a"):
        LazyBrick(1, a=2)
    with pytest.raises(ValueError, match="multiple values for argument a"):
        LazyBrick(1, a=2)


def test_lazy_too_many_positional_arguments():
    with pytest.raises(TypeError, match="at most"):
        LazyBrick(1, 2, 3, 4, 5, 6)


def test_lazy_unknown_argument_names():
    with pytest.raises(ValueError, match=r"lazy arguments \['z'\]"):
        @lazy(allocation=['z'])
        def __init__(self, a):
            pass


def test_lazy_arguments_accumulate_through_subclasses():
    class Sub(LazyBrick):
        @lazy(allocation=['e'])
        def __init__(self, e, **kwargs):
            super().__init__(**kwargs)
            self.e = e
    brick = Sub(a=1)
    assert brick.allocation_args == ['e', 'a']
    assert brick.e is NoneAllocation
    with pytest.raises(ValueError, match="allocation config not set: e"):
        brick.allocate()


# Names, children, paths

def test_default_name_is_the_lowercased_class_name():
    assert TwoOutputs().name == 'twooutputs'
    assert Linear(name='my_linear').name == 'my_linear'


def test_name_is_kept_as_given():
    # As in Blocks, the name is not checked: its tests pass a variable as
    # the first positional argument of an activation (``Softplus(x)``).
    x = tensor.vector('x')
    softplus = Softplus(x)
    assert softplus.name is x
    x_value = numpy.array([-1., 0., 2.], dtype=floatX)
    assert_allclose(softplus.apply(x).eval({x: x_value}),
                    numpy.log1p(numpy.exp(x_value)))


def test_children_know_their_parents():
    a, b = Identity(name='a'), Identity(name='b')
    parent = Brick(children=[a])
    assert a.parents == [parent]
    parent.children.append(b)
    assert b.parents == [parent]
    parent.children.remove(a)
    assert a.parents == []
    assert parent.children == [b]


def test_hierarchical_names():
    mlp = MLP([Tanh(), None], [3, 4, 2])
    mlp.allocate()
    linear = mlp.linear_transformations[1]
    assert [brick.name for brick in linear.get_unique_path()] == \
        ['mlp', 'linear_1']
    assert linear.get_hierarchical_name(linear.W) == '/mlp/linear_1.W'
    assert linear.get_hierarchical_name(linear.b, delimiter='-') == (
        '-mlp-linear_1.b')


def test_get_dim():
    linear = Linear(3, 4)
    assert linear.get_dims(['input_', 'output']) == [3, 4]
    with pytest.raises(ValueError, match="No dimension information for "
                                         "foo"):
        linear.get_dim('foo')


# Applications

def test_application_inputs_and_outputs_at_class_and_instance_level():
    brick = TwoOutputs()
    assert TwoOutputs.apply.inputs == ['x', 'y']
    assert TwoOutputs.apply.outputs == ['sum', 'diff']
    assert brick.apply.inputs == ['x', 'y']
    assert brick.apply.outputs == ['sum', 'diff']
    assert isinstance(TwoOutputs.apply, Application)
    assert isinstance(brick.apply, BoundApplication)
    assert brick.apply is brick.apply
    assert brick.apply.name == 'apply'
    assert brick.apply.brick is brick


def test_application_names_and_roles_outputs():
    brick = TwoOutputs(name='two')
    x, y = tensor.vector('x'), tensor.vector('y')
    total, difference = brick.apply(x, y)
    assert total.name == 'two_apply_sum'
    assert difference.name == 'two_apply_diff'
    assert total.tag.name == 'sum'
    assert has_roles(total, [OUTPUT]) and not has_roles(total, [INPUT])
    assert brick in total.tag.annotations
    call, = [a for a in total.tag.annotations
             if isinstance(a, ApplicationCall)]
    assert call.application.brick is brick
    assert call.application.name == 'apply'


def test_application_tags_copies_of_inputs():
    brick = TwoOutputs()
    x, y = tensor.vector('x'), tensor.vector('y')
    total = brick.apply(x, y=y)[0]
    # The originals are untouched
    assert x.name == 'x' and not hasattr(x.tag, 'roles')
    assert not hasattr(y.tag, 'annotations')
    # The graph uses annotated copies
    inner = total.owner.inputs[0].owner.inputs
    assert [v.name for v in inner] == ['twooutputs_apply_x',
                                       'twooutputs_apply_y']
    assert all(has_roles(v, [INPUT]) for v in inner)
    assert [v.owner.inputs[0] for v in inner] == [x, y]
    values = {x: numpy.array([1., 2.], dtype=floatX),
              y: numpy.array([3., 5.], dtype=floatX)}
    assert total.eval(values).tolist() == [4., 7.]


def test_undeclared_outputs_are_numbered():
    first, second = TwoOutputs().undeclared(tensor.vector('x'))
    assert first.name == 'twooutputs_undeclared_output_0'
    assert second.name == 'twooutputs_undeclared_output_1'


def test_more_outputs_than_declared_is_an_error():
    with pytest.raises(ValueError, match="returned 2 outputs, more than the "
                                         "1 it declares"):
        TwoOutputs().too_many(tensor.vector())


def test_varargs_inputs_are_named_by_position():
    brick = WithProperty(['a', 'b'])
    x, y = tensor.vector('x'), tensor.vector('y')
    output = brick.apply(x, y)
    names = sorted(v.name for v in ComputationGraph(output).variables
                   if has_roles(v, [INPUT]))
    assert names == ['withproperty_apply_args_0', 'withproperty_apply_args_1']


def test_as_list_and_as_dict():
    brick = TwoOutputs()
    x, y = tensor.vector('x'), tensor.vector('y')
    listed = brick.apply(x, y, as_list=True)
    assert isinstance(listed, list) and len(listed) == 2
    single = Tanh().apply(x, as_list=True)
    assert isinstance(single, list) and len(single) == 1
    outputs = brick.apply(x, y, as_dict=True)
    assert isinstance(outputs, OrderedDict)
    assert list(outputs) == ['sum', 'diff']
    assert outputs['diff'].name == 'twooutputs_apply_diff'
    with pytest.raises(ValueError, match="as_list and as_dict"):
        brick.apply(x, y, as_list=True, as_dict=True)


def test_class_level_call_with_the_brick():
    brick = TwoOutputs(name='two')
    total, _ = TwoOutputs.apply(brick, tensor.vector(), tensor.vector())
    assert total.name == 'two_apply_sum'


def test_application_argument_receives_the_bound_application():
    brick = GetsApplication()
    x = tensor.vector('x')
    y = brick.apply(x)
    assert brick.seen is brick.apply
    assert y.name == 'getsapplication_apply_y'


def test_application_call_auxiliary_variables():
    brick = WithAuxiliary(name='aux')
    x = tensor.vector('x')
    y = brick.apply(x)
    call, = [a for a in y.tag.annotations if isinstance(a, ApplicationCall)]
    assert call.metadata['seen'] is True
    mean, total = call.auxiliary_variables
    assert mean.name == 'aux_apply_mean' and mean.tag.name == 'mean'
    assert has_roles(mean, [AUXILIARY]) and not has_roles(mean, [COST])
    assert has_roles(total, [AUXILIARY, COST], match_all=True)
    # As in Blocks, they are annotated with the brick too.
    assert get_brick(mean) is brick and get_brick(total) is brick
    cg = ComputationGraph(y)
    assert {v.name for v in cg.auxiliary_variables} == {
        'aux_apply_mean', 'aux_apply_total'}
    value = numpy.array([1., 2., 6.], dtype=floatX)
    assert float(mean.eval({x: value})) == pytest.approx(3.)


def test_brick_auxiliary_variables_reach_the_graph():
    linear = Linear(3, 2)
    y = linear.apply(tensor.matrix())
    names = {v.name for v in ComputationGraph(y).auxiliary_variables}
    assert {'W_norm', 'b_norm'} <= names


def test_application_property():
    brick = WithProperty(['a', 'b', 'c'])
    assert brick.apply.inputs == ['a', 'b', 'c']
    brick.names = ['d']
    assert brick.apply.inputs == ['d']
    assert brick.apply.outputs == ['output']
    with pytest.raises(AttributeError, match="per brick instance"):
        WithProperty.apply.inputs
    with pytest.raises(AttributeError, match="it is a property"):
        WithProperty.apply.inputs = ['x']


def test_application_property_name_must_be_a_string():
    with pytest.raises(TypeError, match="must be a string, got 1"):
        class Bad(Brick):
            @application
            def apply(self, x):
                return x

            @apply.property(1)
            def apply_inputs(self):
                return ['x']


def test_application_delegate():
    brick = Delegating(name='delegating')
    assert brick.apply.inputs == ['x', 'y']
    assert brick.apply.outputs == ['sum', 'diff']
    total, difference = brick.apply(tensor.vector(), tensor.vector())
    assert total.name == 'delegating_apply_sum'
    assert difference.name == 'delegating_apply_diff'
    with pytest.raises(AttributeError):
        brick.apply.no_such_attribute


def test_unknown_application_attribute():
    with pytest.raises(AttributeError, match="has no attribute 'foo'"):
        TwoOutputs.apply.foo


def test_inputs_must_be_arguments():
    with pytest.raises(ValueError, match=r"inputs \['z'\] of the "
                                         r"application apply"):
        class Bad(Brick):
            @application(inputs=['z'])
            def apply(self, x):
                return x


def test_application_decorator_takes_function_or_keywords():
    def apply(self, x):
        return x
    with pytest.raises(TypeError, match="not both"):
        application(apply, inputs=['x'])


def test_applying_a_brick_that_is_not_a_child_warns():
    x = tensor.vector('x')
    caller = Caller(Tanh(name='stranger'), name='caller')
    with pytest.warns(UserWarning, match="brick .*caller.* applied brick "
                                         ".*stranger.*, which is not among "
                                         "its children"):
        caller.apply(x)
    child = Tanh()
    adopted = Caller(child)
    adopted.children.append(child)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        adopted.apply(x)
    assert Application.call_stack == []


def test_call_stack_is_popped_after_an_error():
    class Broken(Brick):
        @application
        def apply(self, x):
            raise RuntimeError("inside")
    with pytest.raises(RuntimeError, match="inside"):
        Broken().apply(tensor.vector())
    assert Application.call_stack == []


def test_call_stacks_are_private_to_each_thread():
    both_inside = threading.Barrier(2, timeout=30)
    seen = {}

    class Peek(Brick):
        @application
        def apply(self, x):
            seen[self.name] = [brick.name for brick in Application.call_stack]
            return x

    class Waiter(Brick):
        @application
        def apply(self, x):
            both_inside.wait()  # the other thread is inside its call too
            seen[self.name] = [brick.name for brick in Application.call_stack]
            self.children[0].apply(x)
            both_inside.wait()  # neither leaves before both have looked
            return x

    def apply_in_thread(name):
        Waiter(name=name, children=[Peek(name=name + '_child')]).apply(
            tensor.vector())
        return list(Application.call_stack)

    with ThreadPoolExecutor(2) as pool:
        leftovers = list(pool.map(apply_in_thread, ['first', 'second']))
    assert seen == {'first': ['first'], 'first_child': ['first', 'first_child'],
                    'second': ['second'],
                    'second_child': ['second', 'second_child']}
    assert leftovers == [[], []] and Application.call_stack == []


def test_print_shapes(capfd):
    brick = Tanh(name='shaped')
    brick.print_shapes = True
    x = tensor.matrix('x')
    y = brick.apply(x)
    assert y.name == 'shaped_apply_output'
    assert has_roles(y, [OUTPUT])
    f = compile_function([x], y)
    f(numpy.zeros((2, 3), dtype=floatX))
    assert '(2, 3)' in capfd.readouterr().out


# Pickling

def make_mlp():
    mlp = MLP([Tanh(), Softmax()], [3, 4, 2],
              weights_init=IsotropicGaussian(0.5), biases_init=Constant(0.1),
              seed=11)
    mlp.initialize()
    return mlp


def test_pickle_brick():
    mlp = make_mlp()
    clone = pickle.loads(pickle.dumps(mlp))
    assert [c.name for c in clone.children] == ['linear_0', 'tanh',
                                                'linear_1', 'softmax']
    assert clone.children[0] is clone.linear_transformations[0]
    assert clone.children[0].parents == [clone]
    assert clone.apply.inputs == ['input_'] and clone.initialized
    for original, copied in zip(mlp.linear_transformations,
                                clone.linear_transformations):
        assert_allclose(copied.W.get_value(), original.W.get_value())
        assert has_roles(copied.W, [WEIGHT]) and has_roles(copied.b, [BIAS])
    # The unpickled brick applies and initializes like the original
    x = tensor.matrix('x')
    value = numpy.ones((2, 3), dtype=floatX)
    assert_allclose(clone.apply(x).eval({x: value}),
                    mlp.apply(x).eval({x: value}))


def test_pickle_applications():
    brick = TwoOutputs()
    assert pickle.loads(pickle.dumps(TwoOutputs.apply)) is TwoOutputs.apply
    bound = pickle.loads(pickle.dumps(brick.apply))
    assert isinstance(bound, BoundApplication)
    assert bound.outputs == ['sum', 'diff']


def test_pickle_graph_built_from_bricks():
    mlp = make_mlp()
    x = tensor.matrix('x')
    y = mlp.apply(x)
    clone_mlp, clone_y = pickle.loads(pickle.dumps((mlp, y)))
    assert clone_y.name == 'mlp_apply_output'
    assert any(a is clone_mlp for a in clone_y.tag.annotations)
    cg = ComputationGraph(clone_y)
    assert set(cg.parameters) == set(list(clone_mlp.parameters) +
                                     [p for c in clone_mlp.children
                                      for p in c.parameters])
    clone_x, = cg.inputs
    value = numpy.random.RandomState(2).normal(size=(4, 3)).astype(floatX)
    expected = compile_function([x], y)(value)
    assert_allclose(compile_function([clone_x], clone_y)(value), expected,
                    rtol=1e-6)
    # The unpickled graph alone compiles too
    alone = pickle.loads(pickle.dumps(y))
    alone_x, = ComputationGraph(alone).inputs
    assert_allclose(compile_function([alone_x], alone)(value), expected,
                    rtol=1e-6)
    # The parameters of the unpickled graph are those of the unpickled MLP
    clone_mlp.linear_transformations[1].b.set_value(
        numpy.array([10., -10.], dtype=floatX))
    out = compile_function([clone_x], clone_y)(value)
    assert_allclose(out[:, 0], 1., rtol=1e-6)


def test_pickle_wrapped_brick_graph():
    from blocks.bricks import NDimensionalSoftmax
    x = tensor.tensor3('x')
    y = NDimensionalSoftmax().apply(x, extra_ndim=1)
    clone = pickle.loads(pickle.dumps(y))
    clone_x, = ComputationGraph(clone).inputs
    value = numpy.zeros((2, 1, 2), dtype=floatX)
    assert compile_function([clone_x], clone)(value).tolist() == [
        [[0.5, 0.5]], [[0.5, 0.5]]]


def test_pickles_naming_blocks_bricks_base_still_load():
    """Checkpoints written before the application machinery and lazy moved
    out of blocks.bricks.base name their classes and functions there."""
    from blocks.bricks import applications as application_module
    from blocks.bricks import lazy_arguments as lazy_module
    moved = {'Application': application_module, 'ApplicationCall':
             application_module, 'BoundApplication': application_module,
             '_class_application': application_module,
             '_bound_application': application_module,
             'LazyNone': lazy_module, 'NoneAllocation': lazy_module,
             'NoneInitialization': lazy_module}
    for name, module in moved.items():
        loaded = pickle.loads('cblocks.bricks.base\n{}\n.'.format(
            name).encode())
        assert loaded is getattr(module, name)
    # An application pickled by the old module still finds its class
    stream = pickle.dumps(TwoOutputs.apply, protocol=0).replace(
        b'blocks.bricks.applications', b'blocks.bricks.base')
    assert b'blocks.bricks.base' in stream
    assert pickle.loads(stream) is TwoOutputs.apply


# Initializable

def test_seed_makes_initialization_reproducible():
    def weights(seed):
        mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=IsotropicGaussian(),
                  biases_init=Constant(0), seed=seed)
        mlp.initialize()
        return [layer.W.get_value() for layer in mlp.linear_transformations]
    first, second, other = weights(3), weights(3), weights(4)
    for a, b in zip(first, second):
        assert_allclose(a, b)
    assert not numpy.allclose(first[0], other[0])


def test_seed_cannot_be_set_twice():
    linear = Linear(seed=1)
    assert linear.seed == 1
    with pytest.raises(AttributeError, match="seed already set"):
        linear.seed = 2


def test_seed_defaults_to_the_configured_default_seed(monkeypatch):
    monkeypatch.setenv('BLOCKS_DEFAULT_SEED', '1234')
    assert config.default_seed == 1234
    assert Linear().seed == 1234
    # Two bricks configured alike are initialized alike
    weights = []
    for _ in range(2):
        linear = Linear(3, 4, weights_init=IsotropicGaussian(),
                        biases_init=Constant(0))
        linear.initialize()
        weights.append(linear.W.get_value())
    assert_allclose(weights[0], weights[1])
    expected = numpy.random.RandomState(1234).normal(0, 1, size=(3, 4))
    assert_allclose(weights[0], expected, rtol=1e-5)


def test_has_biases_false_rejects_bias_arguments():
    class NoBias(Initializable):
        has_biases = False
    NoBias(weights_init=Constant(0))
    with pytest.raises(ValueError, match="NoBias does not support biases"):
        NoBias(biases_init=Constant(0))
    with pytest.raises(ValueError, match="NoBias does not support biases"):
        NoBias(use_bias=True)


def test_initialization_config_is_pushed_to_children():
    mlp = MLP([Logistic(), Logistic()], [2, 3, 4],
              weights_init=Constant(3.), biases_init=Constant(-1.))
    mlp.push_initialization_config()
    for layer in mlp.linear_transformations:
        assert layer.weights_init is mlp.weights_init
        assert layer.biases_init is mlp.biases_init
        assert layer.rng is mlp.rng


def test_application_classes_keep_blocks_module_path():
    # Blocks defined them in blocks.bricks.base: reprs and pickles say so.
    from blocks.bricks import base
    for name in ('Application', 'BoundApplication', 'ApplicationCall'):
        assert getattr(base, name).__module__ == 'blocks.bricks.base'
    brick = Linear(input_dim=2, output_dim=3)
    assert repr(Linear.apply).startswith(
        '<blocks.bricks.base.Application object at ')
    assert type(brick.apply).__module__ == 'blocks.bricks.base'
