"""Fisher's Iris dataset."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset


class Iris(_BuiltinH5PYDataset):
    """Iris: 150 flowers, four measurements each, in three species (Fisher, 1936).

    Create ``iris.hdf5`` with ``fuel-download iris`` and ``fuel-convert
    iris``. The file has a single split, ``'all'``; make training and test
    sets with ``subset`` (or :func:`fuel.schemes.cross_validation`).

    Parameters
    ----------
    which_sets : tuple of str
        ``('all',)``.
    load_in_memory : bool, optional
        Default ``True``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Sources: ``features``, float32 of shape ``(150, 4)`` (sepal length and
    width, petal length and width, in cm); ``targets``, uint8 of shape
    ``(150, 1)``: 0 setosa, 1 versicolor, 2 virginica.

    Examples
    --------
    >>> Iris.filename
    'iris.hdf5'
    """
    filename = 'iris.hdf5'
