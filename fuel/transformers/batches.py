"""Transformers that group examples into batches, split batches, pad or merge."""
import numpy

from fuel import config
from fuel.schemes import BatchSizeScheme
from fuel.streams import AbstractDataStream
from fuel.transformers.base import (Transformer, check_data_stream,
                                    source_names)
from fuel.transformers.simple import copy_axis_labels


def stack_examples(examples):
    """Stack examples into an array; examples of different shapes go into an object array.

    >>> stack_examples([[1, 2], [3, 4]]).shape
    (2, 2)
    >>> batch = stack_examples([[1, 2], [3]])
    >>> batch.dtype, batch[1]
    (dtype('O'), [3])
    """
    try:
        return numpy.asarray(examples)
    except ValueError:
        batch = numpy.empty(len(examples), dtype=object)
        for i, example in enumerate(examples):
            batch[i] = example
        return batch


class Batch(Transformer):
    """Group the examples of a stream into batches.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of examples.
    iteration_scheme : :class:`~fuel.schemes.BatchSizeScheme`
        The scheme whose requests are the batch sizes, e.g.
        :class:`~fuel.schemes.ConstantScheme`.
    strictness : {0, 1, 2}, optional
        What to do with the last batch when the examples run out before it
        is full: 0 returns it smaller, 1 drops it, 2 raises ``ValueError``.
        Default 0.

    Notes
    -----
    Each source of a batch is a NumPy array; examples of different shapes
    (e.g. sentences) give an array of objects, which :class:`Padding` turns
    into a padded array and a mask.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.schemes import ConstantScheme
    >>> from fuel.streams import DataStream
    >>> stream = Batch(DataStream(IterableDataset(range(5))),
    ...                iteration_scheme=ConstantScheme(2))
    >>> [batch[0].tolist() for batch in stream.get_epoch_iterator()]
    [[0, 1], [2, 3], [4]]
    """
    def __init__(self, data_stream, iteration_scheme, strictness=0, **kwargs):
        check_data_stream(data_stream)
        if not data_stream.produces_examples:
            raise ValueError('Batch needs a stream of examples, but the wrapped '
                             'stream produces batches')
        if iteration_scheme is None or iteration_scheme.requests_examples:
            raise ValueError('the iteration_scheme of Batch must request batch '
                             'sizes (e.g. ConstantScheme), got {!r}'.format(
                                 iteration_scheme))
        if strictness not in (0, 1, 2):
            raise ValueError('strictness must be 0, 1 or 2, got {!r}'.format(
                strictness))
        if data_stream.axis_labels:
            kwargs.setdefault('axis_labels', {
                source: ('batch',) + tuple(labels) if labels else None
                for source, labels in data_stream.axis_labels.items()})
        super().__init__(data_stream, iteration_scheme=iteration_scheme, **kwargs)
        self.strictness = strictness

    def get_data(self, request=None):
        if request is None:
            raise ValueError('Batch needs a batch size as request')
        data = [[] for _ in self.sources]
        for _ in range(request):
            try:
                example = next(self.child_epoch_iterator)
            except StopIteration:
                if not data[0] or self.strictness == 1:
                    raise
                if self.strictness == 2:
                    raise ValueError(
                        'the examples ran out after {} of the {} examples of '
                        'a batch (strictness=2 forbids a smaller last batch)'
                        .format(len(data[0]), request))
                break
            for source_data, value in zip(data, example):
                source_data.append(value)
        return tuple(stack_examples(source_data) for source_data in data)


class Unpack(Transformer):
    """Split the batches of a stream into examples.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> batches = DataStream(IterableDataset([numpy.array([1, 2]),
    ...                                       numpy.array([3])]))
    >>> batches.produces_examples = False
    >>> [int(example[0]) for example in Unpack(batches).get_epoch_iterator()]
    [1, 2, 3]
    """
    def __init__(self, data_stream, **kwargs):
        check_data_stream(data_stream)
        if data_stream.produces_examples:
            raise ValueError('Unpack needs a stream of batches, but the wrapped '
                             'stream produces examples')
        if data_stream.axis_labels:
            kwargs.setdefault('axis_labels', {
                source: tuple(labels[1:]) if labels else None
                for source, labels in data_stream.axis_labels.items()})
        super().__init__(data_stream, produces_examples=True, **kwargs)
        self.batch = None
        self.position = 0

    def get_epoch_iterator(self, **kwargs):
        self.batch = None
        self.position = 0
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('Unpack takes no requests, got {!r}'.format(request))
        while self.batch is None or self.position >= len(self.batch[0]):
            self.batch = next(self.child_epoch_iterator)
            self.position = 0
        example = tuple(source_batch[self.position] for source_batch in self.batch)
        self.position += 1
        return example


class Padding(Transformer):
    """Pad the sequences of a batch to the same length, and add masks.

    For each padded source ``S``, a source ``S_mask`` follows it: 1 where the
    batch holds data, 0 where it holds padding.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of batches whose examples are sequences (the first axis of
        an example is its length; the other axes must agree).
    mask_sources : tuple of str, optional
        The sources to pad. Default: all.
    mask_dtype : str, optional
        The dtype of the masks. Default ``fuel.config.floatX``.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.schemes import ConstantScheme
    >>> from fuel.streams import DataStream
    >>> stream = Padding(Batch(DataStream(IterableDataset([[1, 2, 3], [4]])),
    ...                        iteration_scheme=ConstantScheme(2)),
    ...                  mask_dtype='int8')
    >>> stream.sources
    ('data', 'data_mask')
    >>> data, mask = next(stream.get_epoch_iterator())
    >>> data.tolist(), mask.tolist()
    ([[1, 2, 3], [4, 0, 0]], [[1, 1, 1], [1, 0, 0]])
    """
    def __init__(self, data_stream, mask_sources=None, mask_dtype=None, **kwargs):
        check_data_stream(data_stream)
        if data_stream.produces_examples:
            raise ValueError('Padding needs a stream of batches, but the wrapped '
                             'stream produces examples')
        mask_sources = source_names(mask_sources, data_stream)
        unknown = [source for source in mask_sources
                   if source not in data_stream.sources]
        if unknown:
            raise ValueError('mask_sources must be sources of the wrapped stream '
                             '{}; {} are not'.format(data_stream.sources, unknown))
        if data_stream.axis_labels:
            labels = {}
            for source, source_labels in data_stream.axis_labels.items():
                labels[source] = source_labels
                if source in mask_sources:
                    labels[source + '_mask'] = (tuple(source_labels[:2])
                                                if source_labels else None)
            kwargs.setdefault('axis_labels', labels)
        super().__init__(data_stream, produces_examples=False, **kwargs)
        self.mask_sources = mask_sources
        self.mask_dtype = numpy.dtype(mask_dtype or config.floatX).name

    @property
    def sources(self):
        sources = []
        for source in self.data_stream.sources:
            sources.append(source)
            if source in self.mask_sources:
                sources.append(source + '_mask')
        return tuple(sources)

    def transform_batch(self, batch):
        batch_with_masks = []
        for source, source_batch in zip(self.data_stream.sources, batch):
            if source not in self.mask_sources:
                batch_with_masks.append(source_batch)
                continue
            examples = [numpy.asarray(example) for example in source_batch]
            shapes = [example.shape for example in examples]
            if any(len(shape) == 0 for shape in shapes):
                raise ValueError('source {!r} holds scalars, which cannot be '
                                 'padded; leave it out of mask_sources'.format(source))
            rest_shape = shapes[0][1:]
            if any(shape[1:] != rest_shape for shape in shapes):
                raise ValueError('the examples of source {!r} must agree on all '
                                 'axes but the first; got shapes {}'.format(
                                     source, shapes))
            lengths = [shape[0] for shape in shapes]
            dtype = numpy.result_type(*examples) if examples else numpy.float64
            padded = numpy.zeros((len(examples), max(lengths, default=0)) +
                                 rest_shape, dtype=dtype)
            mask = numpy.zeros((len(examples), max(lengths, default=0)),
                               dtype=self.mask_dtype)
            for i, (example, length) in enumerate(zip(examples, lengths)):
                padded[i, :length] = example
                mask[i, :length] = 1
            batch_with_masks.append(padded)
            batch_with_masks.append(mask)
        return tuple(batch_with_masks)


class Cache(Transformer):
    """Read large batches from a stream and give them out in smaller ones.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of (large) batches.
    iteration_scheme : :class:`~fuel.schemes.BatchSizeScheme`
        Requests the sizes of the batches to give out.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IndexableDataset
    >>> from fuel.schemes import ConstantScheme, SequentialScheme
    >>> from fuel.streams import DataStream
    >>> big = DataStream(IndexableDataset(numpy.arange(7)),
    ...                  iteration_scheme=SequentialScheme(7, 4))
    >>> stream = Cache(big, ConstantScheme(3))
    >>> [batch[0].tolist() for batch in stream.get_epoch_iterator()]
    [[0, 1, 2], [3, 4, 5], [6]]
    """
    def __init__(self, data_stream, iteration_scheme, **kwargs):
        check_data_stream(data_stream)
        if data_stream.produces_examples:
            raise ValueError('Cache needs a stream of batches, but the wrapped '
                             'stream produces examples')
        if not isinstance(iteration_scheme, BatchSizeScheme):
            raise ValueError('the iteration_scheme of Cache must request batch '
                             'sizes (a BatchSizeScheme such as ConstantScheme), '
                             'got {!r}'.format(iteration_scheme))
        kwargs.setdefault('axis_labels', copy_axis_labels(data_stream))
        super().__init__(data_stream, iteration_scheme=iteration_scheme, **kwargs)
        self.cache = [[] for _ in self.sources]

    def get_epoch_iterator(self, **kwargs):
        self.cache = [[] for _ in self.sources]
        return super().get_epoch_iterator(**kwargs)

    def _cache(self):
        for cache, data in zip(self.cache, next(self.child_epoch_iterator)):
            cache.extend(data)

    def get_data(self, request=None):
        if request is None:
            raise ValueError('Cache needs a batch size as request')
        while len(self.cache[0]) < request:
            try:
                self._cache()
            except StopIteration:
                if not self.cache[0]:
                    raise
                break
        data = []
        for i, cache in enumerate(self.cache):
            data.append(stack_examples(cache[:request]))
            self.cache[i] = cache[request:]
        return tuple(data)


class Merge(AbstractDataStream):
    """Read several streams side by side and join their items.

    Parameters
    ----------
    data_streams : list of :class:`~fuel.streams.AbstractDataStream`
        The streams; all must give examples, or all batches.
    sources : tuple of str
        The names of all their sources, in order.
    axis_labels : dict, optional
        The axis labels of the merged sources.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> merged = Merge([DataStream(IterableDataset(['a', 'b'])),
    ...                 DataStream(IterableDataset([1, 2]))],
    ...                ('letters', 'numbers'))
    >>> list(merged.get_epoch_iterator())
    [('a', 1), ('b', 2)]
    """
    def __init__(self, data_streams, sources, axis_labels=None):
        super().__init__(iteration_scheme=None, axis_labels=axis_labels)
        data_streams = list(data_streams)
        for data_stream in data_streams:
            check_data_stream(data_stream)
        if not data_streams:
            raise ValueError('data_streams must hold at least one stream')
        kinds = set(stream.produces_examples for stream in data_streams)
        if len(kinds) != 1:
            raise ValueError('all data streams must produce the same kind of '
                             'data (examples or batches)')
        total = sum(len(stream.sources) for stream in data_streams)
        if isinstance(sources, str) or len(sources) != total:
            raise ValueError('sources must name the {} sources of the merged '
                             'streams, got {!r}'.format(total, sources))
        self.data_streams = data_streams
        self.produces_examples = kinds.pop()
        self.sources = sources
        self.child_epoch_iterators = None

    def close(self):
        for stream in self.data_streams:
            stream.close()

    def reset(self):
        for stream in self.data_streams:
            stream.reset()

    def next_epoch(self):
        for stream in self.data_streams:
            stream.next_epoch()

    def get_epoch_iterator(self, **kwargs):
        self.child_epoch_iterators = [stream.get_epoch_iterator()
                                      for stream in self.data_streams]
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('Merge takes no requests, got {!r}'.format(request))
        result = []
        for iterator in self.child_epoch_iterators:
            result.extend(next(iterator))
        return tuple(result)
