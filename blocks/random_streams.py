"""Streams of random variables whose generators advance by themselves.

Theano-era Blocks drew noise, dropout masks and samples from
``MRG_RandomStreams``: ``rng.normal(size)`` gave a variable whose
generator state advanced at every call of a compiled function. PyTensor
deprecated its equivalent, ``pytensor.tensor.random.utils.RandomStream``
(a ``FutureWarning`` since PyTensor 3), in favour of explicit generator
updates. :class:`RandomStream` keeps the mechanism Blocks is built on, on
PyTensor's public API: each draw gets its own shared NumPy ``Generator``,
seeded from the stream's ``SeedSequence``, whose ``default_update`` is the
generator the draw returns. It draws exactly what PyTensor's stream draws
for the same seed, and it pickles.

"""
import functools
import importlib
import warnings

import numpy
from pytensor.compile.sharedvalue import shared

__all__ = ['RandomStream']

#: The module whose random variables a stream draws from by default.
DEFAULT_NAMESPACE = 'pytensor.tensor.random.basic'


class RandomStream(object):
    """Random variables that advance their generators at each call.

    Parameters
    ----------
    seed : int, optional
        The seed of the stream's ``numpy.random.SeedSequence``; each draw
        spawns its generator's seed from it.
    namespace : module, optional
        The module of random variables the stream offers as methods
        (``normal``, ``uniform``, ``binomial``, ...). Default:
        :mod:`pytensor.tensor.random.basic`.

    Examples
    --------
    >>> import pytensor
    >>> stream = RandomStream(1)
    >>> x = stream.uniform(size=(2,))
    >>> f = pytensor.function([], x)
    >>> bool((f() != f()).all())  # the generator advanced
    True
    >>> stream.seed(1)
    >>> first = f()
    >>> stream.seed(1)
    >>> bool((f() == first).all())
    True

    """
    def __init__(self, seed=None, namespace=None):
        if namespace is None:
            namespace = importlib.import_module(DEFAULT_NAMESPACE)
        self.namespaces = [(namespace, set(namespace.__all__))]
        self.default_instance_seed = seed
        self.state_updates = []
        self.gen_seedgen = numpy.random.SeedSequence(seed)

    def __getattr__(self, name):
        if name.startswith('__') or 'namespaces' not in self.__dict__:
            raise AttributeError(name)
        for module, names in self.namespaces:
            if name in names and hasattr(module, name):
                distribution = getattr(module, name)
                return functools.partial(self.gen, distribution)
        raise AttributeError('{} has no random variable {!r}'.format(
            type(self).__name__, name))

    def updates(self):
        """The ``(generator, new generator)`` pairs of all draws so far."""
        return list(self.state_updates)

    def seed(self, seed=None):
        """Reseed the stream and every generator drawn from it so far."""
        if seed is None:
            seed = self.default_instance_seed
        self.gen_seedgen = numpy.random.SeedSequence(seed)
        seeds = self.gen_seedgen.spawn(len(self.state_updates))
        for (generator, _), generator_seed in zip(self.state_updates, seeds):
            generator.set_value(numpy.random.default_rng(generator_seed),
                                borrow=True)

    def gen(self, distribution, *args, **kwargs):
        """Draw from `distribution` with a new generator of this stream."""
        if 'rng' in kwargs:
            raise ValueError('rng cannot be given to a draw of a '
                             'RandomStream: the stream makes the generator')
        generator_seed, = self.gen_seedgen.spawn(1)
        generator = shared(numpy.random.default_rng(generator_seed),
                           borrow=True)
        with warnings.catch_warnings():
            # PyTensor 3.3 announces that draws will return the new
            # generator and that default updates will go; Blocks' graphs
            # (noise, dropout, sampling in scans) rely on both as they are.
            warnings.filterwarnings('ignore', category=DeprecationWarning,
                                    message='RandomVariable Ops will stop')
            warnings.filterwarnings('ignore', category=DeprecationWarning,
                                    message='Setting default_update')
            output = distribution(*args, rng=generator, **kwargs)
            new_generator = output.owner.outputs[0]
            generator.default_update = new_generator
        self.state_updates.append((generator, new_generator))
        return output

    def __getstate__(self):
        state = self.__dict__.copy()
        state['namespaces'] = [(module.__name__, names)
                               for module, names in self.namespaces]
        return state

    def __setstate__(self, state):
        # Checkpoints of Blocks releases that subclassed PyTensor's stream
        # also hold its constructor and cached drawing closures (absent
        # here); drop what this class does not use.
        state = dict(state)
        state.pop('rng_ctor', None)
        drawers = set().union(*(names for _, names in state['namespaces']))
        state = {key: value for key, value in state.items()
                 if key not in drawers}
        state['namespaces'] = [(importlib.import_module(name), names)
                               for name, names in state['namespaces']]
        self.__dict__.update(state)
