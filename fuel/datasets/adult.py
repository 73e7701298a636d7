"""The Adult (census income) dataset."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset


class Adult(_BuiltinH5PYDataset):
    """Adult: does a person earn more than $50,000 a year? (UCI, Kohavi 1996).

    From the 1994 US census: 30,162 training and 15,060 test examples
    without missing values. Create ``adult.hdf5`` with ``fuel-download
    adult`` and ``fuel-convert adult``.

    Parameters
    ----------
    which_sets : tuple of str
        ``('train',)``, ``('test',)`` or both.
    load_in_memory : bool, optional
        Default ``True``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Sources: ``features``, float of shape ``(N, 104)``: the six continuous
    attributes as they are and the eight categorical ones one-hot encoded
    (categories in sorted order); ``targets``, uint8 of shape ``(N, 1)``, 1
    for an income above $50,000.

    Examples
    --------
    >>> Adult.filename
    'adult.hdf5'
    """
    filename = 'adult.hdf5'
