"""Transformers over sequences: sliding windows and n-grams."""
from fuel.transformers.base import Transformer, check_data_stream


class Window(Transformer):
    """Slide a source window and a target window over each sequence.

    The wrapped stream gives one sequence (e.g. a sentence) per example; this
    stream gives every position of a pair of windows over it. To train an
    n-gram model, use ``source_window=n``, ``target_window=1``, ``offset=0``
    and ``overlapping=False``: windows ``[1, n]`` and ``[n + 1]``. To train a
    recurrent network, use windows of the same size and ``offset=1`` with
    ``overlapping=True``: ``[1, n]`` and ``[2, n + 1]``.

    Parameters
    ----------
    offset : int
        Where the target window starts, relative to the source window.
    source_window, target_window : int
        The window sizes.
    overlapping : bool
        If true, ``offset`` counts from the start of the source window,
        otherwise from its end.
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of single sequences, with one source.
    target_source : str, optional
        The name of the target source. Default ``'targets'``.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = Window(1, 3, 3, True,
    ...                 DataStream(IterableDataset([[1, 2, 3, 4, 5]])))
    >>> stream.sources
    ('data', 'targets')
    >>> list(stream.get_epoch_iterator())
    [([1, 2, 3], [2, 3, 4]), ([2, 3, 4], [3, 4, 5])]
    """
    def __init__(self, offset, source_window, target_window, overlapping,
                 data_stream, target_source='targets', **kwargs):
        check_data_stream(data_stream)
        if not data_stream.produces_examples:
            raise ValueError('{} needs a stream of examples, but the wrapped '
                             'stream produces batches'.format(type(self).__name__))
        if len(data_stream.sources) != 1:
            raise ValueError('{} needs a stream with one source, got {}'.format(
                type(self).__name__, data_stream.sources))
        for name, value in (('source_window', source_window),
                            ('target_window', target_window)):
            if not isinstance(value, int) or value < 1:
                raise ValueError('{} must be a positive integer, got {!r}'.format(
                    name, value))
        super().__init__(data_stream, produces_examples=True, **kwargs)
        self.sources = data_stream.sources + (target_source,)
        self.offset = offset
        self.source_window = source_window
        self.target_window = target_window
        self.overlapping = overlapping
        self.sentence = []
        self._set_index()

    def _set_index(self):
        """Put the source window at the first position where the target fits."""
        self.index = 0
        self.index = -min(0, self._get_target_index())

    def _get_target_index(self):
        return (self.index + self.source_window * (not self.overlapping) +
                self.offset)

    def _get_end_index(self):
        return max(self.index + self.source_window,
                   self._get_target_index() + self.target_window)

    def get_epoch_iterator(self, **kwargs):
        self.sentence = []
        self._set_index()
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError('{} takes no requests, got {!r}'.format(
                type(self).__name__, request))
        while not self._get_end_index() <= len(self.sentence):
            self.sentence, = next(self.child_epoch_iterator)
            self._set_index()
        source = self.sentence[self.index:self.index + self.source_window]
        target_index = self._get_target_index()
        target = self.sentence[target_index:target_index + self.target_window]
        self.index += 1
        return (source, target)


class NGrams(Window):
    """Give the n-grams of each sequence, each with the item that follows it.

    Parameters
    ----------
    ngram_order : int
        The n of the n-grams.
    data_stream : :class:`~fuel.streams.AbstractDataStream`
        A stream of single sequences, with one source.
    target_source : str, optional
        The name of the target source. Default ``'targets'``.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = NGrams(2, DataStream(IterableDataset([[1, 2, 3, 4]])))
    >>> list(stream.get_epoch_iterator())
    [([1, 2], 3), ([2, 3], 4)]
    """
    def __init__(self, ngram_order, *args, **kwargs):
        super().__init__(0, ngram_order, 1, False, *args, **kwargs)

    def get_data(self, request=None):
        source, target = super().get_data(request)
        return (source, target[0])
