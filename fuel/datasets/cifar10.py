"""The CIFAR-10 dataset."""
from fuel.datasets.hdf5 import H5PYDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX
from fuel.utils import find_in_data_path


class CIFAR10(H5PYDataset):
    """CIFAR-10: 32x32 colour images in 10 classes (Krizhevsky, 2009).

    50,000 training and 10,000 test images. Create ``cifar10.hdf5`` with
    ``fuel-download cifar10`` and ``fuel-convert cifar10``.

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
    Sources: ``features``, uint8 of shape ``(N, 3, 32, 32)``; ``targets``,
    uint8 of shape ``(N, 1)``. The default transformers scale the features to
    [0, 1] and cast them to ``fuel.config.floatX``.

    Examples
    --------
    >>> CIFAR10.filename
    'cifar10.hdf5'
    """
    filename = 'cifar10.hdf5'
    default_transformers = uint8_pixels_to_floatX(('features',))

    def __init__(self, which_sets, **kwargs):
        kwargs.setdefault('load_in_memory', True)
        super().__init__(file_or_path=self.locate(), which_sets=which_sets,
                         **kwargs)

    def locate(self):
        """The path of the dataset's file in the data path."""
        return find_in_data_path(self.filename)
