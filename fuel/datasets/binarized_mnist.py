"""The binarized MNIST dataset."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.transformers.simple import Cast


class BinarizedMNIST(_BuiltinH5PYDataset):
    """MNIST binarized by sampling, without labels (Salakhutdinov and Murray).

    The version used in the DBN, NADE and VAE papers, from Hugo Larochelle's
    page: 50,000 training, 10,000 validation and 10,000 test images whose
    pixels were drawn from Bernoulli distributions with the grey levels as
    means. Create ``binarized_mnist.hdf5`` with ``fuel-download
    binarized_mnist`` and ``fuel-convert binarized_mnist``.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    load_in_memory : bool, optional
        Default ``True``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Source ``features``: uint8 zeros and ones of shape ``(N, 1, 28, 28)``;
    the default transformer casts them to ``fuel.config.floatX``.

    Examples
    --------
    >>> BinarizedMNIST.filename
    'binarized_mnist.hdf5'
    """
    filename = 'binarized_mnist.hdf5'
    default_transformers = ((Cast, ['floatX'], {'which_sources': ('features',)}),)
