"""The MNIST dataset of handwritten digits."""
from fuel.datasets.hdf5 import _BuiltinH5PYDataset
from fuel.exceptions import DatasetNotFoundError
from fuel.transformers.defaults import uint8_pixels_to_floatX
from fuel.utils import find_in_data_path


class MNIST(_BuiltinH5PYDataset):
    """MNIST: 28x28 grey images of handwritten digits, and their labels.

    MNIST (Y. LeCun, C. Cortes, C. J. C. Burges) has 60,000 training and
    10,000 test images. Fuel ships the original files, so ``mnist.hdf5`` is
    built from them on first use, in the first writable directory of the data
    path, when no directory holds it yet (``fuel-convert mnist`` builds the
    same file).

    Parameters
    ----------
    which_sets : tuple of str
        ``('train',)``, ``('test',)`` or both.
    load_in_memory : bool, optional
        Default ``True``.
    \\*\\*kwargs
        See :class:`~fuel.datasets.H5PYDataset` (``subset``, ``sources``...).

    Notes
    -----
    Sources: ``features``, uint8 of shape ``(N, 1, 28, 28)``, axes
    ``('batch', 'channel', 'height', 'width')``; ``targets``, uint8 of shape
    ``(N, 1)``. The default transformers scale the features to [0, 1] and cast
    them to ``fuel.config.floatX``.

    Examples
    --------
    A dataset file is looked for in ``fuel.config.data_path``:

    >>> MNIST.filename
    'mnist.hdf5'
    >>> [transformer.__name__ for transformer, _, _ in MNIST.default_transformers]
    ['ScaleAndShift', 'Cast']

    See ``docs/fuel.rst`` for a full example that reads the data.
    """
    filename = 'mnist.hdf5'
    default_transformers = uint8_pixels_to_floatX(('features',))

    def locate(self):
        """The path of ``mnist.hdf5`` in the data path, built there if missing."""
        try:
            return find_in_data_path(self.filename)
        except DatasetNotFoundError:
            from fuel.converters.mnist import build_shipped_mnist
            return build_shipped_mnist()
