"""Small synthetic datasets for trying out models."""
from collections import OrderedDict

import numpy

from fuel import config
from fuel.datasets.base import IndexableDataset


class Spiral(IndexableDataset):
    """Points on interleaved spiral arms, one arm per class.

    Parameters
    ----------
    num_examples : int, optional
        The number of points. Default 1000.
    classes : int, optional
        The number of arms. Default 1.
    cycles : float, optional
        How many turns each arm makes. Default 1.
    noise : float, optional
        The standard deviation of the Gaussian noise added to the points.
        Default 0.
    seed : int, optional
        The seed of the random numbers. Default 0.
    sources, axis_labels
        See :class:`~fuel.datasets.Dataset`.

    Notes
    -----
    Sources: ``features`` (the points, ``(num_examples, 2)``, floatX),
    ``position`` (where on its arm each point is, in [0, 1]) and ``label``
    (the arm).

    Examples
    --------
    >>> spiral = Spiral(num_examples=10, classes=2)
    >>> spiral.sources
    ('features', 'position', 'label')
    >>> spiral.features.shape, sorted(set(spiral.label.tolist()))
    ((10, 2), [0, 1])
    """
    def __init__(self, num_examples=1000, classes=1, cycles=1., noise=0.0,
                 seed=0, **kwargs):
        rng = numpy.random.RandomState(seed)
        position = rng.uniform(0., 1., size=num_examples)
        label = rng.randint(0, classes, size=num_examples)
        radius = (2 * position + 1) / 3.
        phase = label * (2 * numpy.pi) / classes
        angle = 2 * numpy.pi * cycles * position + phase
        features = numpy.zeros((num_examples, 2), dtype=config.floatX)
        features[:, 0] = radius * numpy.sin(angle)
        features[:, 1] = radius * numpy.cos(angle)
        features += noise * rng.normal(size=(num_examples, 2))
        data = OrderedDict([('features', features), ('position', position),
                            ('label', label)])
        super().__init__(data, **kwargs)


class SwissRoll(IndexableDataset):
    """Points on a Swiss roll: a rolled-up plane in three dimensions.

    Parameters
    ----------
    num_examples : int, optional
        The number of points. Default 1000.
    noise : float, optional
        The standard deviation of the Gaussian noise added to the points.
        Default 0.
    seed : int, optional
        The seed of the random numbers. Default 0.
    sources, axis_labels
        See :class:`~fuel.datasets.Dataset`.

    Notes
    -----
    Sources: ``features`` (the points, ``(num_examples, 3)``, floatX) and
    ``position`` (each point's coordinates on the unrolled plane,
    ``(num_examples, 2)``).

    Examples
    --------
    >>> roll = SwissRoll(num_examples=5)
    >>> roll.features.shape, roll.position.shape
    ((5, 3), (5, 2))
    """
    def __init__(self, num_examples=1000, noise=0.0, seed=0, **kwargs):
        cycles = 1.5
        rng = numpy.random.RandomState(seed)
        position = rng.uniform(0., 1., size=num_examples)
        phi = cycles * numpy.pi * (1 + 2 * position)
        radius = (1 + 2 * position) / 3
        height = rng.uniform(-1, 1, size=num_examples)
        features = numpy.zeros((num_examples, 3), dtype=config.floatX)
        features[:, 0] = radius * numpy.cos(phi)
        features[:, 1] = radius * numpy.sin(phi)
        features[:, 2] = height
        features += noise * rng.normal(size=(num_examples, 3))
        coordinates = numpy.zeros((num_examples, 2), dtype=config.floatX)
        coordinates[:, 0] = position
        coordinates[:, 1] = height
        data = OrderedDict([('features', features), ('position', coordinates)])
        super().__init__(data, **kwargs)
