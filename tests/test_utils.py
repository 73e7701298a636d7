"""Utilities: containers, dictionaries, exceptions and PyTensor helpers."""
import pickle
import sys
import traceback
from collections import OrderedDict

import numpy
import pytensor
import pytest
from pytensor import tensor

from blocks.config import config
from blocks.utils import (change_recursion_limit, check_theano_variable,
                          compile_function, dict_subset, dict_union,
                          extract_args, is_graph_input, is_shared_variable,
                          named_copy, pack, put_hook, repr_attrs, reraise_as,
                          resolve_mode, shared_floatx, shared_floatx_nans,
                          shared_floatx_zeros, shared_floatx_zeros_matching,
                          shared_like, unbroadcast, unpack)
from blocks.compile.compilation import default_mode
from blocks.utils.containers import AnnotatingList

floatX = pytensor.config.floatX


# pack, unpack

def test_pack():
    assert pack(1) == [1]
    assert pack((1, 2)) == [1, 2]
    original = [1, 2]
    packed = pack(original)
    assert packed == [1, 2] and isinstance(packed, list)
    assert pack(None) == [None]
    assert pack('ab') == ['ab']


def test_unpack():
    assert unpack([1]) == 1
    assert unpack((1,)) == 1
    assert unpack((1, 2)) == [1, 2]
    assert unpack(3) == 3
    assert unpack([]) == []
    assert unpack([1], singleton=True) == 1
    with pytest.raises(ValueError, match=r"expected a singleton, got "
                                         r"\[1, 2\]"):
        unpack([1, 2], singleton=True)


# Dictionaries

def test_dict_union():
    assert dict_union({'a': 1}, {'b': 2}, c=3) == {'a': 1, 'b': 2, 'c': 3}
    ordered = dict_union(OrderedDict([('b', 1), ('a', 2)]), {'c': 3})
    assert isinstance(ordered, OrderedDict)
    assert list(ordered) == ['b', 'a', 'c']
    assert not isinstance(dict_union({'a': 1}), OrderedDict)
    assert dict_union() == {}


def test_dict_union_duplicates():
    with pytest.raises(ValueError, match="duplicate entries: a"):
        dict_union({'a': 1}, {'a': 2})
    with pytest.raises(ValueError, match="duplicate entries: b"):
        dict_union({'a': 1, 'b': 2}, b=3)


def test_dict_subset():
    source = {'a': 1, 'b': 2, 'c': 3}
    subset = dict_subset(source, ['c', 'a'])
    assert isinstance(subset, OrderedDict)
    assert list(subset.items()) == [('c', 3), ('a', 1)]
    assert source == {'a': 1, 'b': 2, 'c': 3}
    with pytest.raises(KeyError):
        dict_subset(source, ['d'])
    assert dict_subset(source, ['a', 'd'], must_have=False) == {'a': 1}


def test_dict_subset_pop():
    source = {'a': 1, 'b': 2, 'c': 3}
    assert dict_subset(source, ['b'], pop=True) == {'b': 2}
    assert source == {'a': 1, 'c': 3}
    assert dict_subset(source, ['a', 'z'], pop=True, must_have=False) == {
        'a': 1}
    assert source == {'c': 3}
    with pytest.raises(KeyError):
        dict_subset(source, ['z'], pop=True)


def test_dict_subset_keeps_none_values():
    assert dict_subset({'a': None}, ['a'], must_have=False) == {'a': None}


def test_extract_args():
    routed = extract_args(['a', 'b', 'c'], 1, c=3, b=2)
    assert isinstance(routed, OrderedDict)
    assert list(routed.items()) == [('a', 1), ('b', 2), ('c', 3)]
    with pytest.raises(KeyError, match="invalid input name: d"):
        extract_args(['a'], d=1)
    with pytest.raises(TypeError, match="got multiple values for "
                                        "argument 'a'"):
        extract_args(['a'], 1, a=1)
    with pytest.raises(ValueError, match="missing values for inputs: b, c"):
        extract_args(['a', 'b', 'c'], 1)


# reraise_as

def failing_function():
    raise KeyError('original')


def test_reraise_as_keeps_the_traceback():
    with pytest.raises(ValueError) as excinfo:
        try:
            failing_function()
        except KeyError:
            reraise_as(ValueError("new message"))
    error = excinfo.value
    functions = [frame.name for frame in
                 traceback.extract_tb(error.__traceback__)]
    assert 'failing_function' in functions
    assert isinstance(error.__cause__, KeyError)
    assert error.reraised
    message = str(error)
    assert message.startswith('new message')
    assert "Original exception:\n\tKeyError: original" in message


def test_reraise_as_with_a_string_keeps_the_type():
    with pytest.raises(KeyError) as excinfo:
        try:
            failing_function()
        except KeyError:
            reraise_as("more context")
    assert 'more context' in str(excinfo.value)
    assert 'Original exception' in str(excinfo.value)


def test_reraise_as_twice_does_not_repeat_messages():
    with pytest.raises(TypeError) as excinfo:
        try:
            try:
                failing_function()
            except KeyError:
                reraise_as(ValueError("first"))
        except ValueError:
            reraise_as(TypeError("second"))
    message = str(excinfo.value)
    assert message.startswith('second')
    assert message.count('Original exception') == 2


def test_reraise_as_keeps_extra_arguments():
    with pytest.raises(RuntimeError) as excinfo:
        try:
            failing_function()
        except KeyError:
            reraise_as(RuntimeError("context", 42))
    assert excinfo.value.args[1] == 42


# Shared variables

def test_shared_floatx_dtype():
    variable = shared_floatx([1, 2], name='v')
    assert variable.dtype == floatX
    assert variable.name == 'v'
    assert variable.get_value().dtype == floatX
    assert shared_floatx([1, 2], dtype='int64').dtype == 'int64'
    with pytensor.config.change_flags(floatX='float32'):
        assert shared_floatx(numpy.zeros(2)).dtype == 'float32'


def test_shared_floatx_copies_unless_borrowed():
    value = numpy.zeros(2, dtype=floatX)
    variable = shared_floatx(value)
    value[0] = 1
    assert variable.get_value()[0] == 0


def test_shared_floatx_static_shape():
    variable = shared_floatx(numpy.zeros((1, 3)), broadcastable=(True, False))
    assert variable.type.shape == (1, None)
    variable = shared_floatx(numpy.zeros((1, 3)), shape=(1, 3))
    assert variable.type.shape == (1, 3)


def test_shared_floatx_nans_and_zeros():
    nans = shared_floatx_nans((2, 3), name='n')
    assert nans.dtype == floatX and nans.name == 'n'
    assert numpy.isnan(nans.get_value()).all()
    assert nans.get_value().shape == (2, 3)
    zeros = shared_floatx_zeros((4,))
    assert zeros.get_value().tolist() == [0.] * 4 and zeros.dtype == floatX


def test_shared_floatx_whole_float_dimensions():
    # The original machine translation example builds
    # Linear(input_dim=state_dim / 2, ...), a float under Python 3.
    assert shared_floatx_nans((8 / 2, 3)).get_value().shape == (4, 3)
    assert shared_floatx_zeros((numpy.float64(2.0),)).get_value().shape == (2,)
    assert shared_floatx_zeros(3.0).get_value().shape == (3,)
    with pytest.raises(ValueError, match='whole numbers'):
        shared_floatx_zeros((2.5, 3))


def test_shared_floatx_is_true_and_pickles():
    # Theano's variables were true; Blocks 0.2's GatedRecurrent._allocate
    # (copied by the machine translation example) tests `if parameter:`.
    parameter = shared_floatx_nans((2, 3), name='W')
    assert bool(parameter) is True
    assert isinstance(parameter, pytensor.tensor.sharedvar.TensorSharedVariable)
    restored = pickle.loads(pickle.dumps(parameter))
    assert bool(restored) and restored.name == 'W'
    assert restored.get_value().shape == (2, 3)
    clone = parameter.clone()
    assert bool(clone) and clone.container is parameter.container
    doubled = compile_function([], 2 * parameter)
    parameter.set_value(numpy.ones((2, 3)))
    assert numpy.array_equal(doubled(), 2 * numpy.ones((2, 3)))


def test_shared_floatx_zeros_matching():
    original = shared_floatx(numpy.ones((1, 3)), shape=(1, None))
    matching = shared_floatx_zeros_matching(original, name='m')
    assert matching.name == 'm'
    assert matching.type.shape == (1, None)
    assert matching.get_value().tolist() == [[0., 0., 0.]]
    with pytest.raises(ValueError, match="must be a shared variable"):
        shared_floatx_zeros_matching(tensor.matrix())


def test_shared_like():
    x = tensor.imatrix('x')
    shared = shared_like(x)
    assert shared.name == 'shared_x'
    assert shared.dtype == 'int32' and shared.ndim == 2
    assert shared_like(x, name='s').name == 's'


def test_is_graph_input_and_is_shared_variable():
    x = tensor.vector('x')
    shared = shared_floatx([1.])
    constant = tensor.constant(1.)
    assert is_graph_input(x)
    assert not is_graph_input(x + 1)
    assert not is_graph_input(shared)
    assert not is_graph_input(constant)
    assert is_shared_variable(shared)
    assert not is_shared_variable(x)
    rng_state = pytensor.shared(numpy.random.default_rng(1))
    assert not is_shared_variable(rng_state)


def test_named_copy():
    x = tensor.vector('x')
    x.tag.marker = True
    y = named_copy(x, 'y')
    assert y.name == 'y' and x.name == 'x'
    assert y is not x and not hasattr(y.tag, 'marker')
    value = numpy.array([1., 2.], dtype=floatX)
    assert y.eval({x: value}).tolist() == [1., 2.]


def test_unbroadcast():
    x = tensor.row('x')
    assert x.type.shape == (1, None)
    y = unbroadcast(x)
    assert y.type.shape == (None, None)
    assert unbroadcast(x, 0).type.shape == (None, None)
    z = tensor.tensor(dtype=floatX, shape=(1, 1, None))
    assert unbroadcast(z, 1).type.shape == (1, None, None)
    value = numpy.ones((1, 3), dtype=floatX)
    assert (compile_function([x], y)(value) == value).all()
    matrix = tensor.matrix()
    assert unbroadcast(matrix) is matrix


def test_unbroadcast_in_scan():
    h0 = tensor.row('h0')
    states = pytensor.scan(lambda h: h * 2, outputs_info=[unbroadcast(h0)],
                           n_steps=3, return_updates=False)
    value = numpy.ones((1, 2), dtype=floatX)
    out = compile_function([h0], states)(value)
    assert out[:, 0, 0].tolist() == [2., 4., 8.]


def test_check_theano_variable():
    check_theano_variable(None, 2, 'float')
    check_theano_variable(tensor.matrix(), 2, 'float')
    check_theano_variable([[1, 2]], 2, 'int')
    with pytest.raises(ValueError, match="expected 3, got 2"):
        check_theano_variable(tensor.matrix(), 3, None)
    with pytest.raises(ValueError, match="expected starting with int, "
                                         "got float"):
        check_theano_variable(tensor.matrix(), None, 'int')


def test_put_hook():
    seen = []
    x = tensor.vector('x')
    y = put_hook(x, seen.append) * 2
    out = compile_function([x], y)(numpy.array([1., 2.], dtype=floatX))
    assert out.tolist() == [2., 4.]
    assert [v.tolist() for v in seen] == [[1., 2.]]


def test_put_hook_with_arguments():
    seen = []

    def hook(value, tag):
        seen.append((tag, value.sum()))
    x = tensor.vector('x')
    compile_function([x], put_hook(x, hook, 'sum'))(
        numpy.array([1., 2.], dtype=floatX))
    assert seen == [('sum', 3.)]


# Compilation

def test_resolve_mode(monkeypatch):
    assert resolve_mode('CVM') == 'CVM'
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', 'FAST_COMPILE')
    assert resolve_mode() == 'FAST_COMPILE'
    config.compile_mode = 'CVM'
    try:
        assert resolve_mode() == 'CVM'
        assert resolve_mode('JAX') == 'JAX'
        config.compile_mode = None
        assert resolve_mode() == default_mode()
    finally:
        config.unset('compile_mode')
    assert resolve_mode() == 'FAST_COMPILE'


def test_compile_function_uses_the_configured_mode(monkeypatch):
    monkeypatch.setenv('BLOCKS_COMPILE_MODE', 'FAST_COMPILE')
    x = tensor.scalar('x')
    f = compile_function([x], 2 * x)
    assert f.maker.mode.linker.__class__.__name__ == 'VMLinker'
    assert float(f(3.)) == 6.
    f = compile_function([x], 2 * x, mode='FAST_COMPILE',
                         allow_input_downcast=True)
    assert float(f(numpy.float64(3.))) == 6.


# Miscellaneous

def test_repr_attrs():
    class Thing:
        def __init__(self):
            self.value = 'v'
    thing = Thing()
    text = repr_attrs(thing, 'value')
    assert text.startswith('<{}.Thing object at 0x'.format(__name__))
    assert text.endswith(': value=v>')
    assert repr_attrs(thing, 'missing').endswith('>')
    assert 'missing' not in repr_attrs(thing, 'missing')


def test_change_recursion_limit():
    old = sys.getrecursionlimit()
    with change_recursion_limit(old + 1000):
        assert sys.getrecursionlimit() == old + 1000
    assert sys.getrecursionlimit() == old
    with change_recursion_limit(10):
        assert sys.getrecursionlimit() == old


def test_annotating_list():
    seen = []

    class Watched(AnnotatingList):
        def _setitem(self, key, value):
            seen.append(('set', value))

        def _delitem(self, key):
            seen.append(('del', self._items[key]))
    items = Watched([1, 2])
    items.append(3)
    items[0] = 0
    del items[1]
    assert items == [0, 3] and len(items) == 2
    assert repr(items) == '[0, 3]'
    assert seen == [('set', 1), ('set', 2), ('set', 3), ('set', 0),
                    ('del', 2)]
    with pytest.raises(TypeError, match="slice assignment"):
        items[0:1] = [5]


def test_repr_attrs_with_and_without_attributes():
    class Thing:
        value = 3
    thing = Thing()
    assert repr_attrs(thing) == '<tests.test_utils.Thing object at {:#x}>'.format(
        id(thing))
    assert repr_attrs(thing, 'value').endswith(': value=3>')
    assert repr_attrs(thing, 'missing').endswith(' object at {:#x}>'.format(
        id(thing)))


def test_print_sum_and_print_shape_print_a_header(capsys):
    from blocks.utils.utils import print_shape, print_sum
    x = tensor.vector('x')
    function = compile_function([x], [print_sum(x, 'total'), print_shape(x)])
    function(numpy.array([1., 2.], dtype=pytensor.config.floatX))
    assert sorted(capsys.readouterr().out.splitlines()) == [
        'print_shape: (2,)', 'total: 3.0']
