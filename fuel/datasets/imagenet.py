"""The ImageNet Large Scale Visual Recognition Challenge datasets (2010, 2012)."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.transformers.defaults import rgb_images_from_encoded_bytes


class ILSVRC2010(_BuiltinH5PYDataset):
    """ILSVRC 2010: 1,000 classes; 1.26 million training, 50,000 validation, 150,000 test images.

    Create ``ilsvrc2010.hdf5`` with ``fuel-convert ilsvrc2010`` from the
    challenge's files (``fuel-download ilsvrc2010`` fetches them from a
    mirror given with ``--url-prefix``: they are not public).

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    load_in_memory : bool, optional
        Default ``False``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Sources: ``encoded_images``, the JPEG files as variable-length uint8 rows,
    decoded by the default transformers into RGB arrays of shape ``(3,
    height, width)``; ``targets``, int16 of shape ``(N, 1)``: the class, 0
    to 999 (the challenge's ILSVRC2010_ID minus one); ``filenames``, the
    original file names. The training set is shuffled once, with a fixed
    seed, when converted.

    Examples
    --------
    >>> ILSVRC2010.filename
    'ilsvrc2010.hdf5'
    """
    filename = 'ilsvrc2010.hdf5'
    default_transformers = rgb_images_from_encoded_bytes(('encoded_images',))

    def __init__(self, which_sets, **kwargs):
        kwargs.setdefault('load_in_memory', False)
        super().__init__(which_sets, **kwargs)


class ILSVRC2012(_BuiltinH5PYDataset):
    """ILSVRC 2012: 1,000 classes; 1.28 million training, 50,000 validation, 100,000 test images.

    Create ``ilsvrc2012.hdf5`` with ``fuel-convert ilsvrc2012``; see
    :class:`ILSVRC2010` for the sources (the test set has no targets).

    Examples
    --------
    >>> ILSVRC2012.filename
    'ilsvrc2012.hdf5'
    """
    filename = 'ilsvrc2012.hdf5'
    default_transformers = rgb_images_from_encoded_bytes(('encoded_images',))

    def __init__(self, which_sets, **kwargs):
        kwargs.setdefault('load_in_memory', False)
        super().__init__(which_sets, **kwargs)
