"""Transformers that change data one item at a time, or rename and select sources."""
import logging

import numpy

from fuel import config
from fuel.exceptions import SourceNameError
from fuel.transformers.base import (AgnosticSourcewiseTransformer,
                                    AgnosticTransformer, SourcewiseTransformer,
                                    Transformer, check_data_stream)

logger = logging.getLogger(__name__)


def copy_axis_labels(data_stream):
    """A copy of a stream's axis labels, or ``None``."""
    return dict(data_stream.axis_labels) if data_stream.axis_labels else None


class Mapping(Transformer):
    """Apply a function to each item (example or batch) of a stream.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to transform.
    mapping : callable
        Takes the item, a tuple with one entry per source, and returns a
        tuple. Use a module-level function or a picklable object, not a
        lambda, if the stream must pickle.
    add_sources : tuple of str, optional
        When given, ``mapping``'s output is added to the item as these new
        sources; otherwise it replaces the item.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> def square(data):
    ...     return (data[0] ** 2,)
    >>> stream = Mapping(DataStream(IterableDataset([1, 2, 3])), square,
    ...                  add_sources=('squares',))
    >>> stream.sources
    ('data', 'squares')
    >>> list(stream.get_epoch_iterator())
    [(1, 1), (2, 4), (3, 9)]
    """
    def __init__(self, data_stream, mapping, add_sources=None, **kwargs):
        check_data_stream(data_stream)
        if not callable(mapping):
            raise TypeError('mapping must be callable, got {!r}'.format(mapping))
        if isinstance(add_sources, str):
            raise TypeError("add_sources must be a tuple of source names such "
                            "as ('mask',), got the string {!r}".format(add_sources))
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.mapping = mapping
        self.add_sources = tuple(add_sources) if add_sources else None

    @property
    def sources(self):
        return self.data_stream.sources + (self.add_sources or ())

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('Mapping takes no requests, got {!r}'.format(request))
        data = next(self.child_epoch_iterator)
        image = self.mapping(data)
        if not self.add_sources:
            return image
        return tuple(data) + tuple(image)


class SortMapping:
    """A mapping that sorts the examples of a batch.

    Parameters
    ----------
    key : callable
        Takes an example (a tuple, one entry per source) and returns the value
        to sort by.
    reverse : bool, optional
        Sort in decreasing order. Default ``False``.

    Examples
    --------
    >>> def first_source_length(example):
    ...     return len(example[0])
    >>> SortMapping(first_source_length)((['abc', 'a', 'ab'], [1, 2, 3]))
    (['a', 'ab', 'abc'], [2, 3, 1])
    """
    def __init__(self, key, reverse=False):
        self.key = key
        self.reverse = reverse

    def __call__(self, batch):
        examples = sorted(zip(*batch), key=self.key, reverse=self.reverse)
        columns = list(zip(*examples)) if examples else [() for _ in batch]
        output = []
        for column, original in zip(columns, batch):
            if isinstance(original, numpy.ndarray):
                sorted_column = numpy.empty((len(column),) + original.shape[1:],
                                            dtype=original.dtype)
                for i, value in enumerate(column):
                    sorted_column[i] = value
                output.append(sorted_column)
            else:
                output.append(list(column))
        return tuple(output)


class Flatten(SourcewiseTransformer):
    """Flatten each example into a vector.

    A batch of shape ``(batch, d1, d2, ...)`` becomes ``(batch, d1 * d2 *
    ...)``; an example becomes one-dimensional.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to transform.
    which_sources : tuple of str, optional
        The sources to flatten. Default: all.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IndexableDataset
    >>> from fuel.streams import DataStream
    >>> from fuel.schemes import SequentialScheme
    >>> dataset = IndexableDataset({'images': numpy.zeros((4, 1, 2, 3))})
    >>> stream = Flatten(DataStream(dataset,
    ...                             iteration_scheme=SequentialScheme(4, 2)))
    >>> next(stream.get_epoch_iterator())[0].shape
    (2, 6)
    """
    def __init__(self, data_stream, **kwargs):
        check_data_stream(data_stream)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        if data_stream.axis_labels and self.axis_labels is None:
            # As the original: the first (batch) label stays, the others become
            # 'feature'; a source without labels keeps none.
            labels = dict(data_stream.axis_labels)
            for source in self.which_sources:
                if source not in labels:
                    continue
                if not labels[source]:
                    labels[source] = None
                elif self.produces_examples:
                    labels[source] = ('feature',)
                else:
                    labels[source] = (labels[source][0], 'feature')
            self.axis_labels = labels

    def transform_source_example(self, source_example, _):
        return numpy.asarray(source_example).flatten()

    def transform_source_batch(self, source_batch, _):
        source_batch = numpy.asarray(source_batch)
        return source_batch.reshape((len(source_batch), -1))


class ScaleAndShift(AgnosticSourcewiseTransformer):
    """Scale and shift the data: ``data * scale + shift``.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to transform.
    scale, shift : float
        The factor and the offset.
    which_sources : tuple of str, optional
        The sources to transform. Default: all.

    Examples
    --------
    >>> import numpy
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> data = [numpy.array([0, 255], dtype='uint8')]
    >>> stream = ScaleAndShift(DataStream(IterableDataset(data)), 1 / 255., -1)
    >>> next(stream.get_epoch_iterator())[0].tolist()
    [-1.0, 0.0]
    """
    def __init__(self, data_stream, scale, shift, **kwargs):
        check_data_stream(data_stream)
        self.scale = scale
        self.shift = shift
        kwargs.setdefault('axis_labels', copy_axis_labels(data_stream))
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, _):
        result = numpy.multiply(source_data, self.scale)
        if self.shift:
            if numpy.result_type(result, self.shift) == result.dtype:
                result += self.shift  # the same values, without a new array
            else:
                result = result + self.shift
        return result


class Cast(AgnosticSourcewiseTransformer):
    """Cast the data to a dtype.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to transform.
    dtype : str or numpy.dtype
        The dtype; ``'floatX'`` means ``fuel.config.floatX`` (read when the
        transformer is created).
    which_sources : tuple of str, optional
        The sources to cast. Default: all.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = Cast(DataStream(IterableDataset([[1, 2]])), 'float32')
    >>> next(stream.get_epoch_iterator())[0].dtype
    dtype('float32')
    """
    def __init__(self, data_stream, dtype, **kwargs):
        check_data_stream(data_stream)
        if dtype == 'floatX':
            dtype = config.floatX
        try:
            self.dtype = numpy.dtype(dtype).name
        except TypeError as error:
            raise TypeError("dtype must name a NumPy dtype or be 'floatX', got "
                            '{!r}'.format(dtype)) from error
        kwargs.setdefault('axis_labels', copy_axis_labels(data_stream))
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, _):
        return numpy.asarray(source_data, dtype=self.dtype)


class ForceFloatX(AgnosticSourcewiseTransformer):
    """Cast float data to ``fuel.config.floatX``; leave other data alone.

    Examples
    --------
    >>> import numpy
    >>> from fuel import config
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> data = {'x': [numpy.zeros(2, 'float16')], 'y': [numpy.zeros(2, 'int8')]}
    >>> x, y = next(ForceFloatX(DataStream(IterableDataset(data)))
    ...             .get_epoch_iterator())
    >>> x.dtype == config.floatX, y.dtype.name
    (True, 'int8')
    """
    def __init__(self, data_stream, **kwargs):
        check_data_stream(data_stream)
        self.floatX = config.floatX
        kwargs.setdefault('axis_labels', copy_axis_labels(data_stream))
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, _):
        if (isinstance(source_data, numpy.ndarray) and
                source_data.dtype.kind == 'f' and source_data.dtype != self.floatX):
            return source_data.astype(self.floatX)
        return source_data


class Filter(Transformer):
    """Keep only the items for which a predicate is true.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to filter.
    predicate : callable
        Takes an item (a tuple, one entry per source); returns ``True`` to
        keep it.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> def is_even(example):
    ...     return example[0] % 2 == 0
    >>> list(Filter(DataStream(IterableDataset(range(5))), is_even)
    ...      .get_epoch_iterator())
    [(0,), (2,), (4,)]
    """
    def __init__(self, data_stream, predicate, **kwargs):
        check_data_stream(data_stream)
        if not callable(predicate):
            raise TypeError('predicate must be callable, got {!r}'.format(predicate))
        kwargs.setdefault('axis_labels', copy_axis_labels(data_stream))
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.predicate = predicate

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('Filter takes no requests, got {!r}'.format(request))
        while True:
            data = next(self.child_epoch_iterator)
            if self.predicate(data):
                return data


class Rename(AgnosticTransformer):
    """Rename sources.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream whose sources to rename.
    names : dict
        Old names to new names.
    on_non_existent : {'raise', 'warn', 'ignore'}, optional
        What to do when ``names`` has a source the stream does not have.
        Default ``'raise'``.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = DataStream(IterableDataset({'x': [1], 'y': [2]}))
    >>> Rename(stream, {'x': 'features'}).sources
    ('features', 'y')
    """
    def __init__(self, data_stream, names, on_non_existent='raise', **kwargs):
        check_data_stream(data_stream)
        if on_non_existent not in ('raise', 'warn', 'ignore'):
            raise ValueError("on_non_existent must be 'raise', 'warn' or "
                             "'ignore', got {!r}".format(on_non_existent))
        if not isinstance(names, dict):
            raise TypeError('names must be a dict from old to new source names, '
                            'got {!r}'.format(names))
        sources = list(data_stream.sources)
        renamed = {old: new for old, new in names.items() if old in sources}
        if len(set(renamed.values())) != len(renamed):
            raise SourceNameError('names maps several sources to the same name: '
                                  '{}'.format(renamed))
        for old, new in names.items():
            if old not in sources:
                message = ('cannot rename source {!r} to {!r}: the stream has no '
                           'source {!r} (its sources: {})'.format(
                               old, new, old, data_stream.sources))
                if on_non_existent == 'raise':
                    raise SourceNameError(message)
                logger.log(logging.WARNING if on_non_existent == 'warn'
                           else logging.DEBUG, message)
        new_sources = tuple(renamed.get(source, source) for source in sources)
        if len(set(new_sources)) != len(new_sources):
            raise SourceNameError('renaming {} would give two sources the same '
                                  'name: {}'.format(renamed, new_sources))
        if data_stream.axis_labels:
            kwargs.setdefault('axis_labels', {
                renamed.get(source, source): labels
                for source, labels in data_stream.axis_labels.items()})
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.names = dict(names)
        self.sources = new_sources

    def transform_any(self, data):
        return data


class FilterSources(AgnosticTransformer):
    """Keep only some sources.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to filter.
    sources : tuple of str
        The sources to keep; they keep the order of the wrapped stream.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = DataStream(IterableDataset({'x': [1], 'y': [2], 'z': [3]}))
    >>> filtered = FilterSources(stream, ('z', 'x'))
    >>> filtered.sources, next(filtered.get_epoch_iterator())
    (('x', 'z'), (1, 3))
    """
    def __init__(self, data_stream, sources, **kwargs):
        check_data_stream(data_stream)
        if isinstance(sources, str):
            raise ValueError("sources must be a tuple of source names such as "
                             "('features',), got the string {!r}".format(sources))
        unknown = [source for source in sources if source not in data_stream.sources]
        if unknown:
            raise ValueError('sources must all be sources of the wrapped stream '
                             '{}; {} are not'.format(data_stream.sources, unknown))
        if data_stream.axis_labels:
            kwargs.setdefault('axis_labels', {
                source: labels for source, labels in data_stream.axis_labels.items()
                if source in sources})
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.sources = tuple(source for source in data_stream.sources
                             if source in sources)

    def transform_any(self, data):
        return tuple(datum for datum, source in zip(data, self.data_stream.sources)
                     if source in self.sources)
