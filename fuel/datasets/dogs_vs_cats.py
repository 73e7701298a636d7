"""The Dogs vs. Cats dataset (Kaggle, 2013)."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.transformers.simple import ScaleAndShift


class DogsVsCats(_BuiltinH5PYDataset):
    """Dogs vs. Cats: 25,000 labelled and 12,500 unlabelled photos (Kaggle, 2013).

    Create ``dogs_vs_cats.hdf5`` with ``fuel-download dogs_vs_cats`` and
    ``fuel-convert dogs_vs_cats``.

    Parameters
    ----------
    which_sets : tuple of str
        ``('train',)`` (labelled) or ``('test',)`` (no targets).
    load_in_memory : bool, optional
        Default ``False``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Sources: ``image_features``, the photos as uint8 arrays of shape
    ``(3, height, width)`` (their sizes differ, so a batch is an object
    array of them); ``targets``, uint8 of shape ``(N, 1)``: 0 for a cat, 1
    for a dog (training set only). The training images are in a fixed
    shuffled order. The default transformer scales the pixels to [0, 1].

    Examples
    --------
    >>> DogsVsCats.filename
    'dogs_vs_cats.hdf5'
    """
    filename = 'dogs_vs_cats.hdf5'
    default_transformers = ((ScaleAndShift, [1 / 255.0, 0],
                             {'which_sources': ('image_features',)}),)

    def __init__(self, which_sets, **kwargs):
        kwargs.setdefault('load_in_memory', False)
        super().__init__(which_sets, **kwargs)
