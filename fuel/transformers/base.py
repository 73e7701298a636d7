"""The base classes of transformers: streams that process another stream's data."""
import logging

from fuel.exceptions import AxisLabelsMismatchError
from fuel.streams import AbstractDataStream

logger = logging.getLogger(__name__)
KINDS = {True: 'examples', False: 'batches'}


def check_data_stream(data_stream):
    """Raise a clear ``TypeError`` unless ``data_stream`` is a data stream."""
    if not isinstance(data_stream, AbstractDataStream):
        raise TypeError('data_stream must be a data stream (e.g. a '
                        'fuel.streams.DataStream), got {!r}'.format(data_stream))


def source_names(names, data_stream):
    """``names`` as a tuple, or all the sources of ``data_stream`` when ``None``.

    A single string names one source: the original Fuel tested membership
    with ``in``, so ``which_sources=('features')`` (a string) worked there.

    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = DataStream(IterableDataset({'x': [1], 'y': [2]}))
    >>> source_names(None, stream)
    ('x', 'y')
    >>> source_names(['y'], stream)
    ('y',)
    >>> source_names('y', stream)
    ('y',)
    """
    if names is None:
        return tuple(data_stream.sources)
    if isinstance(names, str):
        return (names,)
    return tuple(names)


class Transformer(AbstractDataStream):
    """A data stream that wraps another one and transforms its data.

    A subclass implements :meth:`transform_example` and/or
    :meth:`transform_batch` (one example or one batch in, one out), or
    overrides :meth:`get_data` to take any number of the wrapped stream's
    items (``next(self.child_epoch_iterator)``) per item it gives.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to transform.
    produces_examples : bool, optional
        Whether this stream gives examples or batches. Default: as the
        wrapped stream (unless an ``iteration_scheme`` decides it).
    iteration_scheme, axis_labels
        See :class:`~fuel.streams.AbstractDataStream`.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> class Double(Transformer):
    ...     def transform_example(self, example):
    ...         return tuple(2 * value for value in example)
    >>> stream = Double(DataStream(IterableDataset([1, 2])))
    >>> list(stream.get_epoch_iterator())
    [(2,), (4,)]
    """
    def __init__(self, data_stream, produces_examples=None, **kwargs):
        check_data_stream(data_stream)
        super().__init__(**kwargs)
        self.data_stream = data_stream
        if self.iteration_scheme is None:
            if produces_examples is None:
                produces_examples = data_stream.produces_examples
            self.produces_examples = produces_examples
        self.child_epoch_iterator = None

    @property
    def sources(self):
        if hasattr(self, '_sources'):
            return self._sources
        return self.data_stream.sources

    @sources.setter
    def sources(self, value):
        self._sources = tuple(value)

    def close(self):
        self.data_stream.close()

    def reset(self):
        self.data_stream.reset()

    def next_epoch(self):
        self.data_stream.next_epoch()

    def get_epoch_iterator(self, **kwargs):
        """Start an epoch of the wrapped stream and return this stream's iterator."""
        self.child_epoch_iterator = self.data_stream.get_epoch_iterator()
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('{} takes no requests, got {!r}'.format(
                type(self).__name__, request))
        data = next(self.child_epoch_iterator)
        if self.produces_examples != self.data_stream.produces_examples:
            raise NotImplementedError(
                'the wrapped data stream produces {} while the {} transformer '
                'produces {}, which it does not support'.format(
                    KINDS[self.data_stream.produces_examples],
                    type(self).__name__, KINDS[self.produces_examples]))
        if self.produces_examples:
            return self.transform_example(data)
        return self.transform_batch(data)

    def transform_example(self, example):
        """Transform one example (a tuple, one entry per source)."""
        raise NotImplementedError('{} does not transform examples; it needs a '
                                  'stream of batches'.format(type(self).__name__))

    def transform_batch(self, batch):
        """Transform one batch (a tuple, one entry per source)."""
        raise NotImplementedError('{} does not transform batches; it needs a '
                                  'stream of examples'.format(type(self).__name__))


class AgnosticTransformer(Transformer):
    """A transformer that treats examples and batches alike, in :meth:`transform_any`."""
    def transform_any(self, data):
        """Transform an example or a batch."""
        raise NotImplementedError(
            '{} must implement transform_any'.format(type(self).__name__))

    def transform_example(self, example):
        return self.transform_any(example)

    def transform_batch(self, batch):
        return self.transform_any(batch)


class SourcewiseTransformer(Transformer):
    """A transformer that transforms each selected source on its own.

    Parameters
    ----------
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        The stream to transform.
    produces_examples : bool
        Whether this stream gives examples or batches.
    which_sources : tuple of str, optional
        The sources to transform. Default: all.
    """
    def __init__(self, data_stream, produces_examples, which_sources=None,
                 **kwargs):
        check_data_stream(data_stream)
        which_sources = source_names(which_sources, data_stream)
        if any(source not in data_stream.sources for source in which_sources):
            raise ValueError('which_sources must be sources of the wrapped '
                             'stream {}, got {}'.format(data_stream.sources,
                                                        which_sources))
        self.which_sources = which_sources
        super().__init__(data_stream, produces_examples, **kwargs)

    def _apply_sourcewise_transformation(self, data, method):
        data = list(data)
        for i, source in enumerate(self.data_stream.sources):
            if source in self.which_sources:
                data[i] = method(data[i], source)
        return tuple(data)

    def transform_source_example(self, source_example, source_name):
        """Transform the data of one source of one example."""
        raise NotImplementedError('{} does not transform examples'.format(
            type(self).__name__))

    def transform_source_batch(self, source_batch, source_name):
        """Transform the data of one source of one batch."""
        raise NotImplementedError('{} does not transform batches'.format(
            type(self).__name__))

    def transform_example(self, example):
        return self._apply_sourcewise_transformation(
            example, self.transform_source_example)

    def transform_batch(self, batch):
        return self._apply_sourcewise_transformation(
            batch, self.transform_source_batch)


class AgnosticSourcewiseTransformer(AgnosticTransformer, SourcewiseTransformer):
    """A sourcewise transformer that treats examples and batches alike.

    A subclass implements :meth:`transform_any_source`.
    """
    def transform_any(self, data):
        return self._apply_sourcewise_transformation(
            data, self.transform_any_source)

    def transform_any_source(self, source_data, source_name):
        """Transform the data of one source (an example or a batch)."""
        raise NotImplementedError(
            '{} must implement transform_any_source'.format(type(self).__name__))


class ExpectsAxisLabels:
    """A mixin for transformers that need their sources' axes in a given order."""
    def verify_axis_labels(self, expected, actual, source_name):
        """Check, once per source, that ``actual`` labels are the ``expected`` ones.

        Missing labels are logged and accepted; different labels raise
        :class:`~fuel.exceptions.AxisLabelsMismatchError`.
        """
        checked = self.__dict__.setdefault('_checked_axis_labels', set())
        if source_name in checked:
            return
        if actual is None:
            logger.warning('%s could not verify the axis labels of source %r: '
                           'expected %s, got none', type(self).__name__,
                           source_name, expected)
        elif tuple(expected) != tuple(actual):
            raise AxisLabelsMismatchError(
                '{} expects the axes of source {!r} to be {}, got {}'.format(
                    type(self).__name__, source_name, tuple(expected),
                    tuple(actual)))
        checked.add(source_name)
