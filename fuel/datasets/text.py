"""Text read line by line from files (gzipped when their names end in ``.gz``)."""
from fuel.datasets.base import Dataset
from fuel.utils.formats import open_


class LineIterator:
    """Iterate over the lines of several text files, picklable at any point.

    Pickling records the file being read and the position in it; the copy
    reopens the file there.

    Parameters
    ----------
    files : list of str
        The paths, read one after the other.
    encoding : str, optional
        Their encoding. Default: the locale's.
    """
    def __init__(self, files, encoding=None):
        self.files = list(files)
        self.encoding = encoding
        self.index = 0
        self.offset = 0
        self._file = None

    def __iter__(self):
        return self

    def __next__(self):
        while self.index < len(self.files):
            if self._file is None:
                path = self.files[self.index]
                if path.endswith('.gz'):
                    self._file = open_(path, encoding=self.encoding)
                else:
                    self._file = open(path, encoding=self.encoding, newline='')
                self._file.seek(self.offset)
            line = self._file.readline()
            if line:
                self.offset = self._file.tell()
                return line
            self.close()
            self.index += 1
            self.offset = 0
        raise StopIteration

    def close(self):
        """Close the file being read."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_file'] = None
        return state


class TextFile(Dataset):
    r"""Sentences from text files, one per line, as lists of vocabulary indices.

    Parameters
    ----------
    files : list of str
        The text files, read in order.
    dictionary : dict
        Maps words (or characters) to integer indices.
    bos_token : str or None, optional
        The token put at the start of each sentence, or ``None`` for none.
        Default ``'<S>'``; it must be in the dictionary.
    eos_token : str or None, optional
        The token put at the end of each sentence. Default ``'</S>'``.
    unk_token : str or None, optional
        The token that stands for words missing from the dictionary; with
        ``None``, a missing word is an error. Default ``'<UNK>'``.
    level : {'word', 'character'}, optional
        Split lines on white space, or into characters. Default ``'word'``.
    preprocess : callable, optional
        Applied to each line first (e.g. ``str.lower``).
    encoding : str, optional
        The files' encoding. Default: the locale's.

    Notes
    -----
    The dataset has one source, ``features``, and is read from start to end
    each epoch (use a :class:`~fuel.streams.DataStream` without an iteration
    scheme). The reading position pickles.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'sentences.txt')
    >>> with open(path, 'w') as file_:
    ...     _ = file_.write('the cat\nthe dog sat\n')
    >>> dictionary = {'<S>': 0, '</S>': 1, '<UNK>': 2, 'the': 3, 'cat': 4}
    >>> from fuel.streams import DataStream
    >>> stream = DataStream(TextFile([path], dictionary))
    >>> list(stream.get_epoch_iterator())
    [([0, 3, 4, 1],), ([0, 3, 2, 2, 1],)]
    """
    provides_sources = ('features',)

    def __init__(self, files, dictionary, bos_token='<S>', eos_token='</S>',
                 unk_token='<UNK>', level='word', preprocess=None,
                 encoding=None):
        if isinstance(files, str):
            raise TypeError('files must be a list of paths, got the string '
                            '{!r}'.format(files))
        for name, token in (('bos_token', bos_token), ('eos_token', eos_token),
                            ('unk_token', unk_token)):
            if token is not None and token not in dictionary:
                raise ValueError('{} {!r} is not in the dictionary; add it or '
                                 'pass {}=None'.format(name, token, name))
        if level not in ('word', 'character'):
            raise ValueError("level must be 'word' or 'character', got {!r}"
                             .format(level))
        self.files = list(files)
        self.dictionary = dictionary
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.unk_token = unk_token
        self.level = level
        self.preprocess = preprocess
        self.encoding = encoding
        super().__init__()

    def open(self):
        return LineIterator(self.files, self.encoding)

    def close(self, state):
        if state is not None:
            state.close()

    def _index(self, symbol):
        if symbol in self.dictionary:
            return self.dictionary[symbol]
        if self.unk_token is None:
            raise KeyError('{!r} is not in the dictionary and there is no '
                           'unk_token'.format(symbol))
        return self.dictionary[self.unk_token]

    def get_data(self, state=None, request=None):
        if request is not None:
            raise ValueError('TextFile is read line by line and takes no '
                             'requests, got {!r}'.format(request))
        sentence = next(state)
        if self.preprocess is not None:
            sentence = self.preprocess(sentence)
        symbols = sentence.split() if self.level == 'word' else \
            list(sentence.strip())
        data = [self.dictionary[self.bos_token]] if self.bos_token else []
        data.extend(self._index(symbol) for symbol in symbols)
        if self.eos_token:
            data.append(self.dictionary[self.eos_token])
        return (data,)
