"""Convert SVHN, format 1 (full pictures) or 2 (32x32 crops), to Fuel's HDF5 format.

Format 1: the input directory holds ``train.tar.gz``, ``test.tar.gz`` and
``extra.tar.gz``, each with the PNG pictures (``train/1.png``...) and
``digitStruct.mat`` (MATLAB 7.3, i.e. HDF5), which gives each picture's file
name and the bounding boxes of its digits (``height``, ``width``, ``left``,
``top``, ``label``). The output, ``svhn_format_1.hdf5``, has splits
``train``, ``test`` and ``extra``; ``features``, the pictures as
variable-length uint8 rows with their shapes ``(channel, height, width)``;
``bbox_heights``, ``bbox_widths``, ``bbox_lefts``, ``bbox_tops`` and
``bbox_labels``, one variable-length row per picture with one value per
digit (axis ``bounding_box``), the labels with digit 0 labelled 0 (the
original files label it 10).

Format 2: the input directory holds ``train_32x32.mat``, ``test_32x32.mat`` and
``extra_32x32.mat``, each with ``X`` (uint8, ``(32, 32, 3, N)``) and ``y``
(``(N, 1)``, digit 0 labelled 10). The output, ``svhn_format_2.hdf5``, has
splits ``train``, ``test`` and ``extra``, ``features`` uint8 of shape
``(N, 3, 32, 32)`` and ``targets`` uint8 of shape ``(N, 1)`` with digit 0
labelled 0.
"""
import io
import os
import tarfile

import h5py
import numpy

from fuel.converters.base import (atomic_hdf5, check_exists, create_vlen_source,
                                  progress_bar, write_converted_file)
from fuel.datasets import H5PYDataset

SETS = ('train', 'test', 'extra')
FORMAT_1_FILES = ['{}.tar.gz'.format(name) for name in SETS]
FORMAT_2_FILES = ['{}_32x32.mat'.format(name) for name in SETS]
BBOX_FIELDS = ('height', 'width', 'left', 'top', 'label')


def _matlab_string(h5file, reference):
    return ''.join(chr(int(code)) for code in h5file[reference][...].ravel())


def _bbox_values(h5file, dataset):
    """The values of one field of one picture's boxes (stored inline or by reference)."""
    values = dataset[...].ravel()
    if dataset.dtype == h5py.ref_dtype:
        return [float(h5file[reference][...].ravel()[0]) for reference in values]
    return [float(value) for value in values]


def read_digit_struct(data):
    """Read ``digitStruct.mat`` (bytes): each picture's name and boxes.

    Returns
    -------
    list of tuple
        ``(file name, {field: list of values})`` per picture, in order.
    """
    with h5py.File(io.BytesIO(data), 'r') as h5file:
        group = h5file['digitStruct']
        names = [_matlab_string(h5file, reference)
                 for reference in group['name'][...].ravel()]
        boxes = []
        for reference in group['bbox'][...].ravel():
            box = h5file[reference]
            boxes.append({field: _bbox_values(h5file, box[field])
                          for field in BBOX_FIELDS})
    return list(zip(names, boxes))


def read_format_1_archive(path):
    """The pictures (``(channel, height, width)`` uint8) and boxes of one archive."""
    from PIL import Image
    with tarfile.open(path, 'r:gz') as archive:
        members = {member.name: member for member in archive.getmembers()
                   if member.isfile()}
        struct_names = [name for name in members
                        if os.path.basename(name) == 'digitStruct.mat']
        if not struct_names:
            raise ValueError('{} has no digitStruct.mat'.format(path))
        folder = os.path.dirname(struct_names[0])
        pictures = read_digit_struct(
            archive.extractfile(members[struct_names[0]]).read())
        images = []
        with progress_bar(os.path.basename(path), len(pictures)) as bar:
            for i, (name, _) in enumerate(pictures):
                member = members.get(os.path.join(folder, name).lstrip('/'))
                if member is None:
                    raise ValueError('{} lists {} in digitStruct.mat but has no '
                                     'such picture'.format(path, name))
                with archive.extractfile(member) as file_:
                    image = numpy.asarray(Image.open(file_).convert('RGB'))
                images.append(image.transpose(2, 0, 1))
                bar.update(i + 1)
    return images, [boxes for _, boxes in pictures]


@check_exists(required_files=FORMAT_1_FILES)
def convert_svhn_format_1(directory, output_directory,
                          output_filename='svhn_format_1.hdf5'):
    """Convert SVHN format 1 (full pictures with digit boxes) to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the three ``.tar.gz`` archives.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'svhn_format_1.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    parts = [read_format_1_archive(os.path.join(directory, filename))
             for filename in FORMAT_1_FILES]
    total = sum(len(images) for images, _ in parts)
    output_path = os.path.join(output_directory, output_filename)
    sources = ['features'] + ['bbox_{}s'.format(field) for field in BBOX_FIELDS]
    with atomic_hdf5(output_path) as h5file:
        features, feature_shapes = create_vlen_source(
            h5file, 'features', total, ('channel', 'height', 'width'))
        bbox_sources = {field: create_vlen_source(
            h5file, 'bbox_{}s'.format(field), total, ('bounding_box',),
            dtype='uint16' if field == 'label' else 'int32')
            for field in BBOX_FIELDS}
        i = 0
        split_dict = {}
        for name, (images, boxes) in zip(SETS, parts):
            start = i
            for image, box in zip(images, boxes):
                features[i] = image.ravel()
                feature_shapes[i] = image.shape
                for field, (data, shapes) in bbox_sources.items():
                    values = numpy.array(box[field])
                    if field == 'label':
                        values = numpy.where(values == 10, 0, values)
                    data[i] = values.astype(h5py.check_vlen_dtype(data.dtype))
                    shapes[i] = (len(values),)
                i += 1
            split_dict[name] = {source: (start, i) for source in sources}
        h5file.attrs['split'] = H5PYDataset.create_split_array(split_dict)
    return (output_path,)


def read_format_2(path):
    """Read a format-2 ``.mat`` file: features ``(N, 3, 32, 32)`` and targets ``(N, 1)``."""
    from scipy.io import loadmat
    content = loadmat(path)
    features = numpy.asarray(content['X'], dtype=numpy.uint8).transpose(3, 2, 0, 1)
    targets = numpy.asarray(content['y'], dtype=numpy.uint8).reshape((-1, 1))
    targets = numpy.where(targets == 10, 0, targets).astype(numpy.uint8)
    return numpy.ascontiguousarray(features), targets


@check_exists(required_files=FORMAT_2_FILES)
def convert_svhn_format_2(directory, output_directory,
                          output_filename='svhn_format_2.hdf5'):
    """Convert SVHN format 2 to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the three ``.mat`` files.
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'svhn_format_2.hdf5'``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    data = []
    for name, filename in zip(SETS, FORMAT_2_FILES):
        features, targets = read_format_2(os.path.join(directory, filename))
        data.append((name, 'features', features))
        data.append((name, 'targets', targets))
    return write_converted_file(output_directory, output_filename, data, {
        'features': ('batch', 'channel', 'height', 'width'),
        'targets': ('batch', 'index')})


def convert_svhn(which_format, directory, output_directory,
                 output_filename=None):
    """Convert SVHN to HDF5.

    Parameters
    ----------
    which_format : {1, 2}
        Format 1: the full pictures with the digits' boxes; format 2: the
        32x32 crops.
    directory, output_directory : str
        Where the input files are, and where to write the file.
    output_filename : str, optional
        Default ``'svhn_format_{which_format}.hdf5'``.
    """
    if which_format not in (1, 2):
        raise ValueError('which_format must be 1 or 2, got {!r}'.format(
            which_format))
    if output_filename is None:
        output_filename = 'svhn_format_{}.hdf5'.format(which_format)
    converter = convert_svhn_format_1 if which_format == 1 else convert_svhn_format_2
    return converter(directory, output_directory, output_filename)


def fill_subparser(subparser):
    """Set up the ``svhn`` subcommand of ``fuel-convert``."""
    subparser.add_argument('which_format', type=int, choices=(1, 2),
                           help='which format of the dataset to convert')
    return convert_svhn
