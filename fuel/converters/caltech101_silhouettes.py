"""Convert CalTech 101 Silhouettes (Benjamin Marlin's MATLAB files) to HDF5.

The input, ``caltech101_silhouettes_{SIZE}_split1.mat``, holds
``train_data``, ``val_data`` and ``test_data`` (one flattened image per row)
and ``train_labels``, ``val_labels`` and ``test_labels`` (``(N, 1)``, 1 to
101). The output, ``caltech101_silhouettes{SIZE}.hdf5``, has splits
``train``, ``valid`` and ``test``; ``features`` of shape ``(N, 1, SIZE,
SIZE)`` and ``targets`` of shape ``(N, 1)``, in the file's dtypes.
"""
import os

from fuel.converters.base import MissingInputFiles, write_converted_file

INPUT_FILE = 'caltech101_silhouettes_{}_split1.mat'
SPLITS = (('train', 'train'), ('valid', 'val'), ('test', 'test'))


def convert_silhouettes(size, directory, output_directory, output_filename=None):
    """Convert CalTech 101 Silhouettes to HDF5.

    Parameters
    ----------
    size : {16, 28}
        The side of the images.
    directory : str
        The directory of the ``.mat`` file.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'caltech101_silhouettes{size}.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    from scipy.io import loadmat
    if size not in (16, 28):
        raise ValueError('size must be 16 or 28, got {!r}'.format(size))
    if output_filename is None:
        output_filename = 'caltech101_silhouettes{}.hdf5'.format(size)
    input_file = os.path.join(directory, INPUT_FILE.format(size))
    if not os.path.isfile(input_file):
        raise MissingInputFiles('required input files are missing', [input_file])
    content = loadmat(input_file)
    data = []
    for split, prefix in SPLITS:
        features = content['{}_data'.format(prefix)]
        if features.shape[1] != size * size:
            raise ValueError('{}: {}_data has rows of {} values, expected {}x{} '
                             'images'.format(input_file, prefix,
                                             features.shape[1], size, size))
        data.append((split, 'features', features.reshape((-1, 1, size, size))))
        data.append((split, 'targets', content['{}_labels'.format(prefix)]
                     .reshape((-1, 1))))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'channel', 'height', 'width'),
        'targets': ('batch', 'index')})


def fill_subparser(subparser):
    """Set up the ``caltech101_silhouettes`` subcommand of ``fuel-convert``."""
    subparser.add_argument('size', type=int, choices=(16, 28),
                           help='the side of the images')
    return convert_silhouettes
