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

``normal``, ``uniform``, ``binomial`` and ``multinomial`` also take the
arguments of Theano's streams, size first (``rng.normal(x.shape,
std=0.1)``, ``rng.binomial(x.shape, p=0.5, dtype=floatX)``,
``rng.multinomial(pvals=p)``), as Blocks' users' code calls them.

"""
import functools
import importlib
import warnings

import numpy
from pytensor import config
from pytensor.compile.sharedvalue import shared

__all__ = ['RandomStream']

#: The module whose random variables a stream draws from by default.
DEFAULT_NAMESPACE = 'pytensor.tensor.random.basic'


#: Keywords only Theano's streams take (besides each draw's own).
_THEANO_KEYWORDS = ('ndim', 'nstreams')


def _is_size(value):
    """Whether `value` reads as a shape: a tuple or list, or a symbolic
    integer vector (such as ``x.shape``)."""
    if isinstance(value, (tuple, list)):
        return True
    dtype, ndim = getattr(value, 'dtype', None), getattr(value, 'ndim', None)
    return (ndim == 1 and dtype is not None and
            numpy.issubdtype(numpy.dtype(dtype), numpy.integer))


def _theano_form(args, kwargs, keywords):
    """Whether a draw is called as Theano's streams were: a size first,
    or a keyword only Theano's form of the draw has (`keywords`)."""
    return (any(key in kwargs for key in _THEANO_KEYWORDS + keywords) or
            bool(args) and _is_size(args[0]))


def _theano_arguments(name, args, kwargs, parameters):
    """Bind a Theano-form call to `parameters`, ``(name, default)``
    pairs; Theano's ``ndim`` and ``nstreams`` are accepted and unused."""
    kwargs = dict(kwargs)
    kwargs.pop('ndim', None)
    kwargs.pop('nstreams', None)
    names = [parameter for parameter, _ in parameters]
    if len(args) > len(names):
        raise TypeError('{}() takes at most {} positional arguments in '
                        "Theano's form ({}), got {}".format(
                            name, len(names), ', '.join(names), len(args)))
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError('{}() got an unexpected keyword argument {!r} '
                            "(Theano's form: {})".format(
                                name, key, ', '.join(names)))
        if key in values:
            raise TypeError('{}() got multiple values for argument '
                            '{!r}'.format(name, key))
        values[key] = value
    return [values.get(parameter, default)
            for parameter, default in parameters]


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
        return functools.partial(self.gen, self._pytensor(name))

    # Theano's streams, which Blocks users' code calls, put the size first
    # (``rng.normal(x.shape, std=0.1)``, ``rng.binomial(x.shape, p=0.5,
    # dtype=floatX)``, ``rng.multinomial(pvals=p)``), where PyTensor's put
    # the distribution's parameters first. A call in Theano's form (a size
    # as the first positional argument, or one of its keywords) is
    # translated; any other call is PyTensor's.
    def normal(self, *args, **kwargs):
        """A normal draw, called as in PyTensor or as in Theano.

        Theano's form: ``normal(size=None, avg=0.0, std=1.0, ndim=None,
        dtype=None, nstreams=None)``.

        >>> import pytensor
        >>> x = RandomStream(1).normal((2, 3), avg=5.0, std=0.0)
        >>> pytensor.function([], x)().tolist()
        [[5.0, 5.0, 5.0], [5.0, 5.0, 5.0]]
        """
        if not _theano_form(args, kwargs, ('avg', 'std')):
            return self.gen(self._pytensor('normal'), *args, **kwargs)
        size, avg, std, dtype = _theano_arguments(
            'normal', args, kwargs, (('size', None), ('avg', 0.0),
                                     ('std', 1.0), ('dtype', None)))
        return self.gen(self._pytensor('normal'), avg, std, size=size,
                        dtype=dtype or config.floatX)

    def uniform(self, *args, **kwargs):
        """A uniform draw, called as in PyTensor or as in Theano.

        Theano's form: ``uniform(size=None, low=0.0, high=1.0, ndim=None,
        dtype=None, nstreams=None)``.

        >>> import pytensor
        >>> u = pytensor.function([], RandomStream(1).uniform((4,)))()
        >>> u.shape, bool(((0 <= u) & (u < 1)).all())
        ((4,), True)
        """
        if not _theano_form(args, kwargs, ()):
            return self.gen(self._pytensor('uniform'), *args, **kwargs)
        size, low, high, dtype = _theano_arguments(
            'uniform', args, kwargs, (('size', None), ('low', 0.0),
                                      ('high', 1.0), ('dtype', None)))
        return self.gen(self._pytensor('uniform'), low, high, size=size,
                        dtype=dtype or config.floatX)

    def binomial(self, *args, **kwargs):
        """A binomial draw, called as in PyTensor or as in Theano.

        Theano's form: ``binomial(size=None, p=1, ndim=None,
        dtype='int64', nstreams=None, n=1)`` (``MRG_RandomStreams``' default
        ``p``; ``prob`` is an old name of ``p``); the draw is cast to
        `dtype` (a dropout mask in ``floatX``, say).

        >>> import pytensor
        >>> mask = RandomStream(1).binomial((3,), p=1.0, dtype='float64')
        >>> pytensor.function([], mask)()
        array([1., 1., 1.])
        """
        if not _theano_form(args, kwargs, ('prob', 'dtype')):
            return self.gen(self._pytensor('binomial'), *args, **kwargs)
        if 'prob' in kwargs:
            kwargs.setdefault('p', kwargs.pop('prob'))
        size, p, dtype, n = _theano_arguments(
            'binomial', args, kwargs, (('size', None), ('p', 1),
                                       ('dtype', 'int64'), ('n', 1)))
        draw = self.gen(self._pytensor('binomial'), n, p, size=size)
        return draw if draw.dtype == dtype else draw.astype(dtype)

    def multinomial(self, *args, **kwargs):
        """A multinomial draw, called as in PyTensor or as in Theano.

        Theano's form: ``multinomial(size=None, n=1, pvals=None, ndim=None,
        dtype='int64', nstreams=None)``: one row of counts per row of
        `pvals`.

        >>> import pytensor
        >>> draw = RandomStream(1).multinomial(pvals=[[0., 1.], [1., 0.]])
        >>> pytensor.function([], draw)()
        array([[0, 1],
               [1, 0]])
        """
        if not _theano_form(args, kwargs, ('pvals', 'dtype')):
            return self.gen(self._pytensor('multinomial'), *args, **kwargs)
        size, n, pvals, dtype = _theano_arguments(
            'multinomial', args, kwargs, (('size', None), ('n', 1),
                                          ('pvals', None), ('dtype', 'int64')))
        if pvals is None:
            raise TypeError('multinomial needs pvals, the probabilities of '
                            'the categories, got pvals=None')
        draw = self.gen(self._pytensor('multinomial'), n, pvals, size=size)
        return draw if draw.dtype == dtype else draw.astype(dtype)

    def _pytensor(self, name):
        """The random variable `name` of the stream's namespaces."""
        for module, names in self.namespaces:
            if name in names and hasattr(module, name):
                return getattr(module, name)
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
