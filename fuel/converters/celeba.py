"""Convert CelebA (aligned and cropped images, and their attributes) to HDF5.

The input directory holds ``img_align_celeba.zip`` (the JPEG images,
``img_align_celeba/000001.jpg`` and on, 178 wide and 218 high) and
``list_attr_celeba.txt`` (the number of images, the 40 attribute names,
then one line per image: its file name and 40 values, 1 or -1). The output
has splits ``train`` (the first 162,770 images), ``valid`` (to 182,637) and
``test`` (the rest); ``features``, uint8 of shape ``(N, 3, 218, 178)``
(format ``aligned_cropped``) or ``(N, 3, 64, 64)`` (format ``64``: the
central 178x178 square, resized); ``targets``, uint8 of shape ``(N, 40)``,
1 where the attribute holds.
"""
import os
import zipfile

import numpy

from fuel.converters.base import (atomic_hdf5, check_exists, progress_bar,
                                  set_axis_labels)
from fuel.datasets import H5PYDataset

IMAGE_FILE = 'img_align_celeba.zip'
ATTRIBUTES_FILE = 'list_attr_celeba.txt'
DATASET_FILES = [IMAGE_FILE, ATTRIBUTES_FILE]
NUM_EXAMPLES = 202599
TRAIN_STOP = 162770
VALID_STOP = 182637
OUTPUT_FILENAME = 'celeba_aligned_cropped.hdf5'
IMAGE_SHAPE = (218, 178)
FORMATS = ('aligned_cropped', '64')


def read_attributes(path):
    """The image names, attribute names and uint8 targets of ``list_attr_celeba.txt``."""
    with open(path) as file_:
        count = int(file_.readline())
        attribute_names = file_.readline().split()
        names, rows = [], []
        for line in file_:
            fields = line.split()
            if not fields:
                continue
            if len(fields) != len(attribute_names) + 1:
                raise ValueError('{}: expected a file name and {} values per '
                                 'line, got {!r}'.format(path,
                                                         len(attribute_names),
                                                         line.strip()))
            names.append(fields[0])
            rows.append([value == '1' for value in fields[1:]])
    if len(names) != count:
        raise ValueError('{} announces {} images and lists {}'.format(
            path, count, len(names)))
    return names, attribute_names, numpy.array(rows, dtype=numpy.uint8)


def _split_dict(count):
    train_stop = min(TRAIN_STOP, count)
    valid_stop = min(VALID_STOP, count)
    bounds = {'train': (0, train_stop), 'valid': (train_stop, valid_stop),
              'test': (valid_stop, count)}
    return {split: {'features': bound, 'targets': bound}
            for split, bound in bounds.items()}


def _convert(directory, output_directory, output_filename, shape, read_image):
    names, attribute_names, targets = read_attributes(
        os.path.join(directory, ATTRIBUTES_FILE))
    output_path = os.path.join(output_directory, output_filename)
    zip_path = os.path.join(directory, IMAGE_FILE)
    with atomic_hdf5(output_path) as h5file, zipfile.ZipFile(zip_path) as archive:
        members = {os.path.basename(member): member
                   for member in archive.namelist() if not member.endswith('/')}
        missing = [name for name in names if name not in members]
        if missing:
            raise ValueError('{} lacks {} of the images that {} lists, e.g. {}'
                             .format(zip_path, len(missing), ATTRIBUTES_FILE,
                                     missing[0]))
        features = h5file.create_dataset('features', (len(names), 3) + shape,
                                         dtype='uint8')
        h5file['targets'] = targets
        h5file['targets'].attrs['attribute_names'] = [
            name.encode('utf8') for name in attribute_names]
        with progress_bar('images', len(names)) as bar:
            for i, name in enumerate(names):
                with archive.open(members[name]) as file_:
                    features[i] = read_image(file_)
                bar.update(i + 1)
        set_axis_labels(h5file, {
            'features': ('batch', 'channel', 'height', 'width'),
            'targets': ('batch', 'index')})
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            _split_dict(len(names)))
    return (output_path,)


def _read_aligned_cropped(file_):
    from PIL import Image
    image = numpy.asarray(Image.open(file_).convert('RGB'))
    if image.shape[:2] != IMAGE_SHAPE:
        raise ValueError('CelebA images are {}x{} (height x width), got {}'.format(
            IMAGE_SHAPE[0], IMAGE_SHAPE[1], image.shape[:2]))
    return image.transpose(2, 0, 1)


def _read_64(file_):
    from PIL import Image
    image = Image.open(file_).convert('RGB')
    # The central 178x178 square (rows 20 to 198), then 64x64.
    image = image.crop((0, 20, 178, 198)).resize((64, 64), Image.LANCZOS)
    return numpy.asarray(image).transpose(2, 0, 1)


@check_exists(required_files=DATASET_FILES)
def convert_celeba_aligned_cropped(directory, output_directory,
                                   output_filename=OUTPUT_FILENAME):
    """Convert the aligned and cropped CelebA images (218x178) to HDF5.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    return _convert(directory, output_directory, output_filename, IMAGE_SHAPE,
                    _read_aligned_cropped)


@check_exists(required_files=DATASET_FILES)
def convert_celeba_64(directory, output_directory,
                      output_filename='celeba_64.hdf5'):
    """Convert CelebA to 64x64 images (the central square, resized) in HDF5.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    return _convert(directory, output_directory, output_filename, (64, 64),
                    _read_64)


def convert_celeba(which_format, directory, output_directory,
                   output_filename=None):
    """Convert CelebA to HDF5 in one of its formats.

    Parameters
    ----------
    which_format : {'aligned_cropped', '64'}
        The images' format.
    directory : str
        The directory of the input files.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'celeba_{which_format}.hdf5'``.
    """
    if which_format not in FORMATS:
        raise ValueError("which_format must be 'aligned_cropped' or '64', got "
                         '{!r}'.format(which_format))
    if output_filename is None:
        output_filename = 'celeba_{}.hdf5'.format(which_format)
    converter = (convert_celeba_aligned_cropped if which_format == FORMATS[0]
                 else convert_celeba_64)
    return converter(directory, output_directory, output_filename)


def fill_subparser(subparser):
    """Set up the ``celeba`` subcommand of ``fuel-convert``."""
    subparser.add_argument('which_format', choices=FORMATS,
                           help='the format of the images')
    return convert_celeba
