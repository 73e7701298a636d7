"""Convert the ILSVRC 2010 challenge data (ImageNet, 1,000 classes) to HDF5.

The input directory holds the development kit (``ILSVRC2010_devkit-1.0.tar.gz``:
``meta.mat`` with the synsets, the validation ground truth), the test ground
truth (``ILSVRC2010_test_ground_truth.txt``), and the image archives:
``ILSVRC2010_images_train.tar`` (one inner tar per class, named after its
WordNet id), ``ILSVRC2010_images_val.tar``, ``ILSVRC2010_images_test.tar``
and ``patch_images.tar`` (replacements for a few damaged images, under
``.../train/``, ``.../val/`` and ``.../test/``).

The output, ``ilsvrc2010.hdf5``, has splits ``train``, ``valid`` and
``test`` and the sources ``encoded_images`` (each JPEG file as a
variable-length uint8 row: decoding is left to
:func:`fuel.transformers.defaults.rgb_images_from_encoded_bytes`),
``targets`` (int16, ``(N, 1)``: the class, 0 to 999 in the order of the
synsets) and ``filenames`` (``S32``). The training images are stored in an
order shuffled with ``shuffle_seed``.

The images are read in a separate process (:mod:`fuel.utils.parallel`) while
this one writes them.
"""
import gzip
import io
import logging
import os
from collections import OrderedDict
from functools import partial

import h5py
import numpy
import zmq

from fuel import config
from fuel.converters.base import atomic_hdf5, check_exists, progress_bar
from fuel.datasets import H5PYDataset
from fuel.utils.formats import tar_open
from fuel.utils.parallel import producer_consumer

log = logging.getLogger(__name__)

DEVKIT_ARCHIVE = 'ILSVRC2010_devkit-1.0.tar.gz'
DEVKIT_META_PATH = 'devkit-1.0/data/meta.mat'
DEVKIT_VALID_GROUNDTRUTH_PATH = ('devkit-1.0/data/'
                                 'ILSVRC2010_validation_ground_truth.txt')
PATCH_IMAGES_TAR = 'patch_images.tar'
TEST_GROUNDTRUTH = 'ILSVRC2010_test_ground_truth.txt'
TRAIN_IMAGES_TAR = 'ILSVRC2010_images_train.tar'
VALID_IMAGES_TAR = 'ILSVRC2010_images_val.tar'
TEST_IMAGES_TAR = 'ILSVRC2010_images_test.tar'
IMAGE_TARS = (TRAIN_IMAGES_TAR, VALID_IMAGES_TAR, TEST_IMAGES_TAR,
              PATCH_IMAGES_TAR)
PUBLIC_FILES = (TEST_GROUNDTRUTH, DEVKIT_ARCHIVE)
ALL_FILES = PUBLIC_FILES + IMAGE_TARS
NUM_CLASSES = 1000
#: Seconds the writer waits for the next image before giving up.
RECEIVE_TIMEOUT = 600


@check_exists(required_files=ALL_FILES)
def convert_ilsvrc2010(directory, output_directory,
                       output_filename='ilsvrc2010.hdf5',
                       shuffle_seed=config.default_seed):
    """Convert ILSVRC 2010 to HDF5.

    Parameters
    ----------
    directory : str
        The directory of the input files (see the module's documentation).
    output_directory : str
        Where to write the file.
    output_filename : str, optional
        Default ``'ilsvrc2010.hdf5'``.
    shuffle_seed : int or None, optional
        The seed of the order in which the training images are stored;
        ``None`` keeps the archive's order. Default ``config.default_seed``.

    Returns
    -------
    tuple of str
        The path of the file written.
    """
    devkit_path = os.path.join(directory, DEVKIT_ARCHIVE)
    test_groundtruth_path = os.path.join(directory, TEST_GROUNDTRUTH)
    train, valid, test, patch = [os.path.join(directory, filename)
                                 for filename in IMAGE_TARS]
    n_train, valid_groundtruth, test_groundtruth, wnid_map = prepare_metadata(
        devkit_path, test_groundtruth_path)
    n_valid, n_test = len(valid_groundtruth), len(test_groundtruth)
    output_path = os.path.join(output_directory, output_filename)
    with atomic_hdf5(output_path) as h5file:
        log.info('Creating the HDF5 datasets')
        prepare_hdf5_file(h5file, n_train, n_valid, n_test)
        log.info('Processing the training set')
        process_train_set(h5file, train, patch, n_train, wnid_map, shuffle_seed)
        log.info('Processing the validation set')
        process_other_set(h5file, 'valid', valid, patch, valid_groundtruth,
                          n_train)
        log.info('Processing the test set')
        process_other_set(h5file, 'test', test, patch, test_groundtruth,
                          n_train + n_valid)
    return (output_path,)


def fill_subparser(subparser):
    """Set up the ``ilsvrc2010`` subcommand of ``fuel-convert``."""
    subparser.add_argument('--shuffle-seed', type=int, default=config.default_seed,
                           help='the seed of the order of the training images '
                                'in the file')
    return convert_ilsvrc2010


def prepare_metadata(devkit_archive, test_groundtruth_path):
    """Read the development kit and the test ground truth.

    Returns
    -------
    n_train : int
        The number of training images.
    valid_groundtruth, test_groundtruth : list of int
        The class (0 to 999) of each validation and test image, in the order
        of their file names.
    wnid_map : dict
        From WordNet ids to classes (0 to 999).
    """
    synsets, _, raw_valid_groundtruth = read_devkit(devkit_archive)
    wnid_map = dict(zip((wnid.decode('utf8') for wnid in synsets['WNID']),
                        range(NUM_CLASSES)))
    to_class = dict(zip(synsets['ILSVRC2010_ID'].tolist(), range(len(synsets))))
    valid_groundtruth = _classes(raw_valid_groundtruth, to_class,
                                 DEVKIT_VALID_GROUNDTRUTH_PATH)
    raw_test_groundtruth = numpy.loadtxt(test_groundtruth_path, dtype=numpy.int16,
                                         ndmin=1)
    test_groundtruth = _classes(raw_test_groundtruth, to_class,
                                test_groundtruth_path)
    n_train = int(synsets['num_train_images'].sum())
    log.info('%d training, %d validation and %d test images', n_train,
             len(valid_groundtruth), len(test_groundtruth))
    return n_train, valid_groundtruth, test_groundtruth, wnid_map


def _classes(raw_ids, to_class, where):
    unknown = sorted(set(raw_ids.tolist()) - set(to_class))
    if unknown:
        raise ValueError('{} names ILSVRC ids that are not synsets of the '
                         'development kit: {}'.format(where, unknown[:5]))
    return [to_class[raw_id] for raw_id in raw_ids.tolist()]


def create_splits(n_train, n_valid, n_test):
    """The split table: train, then valid, then test, for every source.

    >>> create_splits(3, 1, 2)['test']['targets']
    (4, 6)
    """
    n_total = n_train + n_valid + n_test
    bounds = {'train': (0, n_train), 'valid': (n_train, n_train + n_valid),
              'test': (n_train + n_valid, n_total)}
    sources = ('encoded_images', 'targets', 'filenames')
    return OrderedDict((split, OrderedDict((source, bounds[split])
                                           for source in sources))
                       for split in ('train', 'valid', 'test'))


def prepare_hdf5_file(hdf5_file, n_train, n_valid, n_test):
    """Create the datasets and the split table of the output file."""
    n_total = n_train + n_valid + n_test
    hdf5_file.attrs['split'] = H5PYDataset.create_split_array(
        create_splits(n_train, n_valid, n_test))
    _create_datasets(hdf5_file, n_total)


def _create_datasets(hdf5_file, n_total):
    images = hdf5_file.create_dataset('encoded_images', shape=(n_total,),
                                      dtype=h5py.vlen_dtype(numpy.dtype('uint8')))
    targets = hdf5_file.create_dataset('targets', shape=(n_total, 1),
                                       dtype=numpy.int16)
    filenames = hdf5_file.create_dataset('filenames', shape=(n_total, 1),
                                         dtype='S32')
    images.dims[0].label = 'batch'
    for dataset in (targets, filenames):
        dataset.dims[0].label = 'batch'
        dataset.dims[1].label = 'index'


def process_train_set(hdf5_file, train_archive, patch_archive, n_train,
                      wnid_map, shuffle_seed=None):
    """Read the training images in a child process and write them, shuffled."""
    producer = partial(train_set_producer, train_archive=train_archive,
                       patch_archive=patch_archive, wnid_map=wnid_map)
    consumer = partial(image_consumer, hdf5_file=hdf5_file,
                       num_expected=n_train, shuffle_seed=shuffle_seed)
    producer_consumer(producer, consumer)


def _send_image(socket, filename, class_index, image_data):
    socket.send_pyobj((filename, class_index), zmq.SNDMORE)
    socket.send(image_data)


def _send_done(socket, count):
    socket.send_pyobj(('done', count), zmq.SNDMORE)
    socket.send(b'')


def _send_error(socket, error):
    socket.send_pyobj(('error', '{}: {}'.format(type(error).__name__, error)),
                      zmq.SNDMORE)
    socket.send(b'')


def train_set_producer(socket, train_archive, patch_archive, wnid_map):
    """Send each training image (file name, class, bytes) through ``socket``."""
    try:
        patch_images = extract_patch_images(patch_archive, 'train')
        num_patched = num_sent = 0
        with tar_open(train_archive) as tar:
            for inner_info in tar:
                if not inner_info.isfile():
                    continue
                wnid = os.path.basename(inner_info.name).split('.')[0]
                if wnid not in wnid_map:
                    raise ValueError('{} holds {}, which is not the WordNet id of '
                                     'a class'.format(train_archive,
                                                      inner_info.name))
                with tar_open(tar.extractfile(inner_info)) as inner:
                    filenames = sorted(info.name for info in inner if info.isfile())
                    for filename in filenames:
                        image_data, patched = load_from_tar_or_patch(
                            inner, filename, patch_images)
                        num_patched += patched
                        _send_image(socket, os.path.basename(filename),
                                    wnid_map[wnid], image_data)
                        num_sent += 1
        if num_patched != len(patch_images):
            raise ValueError('{} of the {} training patch images replaced no image'
                             .format(len(patch_images) - num_patched,
                                     len(patch_images)))
        _send_done(socket, num_sent)
    except Exception as error:
        _send_error(socket, error)


def image_consumer(socket, hdf5_file, num_expected, shuffle_seed=None, offset=0):
    """Receive ``num_expected`` images and write them at ``offset`` (shuffled)."""
    if shuffle_seed is None:
        order = range(num_expected)
    else:
        order = numpy.random.RandomState(shuffle_seed).permutation(num_expected)
    with progress_bar('images', num_expected) as bar:
        for i, position in enumerate(order):
            if not socket.poll(RECEIVE_TIMEOUT * 1000):
                raise RuntimeError('no image came from the reading process in {} '
                                   's after {} of {}: did it die?'.format(
                                       RECEIVE_TIMEOUT, i, num_expected))
            image_filename, class_index = socket.recv_pyobj()
            image_data = numpy.frombuffer(socket.recv(), dtype='uint8')
            if image_filename == 'error':
                raise ValueError('reading the images failed: {}'.format(
                    class_index))
            if image_filename == 'done':
                raise ValueError('expected {} images, the archive has {}'.format(
                    num_expected, class_index))
            _write_to_hdf5(hdf5_file, int(position) + offset, image_filename,
                           image_data, class_index)
            bar.update(i + 1)


def _write_to_hdf5(hdf5_file, index, image_filename, image_data, class_index):
    hdf5_file['filenames'][index] = image_filename.encode('ascii')
    hdf5_file['encoded_images'][index] = image_data
    if class_index is not None:
        hdf5_file['targets'][index] = class_index


def process_other_set(hdf5_file, which_set, image_archive, patch_archive,
                      groundtruth, offset):
    """Read the validation or test images in a child process and write them."""
    producer = partial(other_set_producer, image_archive=image_archive,
                       patch_archive=patch_archive, groundtruth=groundtruth,
                       which_set=which_set)
    consumer = partial(image_consumer, hdf5_file=hdf5_file,
                       num_expected=len(groundtruth), offset=offset)
    producer_consumer(producer, consumer)


def other_set_producer(socket, which_set, image_archive, patch_archive,
                       groundtruth):
    """Send the images of a validation or test archive, in file name order."""
    try:
        patch_images = extract_patch_images(patch_archive, which_set)
        num_patched = 0
        with tar_open(image_archive) as tar:
            filenames = sorted(info.name for info in tar if info.isfile())
            if len(filenames) != len(groundtruth):
                raise ValueError('{} holds {} images but the ground truth has {} '
                                 'labels'.format(image_archive, len(filenames),
                                                 len(groundtruth)))
            for filename, class_index in zip(filenames, groundtruth):
                image_data, patched = load_from_tar_or_patch(tar, filename,
                                                             patch_images)
                num_patched += patched
                _send_image(socket, os.path.basename(filename), class_index,
                            image_data)
        if num_patched != len(patch_images):
            raise Exception('{} of the {} {} patch images replaced no image'
                            .format(len(patch_images) - num_patched,
                                    len(patch_images), which_set))
        _send_done(socket, len(filenames))
    except Exception as error:
        _send_error(socket, error)


def load_from_tar_or_patch(tar, image_filename, patch_images):
    """The bytes of an image: its patched version if any, else from ``tar``.

    A few archive members are gzipped JPEG files; they are decompressed.

    Returns
    -------
    tuple
        ``(bytes, patched)``.
    """
    from PIL import Image
    image_bytes = patch_images.get(os.path.basename(image_filename))
    if image_bytes is not None:
        return image_bytes, True
    image_bytes = tar.extractfile(image_filename).read()
    try:
        Image.open(io.BytesIO(image_bytes)).verify()
    except (IOError, OSError, SyntaxError):
        image_bytes = gzip.decompress(image_bytes)
        Image.open(io.BytesIO(image_bytes)).verify()
    return image_bytes, False


def read_devkit(f):
    """Read the synsets, the cost matrix and the validation ground truth of the devkit.

    Parameters
    ----------
    f : str or file
        The development kit archive.
    """
    with tar_open(f) as tar:
        synsets, cost_matrix = read_metadata_mat_file(
            tar.extractfile(DEVKIT_META_PATH))
        raw_valid_groundtruth = numpy.loadtxt(
            tar.extractfile(DEVKIT_VALID_GROUNDTRUTH_PATH), dtype=numpy.int16,
            ndmin=1)
    return synsets, cost_matrix, raw_valid_groundtruth


def synsets_array(synsets, id_field):
    """The synsets of a ``meta.mat`` as a structured array of fixed-size fields.

    Fields: ``id_field`` (int16), ``WNID``, ``words`` and ``gloss`` (bytes),
    ``num_children``, ``wordnet_height`` (int8), ``num_train_images``
    (int32) and ``children`` (int16 ids, padded with -1).
    """
    def text_length(field):
        return max(1, max(len(str(value)) for value in synsets[field]))
    children = [numpy.atleast_1d(numpy.asarray(value, dtype=numpy.int16))
                for value in synsets['children']]
    width = max(1, max(len(child) for child in children))
    dtype = numpy.dtype([
        (id_field, numpy.int16), ('WNID', 'S{}'.format(text_length('WNID'))),
        ('wordnet_height', numpy.int8),
        ('gloss', 'S{}'.format(text_length('gloss'))),
        ('num_children', numpy.int16),
        ('words', 'S{}'.format(text_length('words'))),
        ('num_train_images', numpy.int32), ('children', numpy.int16, (width,))])
    array = numpy.empty(len(synsets), dtype=dtype)
    for field in (id_field, 'wordnet_height', 'num_children', 'num_train_images'):
        array[field] = [int(value) for value in synsets[field]]
    for field in ('WNID', 'gloss', 'words'):
        array[field] = [str(value).encode('utf8') for value in synsets[field]]
    array['children'] = [numpy.concatenate(
        [child, -numpy.ones(width - len(child), dtype=numpy.int16)])
        for child in children]
    return array


def read_metadata_mat_file(meta_mat):
    """Read ``meta.mat``: the synsets (a structured array) and the cost matrix."""
    from scipy.io import loadmat
    content = loadmat(meta_mat, squeeze_me=True)
    synsets = numpy.atleast_1d(content['synsets'])
    return synsets_array(synsets, 'ILSVRC2010_ID'), content.get('cost_matrix')


def extract_patch_images(f, which_set):
    """The replacement images of one set: ``{file name: bytes}``.

    Parameters
    ----------
    f : str or file
        The patch images archive.
    which_set : {'train', 'valid', 'test'}
        The set.
    """
    if which_set not in ('train', 'valid', 'test'):
        raise ValueError("which_set must be 'train', 'valid' or 'test', got {!r}"
                         .format(which_set))
    folder = 'val' if which_set == 'valid' else which_set
    patch_images = {}
    with tar_open(f) as tar:
        for info in tar:
            if not info.isfile() or not info.name.endswith('.JPEG'):
                continue
            tokens = info.name.split('/')
            if len(tokens) >= 2 and tokens[-2] == folder:
                patch_images[tokens[-1]] = tar.extractfile(info).read()
    return patch_images
