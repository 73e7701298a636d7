"""Tests of Path and Selector, and of their agreement with Model."""
import pytest
from pytensor import tensor

from blocks.bricks import Linear, MLP, Tanh
from blocks.bricks.base import application, Brick
from blocks.filter import get_brick, VariableFilter
from blocks.graph import ComputationGraph
from blocks.model import Model
from blocks.roles import add_role, PARAMETER, WEIGHT
from blocks.select import Path, Selector
from blocks.utils import shared_floatx_zeros


class Container(Brick):
    """A brick whose children are given at construction."""
    def __init__(self, children, **kwargs):
        super().__init__(children=children, **kwargs)

    def apply(self, x):
        for child in self.children:
            x = child.apply(x)
        return x


def test_path_parse_and_str_round_trip():
    for string in ['/mlp', '/mlp/linear_0', '/mlp/linear_0.W', '.W']:
        path = Path.parse(string)
        assert str(path) == string
        assert Path.parse(str(path)) == path
    path = Path.parse('/mlp/linear_0.W')
    assert path.nodes == ('mlp', 'linear_0', 'W')
    assert [type(node) for node in path.nodes] == [
        Path.BrickName, Path.BrickName, Path.ParameterName]
    assert Path.parse('/mlp') + Path.parse('/linear_0.W') == path
    assert hash(Path.parse('/mlp/linear_0.W')) == hash(path)
    assert Path.parse('/a/b') != Path.parse('/a.b')
    assert repr(path) == "Path('/mlp/linear_0.W')"


@pytest.mark.parametrize('string', ['', 'mlp', 'mlp/linear', '/', '/mlp/',
                                    '/mlp//linear', '/mlp.W/linear',
                                    '/mlp.W.b'])
def test_path_parse_errors(string):
    with pytest.raises(ValueError, match="got {!r}".format(string)):
        Path.parse(string)


def test_path_errors():
    with pytest.raises(TypeError, match="a path must be a string, got 3"):
        Path.parse(3)
    with pytest.raises(TypeError, match="nodes must be a list or tuple"):
        Path('mlp')
    with pytest.raises(TypeError, match="got 'mlp' in them"):
        Path(['mlp'])


def test_selector_select_bricks_and_parameters():
    mlp = MLP([Tanh(), Tanh()], [3, 4, 2])
    mlp.allocate()
    selector = Selector(mlp)
    assert selector.bricks == [mlp]
    assert selector.select('/mlp').bricks == [mlp]
    assert selector.select('/mlp/linear_1').bricks == \
        [mlp.linear_transformations[1]]
    assert selector.select(Path.parse('/mlp/linear_0')).bricks == \
        [mlp.linear_transformations[0]]
    assert selector.select('/mlp/linear_1.W') == \
        [mlp.linear_transformations[1].W]
    assert selector.select('/mlp/linear_7').bricks == []
    assert selector.select('/other').bricks == []
    assert selector.select('/mlp/linear_1.c') == []
    with pytest.raises(TypeError, match="path must be a Path or a string"):
        selector.select(3)
    with pytest.raises(TypeError, match="bricks must be a list of Brick "
                                        "instances, got 3 in it"):
        Selector([mlp, 3])


def test_selector_get_parameters():
    mlp = MLP([Tanh(), Tanh()], [3, 4, 2])
    mlp.allocate()
    parameters = Selector([mlp]).get_parameters()
    assert list(parameters) == ['/mlp/linear_0.W', '/mlp/linear_0.b',
                                '/mlp/linear_1.W', '/mlp/linear_1.b']
    assert parameters['/mlp/linear_1.b'] is mlp.linear_transformations[1].b
    assert list(Selector([mlp]).get_parameters('b')) == [
        '/mlp/linear_0.b', '/mlp/linear_1.b']
    selection = Selector([mlp]).select('/mlp/linear_0')
    assert list(selection.get_parameters()) == ['/linear_0.W', '/linear_0.b']


def test_selector_name_collisions():
    first, second = Linear(2, 2, name='layer'), Linear(2, 2, name='layer')
    container = Container([first, second], name='container')
    container.allocate()
    with pytest.raises(ValueError, match="the path '/container/layer.W' "
                                         "appears more than once"):
        Selector([container]).get_parameters()
    assert len(Selector([container]).select('/container/layer').bricks) == 2
    with pytest.raises(ValueError, match="'/layer.W' appears more than once"):
        Selector([first, second]).get_parameters()


def test_selection_round_trips_with_model():
    x = tensor.matrix('x')
    encoder = MLP([Tanh(), Tanh()], [4, 3, 2], name='encoder')
    decoder = MLP([Tanh()], [2, 4], name='decoder')
    model = Model(decoder.apply(encoder.apply(x)))
    parameter_dict = model.get_parameter_dict()
    selector = Selector(model.get_top_bricks())
    assert len(parameter_dict) == 6
    for name, parameter in parameter_dict.items():
        assert selector.select(name) == [parameter]
        assert get_brick(parameter).get_hierarchical_name(parameter) == name
        assert str(Path.parse(name)) == name
    assert dict(selector.get_parameters()) == dict(parameter_dict)


def test_parameter_without_brick_in_model_and_selector():
    x = tensor.vector('x')
    scale = shared_floatx_zeros((2,), name='scale')
    linear = Linear(2, 2)
    add_role(scale, PARAMETER)
    model = Model(linear.apply(x * scale))
    assert set(model.get_parameter_dict()) == {'/linear.W', '/linear.b',
                                               'scale'}
    assert set(Selector(model.get_top_bricks()).get_parameters()) == {
        '/linear.W', '/linear.b'}


def test_papers_hierarchy_query():
    # "all weights of a <brick class> whose parent is the brick named foo"
    x = tensor.matrix('x')
    foo = MLP([Tanh(), Tanh()], [4, 3, 2], name='foo')
    bar = MLP([Tanh()], [2, 4], name='bar')
    cg = ComputationGraph(bar.apply(foo.apply(x)))
    weights = [weight for weight in
               VariableFilter(roles=[WEIGHT], bricks=[Linear])(cg.variables)
               if any(parent.name == 'foo'
                      for parent in get_brick(weight).parents)]
    assert weights == [linear.W for linear in foo.linear_transformations]
    assert list(Selector([foo, bar]).select('/foo').get_parameters('W')
                .values()) == weights


class Gated(Brick):
    """A brick with its own parameter named like its child's."""
    def __init__(self, **kwargs):
        super().__init__(children=[Linear(2, 2, name='inner')], **kwargs)

    def _allocate(self):
        self.parameters.append(shared_floatx_zeros((2,), name='W'))

    @application(inputs=['x'], outputs=['output'])
    def apply(self, x):
        return self.children[0].apply(x) * self.parameters[0]


def test_parameter_paths_select_own_parameters():
    x = tensor.vector('x')
    gated = Gated(name='gated')
    model = Model(gated.apply(x))
    selector = Selector(model.get_top_bricks())
    assert selector.select('/gated.W') == [gated.parameters[0]]
    assert selector.select('/gated/inner.W') == [gated.children[0].W]
    assert list(selector.get_parameters('W')) == ['/gated.W',
                                                  '/gated/inner.W']
    for name, parameter in model.get_parameter_dict().items():
        assert selector.select(name) == [parameter]
    assert selector.select('.W') == []
