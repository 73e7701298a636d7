"""Default transformers that datasets attach to their streams."""
from fuel.transformers.simple import Cast, ScaleAndShift


def uint8_pixels_to_floatX(which_sources):
    """Scale uint8 pixels to [0, 1] and cast them to ``fuel.config.floatX``.

    Parameters
    ----------
    which_sources : tuple of str
        The sources holding the pixels.

    Returns
    -------
    tuple
        ``(transformer, args, kwargs)`` triples for
        :attr:`fuel.datasets.Dataset.default_transformers`; ``'floatX'`` is
        resolved when the stream is created.

    Examples
    --------
    >>> [transformer.__name__ for transformer, _, _ in
    ...  uint8_pixels_to_floatX(('features',))]
    ['ScaleAndShift', 'Cast']
    """
    return ((ScaleAndShift, [1 / 255.0, 0], {'which_sources': which_sources}),
            (Cast, ['floatX'], {'which_sources': which_sources}))
