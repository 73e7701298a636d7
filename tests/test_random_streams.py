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
