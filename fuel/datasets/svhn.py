"""The Street View House Numbers dataset."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX
from fuel.utils import find_in_data_path


class SVHN(_BuiltinH5PYDataset):
    """SVHN: digits cropped from Street View pictures of house numbers (Netzer et al., 2011).

    Format 1 holds the full pictures of house numbers with the bounding box
    and label of each digit; format 2, 32x32 colour crops centred on single
    digits: 73,257 training, 26,032 test and 531,131 extra examples. Create
    ``svhn_format_{1,2}.hdf5`` with ``fuel-download svhn FORMAT`` and
    ``fuel-convert svhn FORMAT``.

    Parameters
    ----------
    which_format : {1, 2}
        The format of the dataset.
    which_sets : tuple of str
        Among ``'train'``, ``'test'`` and ``'extra'``.
    load_in_memory : bool, optional
        Default ``True``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset`.

    Notes
    -----
    Format 1 sources: ``features``, the pictures as uint8 arrays of shape
    ``(3, height, width)`` (sizes differ); ``bbox_heights``,
    ``bbox_widths``, ``bbox_lefts``, ``bbox_tops`` and ``bbox_labels``, one
    value per digit of the picture; no default transformer (scale the
    pixels yourself, e.g. after cropping). Format 2 sources: ``features``,
    uint8 of shape ``(N, 3, 32, 32)``;
    ``targets``, uint8 of shape ``(N, 1)``, with digit 0 labelled 0 (the
    original files label it 10). The default transformers scale the features
    to [0, 1] and cast them to ``fuel.config.floatX``.

    Examples
    --------
    >>> SVHN.filename_of(2)
    'svhn_format_2.hdf5'
    """
    def __init__(self, which_format, which_sets, **kwargs):
        if which_format not in (1, 2):
            raise ValueError('which_format must be 1 or 2, got {!r}'.format(
                which_format))
        self.which_format = which_format
        super().__init__(which_sets, **kwargs)

    def locate(self):
        """The path of the dataset's file in the data path."""
        return find_in_data_path(self.filename, [
            'fuel-download svhn {}'.format(self.which_format),
            'fuel-convert svhn {}'.format(self.which_format)])

    @staticmethod
    def filename_of(which_format):
        """The file name of a format of the dataset."""
        return 'svhn_format_{}.hdf5'.format(which_format)

    @property
    def filename(self):
        return self.filename_of(self.which_format)

    @property
    def default_transformers(self):
        if self.which_format == 2:
            return uint8_pixels_to_floatX(('features',))
        return ()
