"""Convert the ILSVRC 2012 challenge data (ImageNet, 1,000 classes) to HDF5.

The input directory holds the development kit
(``ILSVRC2012_devkit_t12.tar.gz``: ``meta.mat`` with the synsets, the
validation ground truth) and the image archives ``ILSVRC2012_img_train.tar``
(one inner tar per class, named after its WordNet id),
``ILSVRC2012_img_val.tar`` and ``ILSVRC2012_img_test.tar``. The output,
``ilsvrc2012.hdf5``, is laid out as ILSVRC 2010's (see
:mod:`fuel.converters.ilsvrc2010`), except that the test set has no targets.
"""
import contextlib
import logging
import os
import tarfile
import tempfile
from collections import OrderedDict

import numpy

from fuel import config
from fuel.converters.base import atomic_hdf5, check_exists
from fuel.datasets import H5PYDataset
from fuel.utils.formats import tar_open

from .ilsvrc2010 import (_classes, _create_datasets, process_other_set,
                         process_train_set, synsets_array)

log = logging.getLogger(__name__)

DEVKIT_ARCHIVE = 'ILSVRC2012_devkit_t12.tar.gz'
DEVKIT_META_PATH = 'ILSVRC2012_devkit_t12/data/meta.mat'
DEVKIT_VALID_GROUNDTRUTH_PATH = ('ILSVRC2012_devkit_t12/data/'
                                 'ILSVRC2012_validation_ground_truth.txt')
TRAIN_IMAGES_TAR = 'ILSVRC2012_img_train.tar'
VALID_IMAGES_TAR = 'ILSVRC2012_img_val.tar'
TEST_IMAGES_TAR = 'ILSVRC2012_img_test.tar'
IMAGE_TARS = (TRAIN_IMAGES_TAR, VALID_IMAGES_TAR, TEST_IMAGES_TAR)
ALL_FILES = (DEVKIT_ARCHIVE,) + IMAGE_TARS
NUM_CLASSES = 1000


@check_exists(required_files=ALL_FILES)
def convert_ilsvrc2012(directory, output_directory,
                       output_filename='ilsvrc2012.hdf5',
                       shuffle_seed=config.default_seed):
    """Convert ILSVRC 2012 to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the input files (see the module's documentation).
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'ilsvrc2012.hdf5'``.
    shuffle_seed : int or None, optional
        The seed of the order in which the training images are stored.
        Default ``config.default_seed``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    devkit_path = os.path.join(directory, DEVKIT_ARCHIVE)
    train, valid, test = [os.path.join(directory, filename)
                          for filename in IMAGE_TARS]
    n_train, valid_groundtruth, wnid_map = prepare_metadata(devkit_path)
    with tar_open(test) as tar:
        n_test = sum(1 for info in tar if info.isfile())
    n_valid = len(valid_groundtruth)
    output_path = os.path.join(output_directory, output_filename)
    with atomic_hdf5(output_path) as h5file, create_temp_tar() as patch:
        log.info('Creating the HDF5 datasets')
        prepare_hdf5_file(h5file, n_train, n_valid, n_test)
        log.info('Processing the training set')
        process_train_set(h5file, train, patch, n_train, wnid_map, shuffle_seed)
        log.info('Processing the validation set')
        process_other_set(h5file, 'valid', valid, patch, valid_groundtruth,
                          n_train)
        log.info('Processing the test set')
        process_other_set(h5file, 'test', test, patch, (None,) * n_test,
                          n_train + n_valid)
    return (output_path,)


def fill_subparser(subparser):
    """Set up the ``ilsvrc2012`` subcommand of ``fuel-convert``."""
    subparser.add_argument('--shuffle-seed', type=int, default=config.default_seed,
                           help='the seed of the order of the training images '
                                'in the file')
    return convert_ilsvrc2012


def prepare_metadata(devkit_archive):
    """Read the development kit.

    Returns
    -------
    n_train : int
        The number of training images.
    valid_groundtruth : list of int
        The class (0 to 999) of each validation image.
    wnid_map : dict
        From WordNet ids to classes (0 to 999).
    """
    synsets, raw_valid_groundtruth = read_devkit(devkit_archive)
    wnid_map = dict(zip((wnid.decode('utf8') for wnid in synsets['WNID']),
                        range(NUM_CLASSES)))
    to_class = dict(zip(synsets['ILSVRC2012_ID'].tolist(), range(len(synsets))))
    valid_groundtruth = _classes(raw_valid_groundtruth, to_class,
                                 DEVKIT_VALID_GROUNDTRUTH_PATH)
    n_train = int(synsets['num_train_images'].sum())
    return n_train, valid_groundtruth, wnid_map


def create_splits(n_train, n_valid, n_test):
    """The split table; the test set has no targets.

    >>> list(create_splits(3, 1, 2)['test'])
    ['encoded_images', 'filenames']
    """
    n_total = n_train + n_valid + n_test
    bounds = {'train': (0, n_train), 'valid': (n_train, n_train + n_valid),
              'test': (n_train + n_valid, n_total)}
    sources = ('encoded_images', 'targets', 'filenames')
    return OrderedDict(
        (split, OrderedDict((source, bounds[split]) for source in sources
                            if source != 'targets' or split != 'test'))
        for split in ('train', 'valid', 'test'))


@contextlib.contextmanager
def create_temp_tar():
    """An empty tar archive (ILSVRC 2012 has no patch images), deleted afterwards."""
    handle, path = tempfile.mkstemp(suffix='.tar')
    os.close(handle)
    try:
        with tarfile.open(path, 'w'):
            pass
        yield path
    finally:
        os.remove(path)


def prepare_hdf5_file(hdf5_file, n_train, n_valid, n_test):
    """Create the datasets and the split table of the output file."""
    hdf5_file.attrs['split'] = H5PYDataset.create_split_array(
        create_splits(n_train, n_valid, n_test))
    _create_datasets(hdf5_file, n_train + n_valid + n_test)


def read_devkit(f):
    """Read the synsets and the validation ground truth of the devkit."""
    with tar_open(f) as tar:
        synsets = read_metadata_mat_file(tar.extractfile(DEVKIT_META_PATH))
        raw_valid_groundtruth = numpy.loadtxt(
            tar.extractfile(DEVKIT_VALID_GROUNDTRUTH_PATH), dtype=numpy.int16,
            ndmin=1)
    return synsets, raw_valid_groundtruth


def read_metadata_mat_file(meta_mat):
    """Read the synsets of ``meta.mat`` as a structured array."""
    from scipy.io import loadmat
    content = loadmat(meta_mat, squeeze_me=True)
    return synsets_array(numpy.atleast_1d(content['synsets']), 'ILSVRC2012_ID')
