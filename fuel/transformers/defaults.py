"""Default transformers that datasets attach to their streams."""
from fuel.transformers.base import SourcewiseTransformer, source_names
from fuel.transformers.image import ImagesFromBytes
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


class ToBytes(SourcewiseTransformer):
    """Turn arrays (e.g. the uint8 rows of a ragged HDF5 source) into ``bytes``.

    Encoded images and other byte strings of varying length are stored in
    HDF5 as variable-length uint8 arrays; this gives their bytes back.

    Parameters
    ----------
    stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to transform.
    which_sources : tuple of str, optional
        The sources to convert. Default: all.

    Notes
    -----
    The axis labels of the converted sources become ``('bytes',)`` on a
    stream of examples and ``('batch', 'bytes')`` on a stream of batches; a
    batch becomes a list of ``bytes``.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> rows = [numpy.array([104, 105], 'uint8'), numpy.array([33], 'uint8')]
    >>> stream = ToBytes(DataStream(IterableDataset({'text': rows})))
    >>> list(stream.get_epoch_iterator())
    [(b'hi',), (b'!',)]
    >>> stream.axis_labels
    {'text': ('bytes',)}
    """
    def __init__(self, stream, **kwargs):
        kwargs.setdefault('produces_examples', stream.produces_examples)
        axis_labels = dict(stream.axis_labels or {})
        for source in source_names(kwargs.get('which_sources'), stream):
            batched = ('batch' in (axis_labels.get(source) or ()) or
                       not kwargs['produces_examples'])
            axis_labels[source] = ('batch', 'bytes') if batched else ('bytes',)
        kwargs.setdefault('axis_labels', axis_labels)
        super().__init__(stream, **kwargs)

    def transform_source_example(self, example, _):
        return _to_bytes(example)

    def transform_source_batch(self, batch, _):
        return [_to_bytes(example) for example in batch]


def _to_bytes(example):
    if isinstance(example, bytes):
        return example
    return example.tobytes()


def rgb_images_from_encoded_bytes(which_sources):
    """Decode images stored as variable-length uint8 rows into RGB arrays.

    Parameters
    ----------
    which_sources : tuple of str
        The sources holding the encoded images.

    Returns
    -------
    tuple
        ``(transformer, args, kwargs)`` triples for
        :attr:`fuel.datasets.Dataset.default_transformers`: :class:`ToBytes`
        then :class:`~fuel.transformers.image.ImagesFromBytes`.

    >>> [transformer.__name__ for transformer, _, _ in
    ...  rgb_images_from_encoded_bytes(('encoded_images',))]
    ['ToBytes', 'ImagesFromBytes']
    """
    return ((ToBytes, [], {'which_sources': which_sources}),
            (ImagesFromBytes, [], {'which_sources': which_sources}))
