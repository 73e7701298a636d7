"""The One Billion Word benchmark for language modelling."""
import os

from fuel.datasets.text import TextFile
from fuel.utils import find_in_data_path

FOLDER = '1-billion-word'
TRAINING = ('training-monolingual.tokenized.shuffled',
            'news.en-{:05d}-of-00100')
HELDOUT = ('heldout-monolingual.tokenized.shuffled',
           'news.en.heldout-{:05d}-of-00050')


class OneBillionWord(TextFile):
    """The One Billion Word benchmark (Chelba et al., 2013), sentence by sentence.

    The data path must hold the extracted archive
    (``1-billion-word-language-modeling-benchmark-r13output``) renamed (or
    linked) to ``1-billion-word``: its training data is split in 99
    partitions (1 to 99), the held-out data in 50 (0 to 49; partition 0 is
    the usual test set).

    Parameters
    ----------
    which_set : {'training', 'heldout'}
        The part of the data.
    which_partitions : list of int
        The partitions to read, 1 to 99 for ``'training'`` and 0 to 49 for
        ``'heldout'``.
    dictionary : dict
        From words to indices; see :class:`~fuel.datasets.TextFile`.
    \\*\\*kwargs
        See :class:`~fuel.datasets.TextFile` (``bos_token``, ``level``...).

    Examples
    --------
    >>> OneBillionWord.partition_path('heldout', 0)
    '1-billion-word/heldout-monolingual.tokenized.shuffled/news.en.heldout-00000-of-00050'
    """
    def __init__(self, which_set, which_partitions, dictionary, **kwargs):
        if which_set not in ('training', 'heldout'):
            raise ValueError("which_set must be 'training' or 'heldout', got "
                             '{!r}'.format(which_set))
        valid = range(1, 100) if which_set == 'training' else range(50)
        bad = [partition for partition in which_partitions
               if partition not in valid]
        if bad or not which_partitions:
            raise ValueError('which_partitions must be partitions {} to {} of the '
                             '{} data, got {!r}'.format(valid[0], valid[-1],
                                                        which_set,
                                                        which_partitions))
        files = [find_in_data_path(self.partition_path(which_set, partition))
                 for partition in which_partitions]
        super().__init__(files, dictionary, **kwargs)

    @staticmethod
    def partition_path(which_set, partition):
        """The path of a partition, relative to the data path."""
        folder, name = TRAINING if which_set == 'training' else HELDOUT
        return os.path.join(FOLDER, folder, name.format(partition))
