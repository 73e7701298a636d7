"""The CelebA dataset of celebrity faces."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX
from fuel.utils import find_in_data_path

FORMATS = ('aligned_cropped', '64')


class CelebA(_BuiltinH5PYDataset):
    """CelebA: 202,599 face images with 40 binary attributes (Liu et al., 2015).

    The aligned and cropped images (218x178), or the same cropped to their
    central 178x178 square and resized to 64x64. Splits: 162,770 training,
    19,867 validation and 19,962 test images. Create
    ``celeba_{FORMAT}.hdf5`` with ``fuel-download celeba`` and
    ``fuel-convert celeba FORMAT``.

    Parameters
    ----------
    which_format : {'aligned_cropped', '64'}
        The images' format.
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    load_in_memory : bool, optional
        Default ``False`` (the full-size file holds 23 GB of pixels).
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Sources: ``features``, uint8 of shape ``(N, 3, 218, 178)`` or ``(N, 3,
    64, 64)``; ``targets``, uint8 of shape ``(N, 40)``, 1 where the face has
    the attribute. The default transformers scale the features to [0, 1] and
    cast them to ``fuel.config.floatX``.

    Examples
    --------
    >>> CelebA.filename_of('64')
    'celeba_64.hdf5'
    """
    default_transformers = uint8_pixels_to_floatX(('features',))

    def __init__(self, which_format, which_sets, **kwargs):
        if which_format not in FORMATS:
            raise ValueError("which_format must be 'aligned_cropped' or '64', got "
                             '{!r}'.format(which_format))
        self.which_format = which_format
        kwargs.setdefault('load_in_memory', False)
        super().__init__(which_sets, **kwargs)

    @staticmethod
    def filename_of(which_format):
        """The file name of a format of the dataset."""
        return 'celeba_{}.hdf5'.format(which_format)

    @property
    def filename(self):
        return self.filename_of(self.which_format)

    def locate(self):
        return find_in_data_path(self.filename, [
            'fuel-download celeba',
            'fuel-convert celeba {}'.format(self.which_format)])
