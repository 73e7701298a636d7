"""The CIFAR-100 dataset."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX


class CIFAR100(_BuiltinH5PYDataset):
    """CIFAR-100: 32x32 colour images in 100 classes grouped in 20 superclasses.

    50,000 training and 10,000 test images. Create ``cifar100.hdf5`` with
    ``fuel-download cifar100`` and ``fuel-convert cifar100``.

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
    Sources: ``features``, uint8 of shape ``(N, 3, 32, 32)``;
    ``coarse_labels`` (the superclass) and ``fine_labels`` (the class), uint8
    of shape ``(N, 1)``. The default transformers scale the features to
    [0, 1] and cast them to ``fuel.config.floatX``.

    Examples
    --------
    >>> CIFAR100.filename
    'cifar100.hdf5'
    """
    filename = 'cifar100.hdf5'
    default_transformers = uint8_pixels_to_floatX(('features',))
