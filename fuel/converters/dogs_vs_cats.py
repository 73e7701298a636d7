"""Convert Kaggle's Dogs vs. Cats photos to HDF5.

The input directory holds ``dogs_vs_cats.train.zip`` (``train/cat.0.jpg``,
``train/dog.0.jpg``...) and ``dogs_vs_cats.test1.zip`` (``test1/1.jpg``...).
The output, ``dogs_vs_cats.hdf5``, has splits ``train`` (shuffled once, with a
fixed seed) and ``test`` (in numerical order, without targets);
``image_features``, the photos as variable-length uint8 rows with their
shapes ``(channel, height, width)``; ``targets``, uint8 of shape ``(N, 1)``,
0 for a cat and 1 for a dog.
"""
import os
import zipfile

import numpy

from fuel.converters.base import (atomic_hdf5, check_exists, create_vlen_source,
                                  progress_bar)
from fuel.datasets.hdf5 import H5PYDataset

TRAIN = 'dogs_vs_cats.train.zip'
TEST = 'dogs_vs_cats.test1.zip'
SHUFFLE_SEED = 123522


def image_names(archive):
    """The JPEG members of a zip archive."""
    return [name for name in archive.namelist()
            if name.lower().endswith(('.jpg', '.jpeg'))]


def _test_number(name):
    return int(os.path.splitext(os.path.basename(name))[0])


@check_exists(required_files=[TRAIN, TEST])
def convert_dogs_vs_cats(directory, output_directory,
                         output_filename='dogs_vs_cats.hdf5'):
    """Convert Dogs vs. Cats to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the two zip archives.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'dogs_vs_cats.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    from PIL import Image
    output_path = os.path.join(output_directory, output_filename)
    with zipfile.ZipFile(os.path.join(directory, TRAIN)) as train, \
            zipfile.ZipFile(os.path.join(directory, TEST)) as test:
        train_names = sorted(image_names(train))
        numpy.random.RandomState(SHUFFLE_SEED).shuffle(train_names)
        test_names = sorted(image_names(test), key=_test_number)
        n_train, n_test = len(train_names), len(test_names)
        with atomic_hdf5(output_path) as h5file:
            features, shapes = create_vlen_source(
                h5file, 'image_features', n_train + n_test,
                ('channel', 'height', 'width'))
            targets = h5file.create_dataset('targets', (n_train, 1), dtype='uint8')
            targets.dims[0].label = 'batch'
            targets.dims[1].label = 'index'
            i = 0
            for archive, names in ((train, train_names), (test, test_names)):
                with progress_bar(archive.filename, len(names)) as bar:
                    for j, name in enumerate(names):
                        with archive.open(name) as file_:
                            image = numpy.asarray(Image.open(file_).convert('RGB'))
                        image = image.transpose(2, 0, 1)
                        features[i] = image.ravel()
                        shapes[i] = image.shape
                        if archive is train:
                            kind = os.path.basename(name).split('.')[0]
                            if kind not in ('cat', 'dog'):
                                raise ValueError(
                                    '{}: training images are named cat.N.jpg or '
                                    'dog.N.jpg, got {}'.format(archive.filename,
                                                               name))
                            targets[i] = kind == 'dog'
                        i += 1
                        bar.update(j + 1)
            h5file.attrs['split'] = H5PYDataset.create_split_array({
                'train': {'image_features': (0, n_train),
                          'targets': (0, n_train)},
                'test': {'image_features': (n_train, n_train + n_test)}})
    return (output_path,)


def fill_subparser(subparser):
    """Set up the ``dogs_vs_cats`` subcommand of ``fuel-convert``."""
    return convert_dogs_vs_cats
