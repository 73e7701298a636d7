"""blocks.random_streams.RandomStream: PyTensor's stream, kept alive."""
import pickle
import warnings

import numpy
import pytensor
import pytest

from blocks.bricks.interfaces import PicklableRandomStream
from blocks.random_streams import RandomStream


def draws(stream):
    x = stream.normal(0, 1, size=(3,))
    y = stream.binomial(n=1, p=0.5, size=(4,))
    return pytensor.function([], [x, y])


def test_draws_are_those_of_pytensor_stream():
    from pytensor.tensor.random.utils import RandomStream as PyTensorStream
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        theirs = draws(PyTensorStream(123))
    ours = draws(RandomStream(123))
    for _ in range(3):
        for a, b in zip(ours(), theirs()):
            numpy.testing.assert_array_equal(a, b)


def test_drawing_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        function = draws(RandomStream(1))
        function()


def test_generators_advance_and_reseed():
    stream = RandomStream(5)
    function = draws(stream)
    first = function()
    second = function()
    assert not numpy.array_equal(first[0], second[0])
    assert len(stream.updates()) == 2
    stream.seed()
    numpy.testing.assert_array_equal(function()[0], first[0])


def test_pickled_stream_continues_where_it_was():
    stream = RandomStream(9)
    x = stream.uniform(size=(2,))
    function = pytensor.function([], x)
    function()
    clone_stream, clone_x = pickle.loads(pickle.dumps((stream, x)))
    clone = pytensor.function([], clone_x)
    numpy.testing.assert_array_equal(clone(), function())
    # and the unpickled stream still draws
    assert clone_stream.normal(size=(1,)).owner is not None


def test_checkpoints_of_the_subclass_of_pytensor_stream_load():
    # what PicklableRandomStream.__getstate__ wrote when it subclassed
    # PyTensor's stream: its constructor and a cached drawing closure too
    stream = RandomStream(3)
    state = stream.__getstate__()
    state['rng_ctor'] = numpy.random.default_rng
    state['normal'] = None
    loaded = PicklableRandomStream.__new__(PicklableRandomStream)
    loaded.__setstate__(state)
    assert 'normal' not in loaded.__dict__
    assert 'rng_ctor' not in loaded.__dict__
    assert loaded.normal(size=(2,)).owner is not None


def test_errors_are_named():
    stream = RandomStream(1)
    with pytest.raises(AttributeError, match="no random variable 'gaussian'"):
        stream.gaussian
    with pytest.raises(ValueError, match='rng cannot be given'):
        stream.normal(rng=None)


def _value(variable):
    return pytensor.function([], variable)()


@pytest.mark.parametrize('theano_call, pytensor_call', [
    (lambda s: s.normal((2, 3), avg=1.0, std=2.0),
     lambda s: s.normal(1.0, 2.0, size=(2, 3))),
    (lambda s: s.normal(size=(4,), std=3.0),
     lambda s: s.normal(0.0, 3.0, size=(4,))),
    (lambda s: s.uniform((2, 3), low=-1.0, high=2.0),
     lambda s: s.uniform(-1.0, 2.0, size=(2, 3))),
    (lambda s: s.uniform((5,)), lambda s: s.uniform(0.0, 1.0, size=(5,))),
    (lambda s: s.binomial((6,), p=0.3), lambda s: s.binomial(1, 0.3, (6,))),
    (lambda s: s.binomial(size=(6,), prob=0.3, nstreams=4),
     lambda s: s.binomial(1, 0.3, (6,))),
    (lambda s: s.multinomial(pvals=numpy.full((3, 4), 0.25)),
     lambda s: s.multinomial(1, numpy.full((3, 4), 0.25))),
])
def test_theano_form_draws_what_pytensor_form_draws(
        theano_call, pytensor_call):
    theirs = _value(pytensor_call(RandomStream(7)))
    ours = _value(theano_call(RandomStream(7)))
    assert ours.shape == theirs.shape
    numpy.testing.assert_array_equal(ours, theirs)


def test_theano_form_takes_a_symbolic_size_and_casts():
    x = pytensor.tensor.matrix('x')
    stream = RandomStream(1)
    mask = stream.binomial(x.shape, p=1.0, dtype='float32')
    noise = stream.normal(x.shape, std=0.0)
    assert mask.dtype == 'float32'
    assert noise.dtype == pytensor.config.floatX
    function = pytensor.function([x], [mask, noise])
    mask_value, noise_value = function(numpy.zeros((2, 3)))
    numpy.testing.assert_array_equal(mask_value, numpy.ones((2, 3)))
    numpy.testing.assert_array_equal(noise_value, numpy.zeros((2, 3)))


def test_theano_form_rejects_unknown_arguments():
    stream = RandomStream(1)
    with pytest.raises(TypeError, match='loc'):
        stream.normal((2,), loc=1.0)
    with pytest.raises(TypeError, match='multiple values'):
        stream.uniform((2,), size=(3,))
    with pytest.raises(TypeError, match='pvals'):
        stream.multinomial(size=(2,), dtype='int64')
