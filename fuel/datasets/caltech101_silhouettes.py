"""The CalTech 101 Silhouettes dataset."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.utils import find_in_data_path

SIZES = (16, 28)


class CalTech101Silhouettes(_BuiltinH5PYDataset):
    """CalTech 101 Silhouettes: binary outlines of objects of 101 classes (Marlin et al., 2010).

    4,100 training, 2,264 validation and 2,307 test images of 16x16 or 28x28
    pixels. Create ``caltech101_silhouettes{SIZE}.hdf5`` with
    ``fuel-download caltech101_silhouettes SIZE`` and ``fuel-convert
    caltech101_silhouettes SIZE``.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    size : {16, 28}, optional
        The side of the images. Default 28.
    load_in_memory : bool, optional
        Default ``True``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Sources: ``features``, of shape ``(N, 1, size, size)``, 0 or 1 (as the
    MATLAB file stores them); ``targets``, of shape ``(N, 1)``: the class,
    from 1 to 101.

    Examples
    --------
    >>> CalTech101Silhouettes.filename_of(16)
    'caltech101_silhouettes16.hdf5'
    """
    def __init__(self, which_sets, size=28, load_in_memory=True, **kwargs):
        if size not in SIZES:
            raise ValueError('size must be 16 or 28, got {!r}'.format(size))
        self.size = size
        super().__init__(which_sets, load_in_memory=load_in_memory, **kwargs)

    @staticmethod
    def filename_of(size):
        """The file name of the dataset with images of ``size`` pixels a side."""
        return 'caltech101_silhouettes{}.hdf5'.format(size)

    @property
    def filename(self):
        return self.filename_of(self.size)

    @property
    def data_path(self):
        """The path of the dataset's file in the data path."""
        return self.locate()

    def locate(self):
        return find_in_data_path(self.filename, [
            'fuel-download caltech101_silhouettes {}'.format(self.size),
            'fuel-convert caltech101_silhouettes {}'.format(self.size)])
