"""The converters of the datasets, on small files in each original format.

Each test writes a few examples in the format the dataset is distributed in,
runs ``fuel-convert``, and reads the result back through the dataset class.
"""
import io
import os
import stat
import sys
import tarfile
import zipfile

import h5py
import numpy
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image

from fuel.bin import fuel_convert
from fuel.converters import binarized_mnist, celeba as celeba_converter
from fuel.datasets import (Adult, CalTech101Silhouettes, CelebA, DogsVsCats,
                           H5PYDataset, Iris, SVHN)
from fuel.datasets.imagenet import ILSVRC2010, ILSVRC2012
from fuel.datasets.youtube_audio import YouTubeAudio
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream


def convert(*args):
    return fuel_convert.run(list(args))


def whole(dataset):
    """Every example of a dataset, through its default transformers, as a dict."""
    stream = DataStream.default_stream(dataset, iteration_scheme=SequentialScheme(
        dataset.num_examples, dataset.num_examples))
    return next(stream.get_epoch_iterator(as_dict=True))


def encode(pixels, format_):
    """``(height, width, 3)`` uint8 pixels as an image file's bytes."""
    output = io.BytesIO()
    Image.fromarray(pixels).save(output, format=format_)
    return output.getvalue()


def decode(data):
    """What Pillow decodes, as ``(3, height, width)`` (the reference)."""
    return numpy.asarray(Image.open(io.BytesIO(data)).convert('RGB')).transpose(2, 0, 1)


def add_bytes(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


ADULT_ROWS = [
    '39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, '
    'Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K',
    '50, Self-emp-not-inc, 83311, Bachelors, 13, Married-civ-spouse, '
    'Exec-managerial, Husband, White, Male, 0, 0, 13, United-States, >50K',
    '38, Private, 215646, HS-grad, 9, Divorced, Handlers-cleaners, '
    'Not-in-family, Black, Female, 0, 0, 40, Cuba, <=50K',
    '54, ?, 180211, Some-college, 10, Married-civ-spouse, ?, Husband, '
    'Asian-Pac-Islander, Male, 0, 0, 60, South, >50K',
]


def test_adult(tmp_path, monkeypatch):
    (tmp_path / 'adult.data').write_text('\n'.join(ADULT_ROWS) + '\n')
    (tmp_path / 'adult.test').write_text(
        '|1x3 Cross validator\n'
        '25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, '
        'Own-child, Black, Male, 0, 0, 40, United-States, <=50K.\n'
        '44, Private, 160323, Some-college, 10, Married-civ-spouse, '
        'Machine-op-inspct, Husband, Black, Male, 7688, 0, 40, Peru, >50K.\n')
    output, = convert('adult', '-d', str(tmp_path), '-o', str(tmp_path))
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    train, test = whole(Adult(('train',))), whole(Adult(('test',)))
    # The row with missing values is left out; 6 continuous + one-hot columns.
    categories = {'workclass': 3, 'education': 2, 'marital-status': 3,
                  'occupation': 3, 'relationship': 2, 'race': 2, 'sex': 2,
                  'native-country': 2}
    assert train['features'].shape == (3, 6 + sum(categories.values()))
    assert train['targets'].tolist() == [[0], [1], [0]]
    assert test['targets'].tolist() == [[0], [1]]
    # age, workclass (Private, Self-emp-not-inc, State-gov), fnlwgt, education
    # (Bachelors, HS-grad), education-num...
    assert train['features'][0, :7].tolist() == [39, 0, 0, 1, 77516, 1, 0]
    assert test['features'][0, :4].tolist() == [25, 1, 0, 0]
    assert test['features'][0, 5:7].tolist() == [0, 0]  # 11th: unseen in train
    native = slice(-2, None)  # Cuba, United-States
    assert test['features'][:, native].tolist() == [[0, 1], [0, 0]]  # Peru
    assert H5PYDataset(output, ('train',)).axis_labels['features'] == \
        ('batch', 'feature')


def test_iris(tmp_path, monkeypatch):
    rows = [('5.1', '3.5', '1.4', '0.2', 'Iris-setosa'),
            ('7.0', '3.2', '4.7', '1.4', 'Iris-versicolor'),
            ('6.3', '3.3', '6.0', '2.5', 'Iris-virginica')]
    (tmp_path / 'iris.data').write_text(
        '\n'.join(','.join(row) for row in rows) + '\n\n')
    convert('iris', '-d', str(tmp_path), '-o', str(tmp_path))
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    data = whole(Iris(('all',)))
    assert data['features'].dtype == numpy.float32
    assert_allclose(data['features'], [[float(v) for v in row[:4]] for row in rows])
    assert data['targets'].tolist() == [[0], [1], [2]]
    (tmp_path / 'iris.data').write_text('1,2,3,4,Iris-unknown\n')
    with pytest.raises(ValueError, match='iris.data, line 1: expected four '
                                         'numbers and one of Iris-setosa'):
        convert('iris', '-d', str(tmp_path), '-o', str(tmp_path))


@pytest.mark.parametrize('size', [16, 28])
def test_caltech101_silhouettes(tmp_path, monkeypatch, rng, size):
    from scipy.io import savemat
    content = {}
    for prefix, count in (('train', 4), ('val', 2), ('test', 3)):
        content[prefix + '_data'] = rng.integers(0, 2, (count, size * size)) \
            .astype('uint8')
        content[prefix + '_labels'] = rng.integers(1, 102, (count, 1)) \
            .astype('uint8')
    savemat(str(tmp_path / 'caltech101_silhouettes_{}_split1.mat'.format(size)),
            content)
    output, = convert('caltech101_silhouettes', str(size), '-d', str(tmp_path),
                      '-o', str(tmp_path))
    assert os.path.basename(output) == 'caltech101_silhouettes{}.hdf5'.format(size)
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    for split, prefix in (('train', 'train'), ('valid', 'val'), ('test', 'test')):
        data = whole(CalTech101Silhouettes((split,), size=size))
        assert data['features'].shape[1:] == (1, size, size)
        assert_array_equal(data['features'].reshape(len(data['features']), -1),
                           content[prefix + '_data'])
        assert_array_equal(data['targets'], content[prefix + '_labels'])
    with pytest.raises(ValueError, match='size must be 16 or 28, got 20'):
        CalTech101Silhouettes(('train',), size=20)


@pytest.fixture
def celeba_files(tmp_path, rng):
    names = ['{:06d}.jpg'.format(i) for i in range(1, 6)]
    images = {}
    with zipfile.ZipFile(tmp_path / 'img_align_celeba.zip', 'w') as archive:
        archive.writestr('img_align_celeba/', b'')
        for name in names:
            pixels = rng.integers(0, 256, (218, 178, 3)).astype('uint8')
            images[name] = encode(pixels, 'JPEG')
            archive.writestr('img_align_celeba/' + name, images[name])
    attributes = rng.choice([-1, 1], (5, 40))
    with open(tmp_path / 'list_attr_celeba.txt', 'w') as file_:
        file_.write('5\n' + ' '.join('attr{}'.format(i) for i in range(40)) + '\n')
        for name, row in zip(names, attributes):
            file_.write(name + ' ' + ' '.join('{:2d}'.format(v) for v in row) + '\n')
    return names, images, attributes


def test_celeba_both_formats(tmp_path, monkeypatch, celeba_files):
    names, images, attributes = celeba_files
    monkeypatch.setattr(celeba_converter, 'TRAIN_STOP', 3)
    monkeypatch.setattr(celeba_converter, 'VALID_STOP', 4)
    convert('celeba', 'aligned_cropped', '-d', str(tmp_path), '-o', str(tmp_path))
    convert('celeba', '64', '-d', str(tmp_path), '-o', str(tmp_path))
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    full = CelebA('aligned_cropped', ('train', 'valid', 'test'))
    assert full.num_examples == 5 and not full.load_in_memory
    features, targets = full.get_data(request=list(range(5)))
    assert_array_equal(features, [decode(images[name]) for name in names])
    assert_array_equal(targets, attributes == 1)
    assert CelebA('aligned_cropped', ('valid',)).num_examples == 1
    small = whole(CelebA('64', ('test',)))
    assert small['features'].shape == (1, 3, 64, 64)
    assert small['features'].dtype.kind == 'f' and small['features'].max() <= 1
    reference = Image.open(io.BytesIO(images[names[4]])).convert('RGB') \
        .crop((0, 20, 178, 198)).resize((64, 64), Image.LANCZOS)
    assert_allclose(small['features'][0] * 255,
                    numpy.asarray(reference).transpose(2, 0, 1), atol=1e-3)
    with pytest.raises(ValueError, match="which_format must be 'aligned_cropped' "
                                         "or '64', got '32'"):
        CelebA('32', ('train',))


def test_dogs_vs_cats(tmp_path, monkeypatch, rng):
    train_names = ['train/cat.0.jpg', 'train/dog.0.jpg', 'train/cat.1.jpg',
                   'train/dog.1.jpg']
    test_names = ['test1/{}.jpg'.format(i) for i in (10, 2, 1)]
    images = {}
    for archive_name, names in (('dogs_vs_cats.train.zip', train_names),
                                ('dogs_vs_cats.test1.zip', test_names)):
        with zipfile.ZipFile(tmp_path / archive_name, 'w') as archive:
            archive.writestr(names[0].split('/')[0] + '/', b'')
            for name in names:
                shape = tuple(rng.integers(5, 12, 2)) + (3,)
                images[name] = encode(rng.integers(0, 256, shape).astype('uint8'),
                                      'JPEG')
                archive.writestr(name, images[name])
    convert('dogs_vs_cats', '-d', str(tmp_path), '-o', str(tmp_path))
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    train = DogsVsCats(('train',))
    features, targets = train.get_data(request=list(range(4)))
    order = sorted(train_names)
    numpy.random.RandomState(123522).shuffle(order)
    for image, target, name in zip(features, targets, order):
        assert_array_equal(image, decode(images[name]))
        assert target[0] == ('dog' in name)
    test = DogsVsCats(('test',))
    assert test.sources == ('image_features',)
    scaled = whole(test)['image_features']
    for image, name in zip(scaled, ['test1/1.jpg', 'test1/2.jpg', 'test1/10.jpg']):
        assert_allclose(image, decode(images[name]) / 255.0)
    assert train.axis_labels['image_features'] == ('batch', 'channel', 'height',
                                                   'width')


def write_digit_struct(path, pictures):
    """A MATLAB 7.3 ``digitStruct.mat`` (HDF5) for ``(name, boxes)`` pairs."""
    with h5py.File(path, 'w') as h5file:
        refs = h5file.create_group('#refs#')
        group = h5file.create_group('digitStruct')
        name_refs, bbox_refs = [], []
        for i, (name, boxes) in enumerate(pictures):
            name_data = refs.create_dataset('name{}'.format(i), data=numpy.array(
                [[ord(char)] for char in name], dtype='uint16'))
            name_refs.append(name_data.ref)
            box = refs.create_group('bbox{}'.format(i))
            for field in ('height', 'width', 'left', 'top', 'label'):
                values = boxes[field]
                if len(values) == 1:
                    box[field] = numpy.array([[values[0]]], dtype='float64')
                else:
                    value_refs = [refs.create_dataset(
                        'v{}{}{}'.format(i, field, j),
                        data=numpy.array([[value]], dtype='float64')).ref
                        for j, value in enumerate(values)]
                    box.create_dataset(field, data=numpy.array(
                        value_refs, dtype=h5py.ref_dtype).reshape(-1, 1))
            bbox_refs.append(box.ref)
        group.create_dataset('name', data=numpy.array(name_refs,
                                                      dtype=h5py.ref_dtype)[:, None])
        group.create_dataset('bbox', data=numpy.array(bbox_refs,
                                                      dtype=h5py.ref_dtype)[:, None])


def test_svhn_format_1(tmp_path, monkeypatch, rng):
    expected = {}
    for split, count in (('train', 2), ('test', 1), ('extra', 2)):
        pictures, images = [], []
        for i in range(count):
            digits = int(rng.integers(1, 4))
            boxes = {field: rng.integers(1, 40, digits).tolist()
                     for field in ('height', 'width', 'left', 'top')}
            boxes['label'] = rng.integers(1, 11, digits).tolist()
            pixels = rng.integers(0, 256, tuple(rng.integers(8, 20, 2)) + (3,))
            pictures.append(('{}.png'.format(i + 1), boxes))
            images.append(pixels.astype('uint8').transpose(2, 0, 1))
        struct_path = tmp_path / 'digitStruct.mat'
        write_digit_struct(struct_path, pictures)
        with tarfile.open(tmp_path / '{}.tar.gz'.format(split), 'w:gz') as archive:
            for (name, _), image in zip(pictures, images):
                add_bytes(archive, '{}/{}'.format(split, name),
                          encode(image.transpose(1, 2, 0), 'PNG'))
            add_bytes(archive, '{}/digitStruct.mat'.format(split),
                      struct_path.read_bytes())
        expected[split] = (images, [boxes for _, boxes in pictures])
    convert('svhn', '1', '-d', str(tmp_path), '-o', str(tmp_path))
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    for split, (images, boxes) in expected.items():
        dataset = SVHN(1, (split,), load_in_memory=False)
        assert set(dataset.sources) == {'features', 'bbox_heights', 'bbox_widths',
                                        'bbox_lefts', 'bbox_tops', 'bbox_labels'}
        data = dict(zip(dataset.sources,
                        dataset.get_data(request=list(range(len(images))))))
        for i, image in enumerate(images):
            assert_array_equal(data['features'][i], image)
            for field in ('height', 'width', 'left', 'top'):
                assert data['bbox_{}s'.format(field)][i].tolist() == \
                    boxes[i][field]
            assert data['bbox_labels'][i].tolist() == [
                0 if label == 10 else label for label in boxes[i]['label']]


def test_youtube_audio_with_ffmpeg(tmp_path, monkeypatch):
    """A stand-in ``ffmpeg`` on the PATH writes the WAV file it is asked for."""
    from scipy.io import wavfile
    samples = (numpy.arange(800, dtype='int16') * 7).reshape(400, 2)
    reference = tmp_path / 'reference.wav'
    wavfile.write(str(reference), 8000, samples)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    ffmpeg = bin_dir / 'ffmpeg'
    ffmpeg.write_text('#!{}\nimport shutil, sys\n'
                      "assert sys.argv[1:4] == ['-y', '-i', {!r}]\n"
                      "assert sys.argv[4:8] == ['-ac', '2', '-ar', '8000']\n"
                      'shutil.copyfile({!r}, sys.argv[8])\n'.format(
                          sys.executable, str(tmp_path / 'vid.m4a'),
                          str(reference)))
    ffmpeg.chmod(ffmpeg.stat().st_mode | stat.S_IEXEC)
    (tmp_path / 'vid.m4a').write_bytes(b'fake audio')
    monkeypatch.setenv('PATH', str(bin_dir))
    output, = convert('youtube_audio', '--youtube-id', 'vid', '--channels', '2',
                      '--sample', '8000', '-d', str(tmp_path), '-o', str(tmp_path))
    assert os.path.basename(output) == 'vid.hdf5'
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    dataset = YouTubeAudio('vid')
    features, = dataset.get_data(request=[0])
    assert_array_equal(features[0], samples)
    assert dataset.axis_labels['features'] == ('batch', 'time', 'feature')
    monkeypatch.setenv('PATH', str(tmp_path / 'nowhere'))
    with pytest.raises(RuntimeError, match='needs ffmpeg'):
        convert('youtube_audio', '--youtube-id', 'vid', '-d', str(tmp_path),
                '-o', str(tmp_path))


def test_binarized_mnist_constants():
    assert binarized_mnist.ALL_FILES == [
        'binarized_mnist_train.amat', 'binarized_mnist_valid.amat',
        'binarized_mnist_test.amat']


def test_binarized_mnist_reads_amat_files_written_by_savetxt(tmp_path, rng):
    # numpy.savetxt writes floats ('1.000e+00'); the original's loadtxt read them.
    images = {name: rng.integers(0, 2, (3, 784)) for name in binarized_mnist.SETS}
    for name, filename in zip(binarized_mnist.SETS, binarized_mnist.FILENAMES):
        numpy.savetxt(str(tmp_path / filename), images[name])
    output, = binarized_mnist.convert_binarized_mnist(str(tmp_path), str(tmp_path))
    with h5py.File(output, 'r') as h5file:
        assert h5file['features'].dtype == numpy.uint8
        assert_array_equal(h5file['features'][...], numpy.vstack(
            [images[name] for name in binarized_mnist.SETS]).reshape((-1, 1, 28, 28)))


# --- ILSVRC ------------------------------------------------------------------

def write_meta_mat(path, id_field, wnids, train_counts):
    """A devkit ``meta.mat``: the leaf synsets, then one inner node."""
    from scipy.io import savemat
    fields = [id_field, 'WNID', 'words', 'gloss', 'num_children', 'children',
              'wordnet_height', 'num_train_images']
    synsets = numpy.zeros(len(wnids) + 1, dtype=[(field, 'O') for field in fields])
    for i, wnid in enumerate(wnids + ['n00000001']):
        leaf = i < len(wnids)
        synsets[i] = (i + 1, wnid, 'words {}'.format(i), 'gloss {}'.format(i),
                      0 if leaf else len(wnids),
                      numpy.zeros(0) if leaf else numpy.arange(1, len(wnids) + 1),
                      0 if leaf else 1, train_counts[i] if leaf else 0)
    content = {'synsets': synsets}
    if id_field == 'ILSVRC2010_ID':
        content['cost_matrix'] = numpy.ones((len(wnids), len(wnids)))
    savemat(str(path), content)


@pytest.fixture
def ilsvrc_images(rng):
    def image():
        shape = tuple(rng.integers(6, 14, 2)) + (3,)
        return encode(rng.integers(0, 256, shape).astype('uint8'), 'JPEG')
    return image


def write_ilsvrc(tmp_path, year, image):
    wnids = ['n01440764', 'n01443537', 'n01484850']
    train = {wnid: {'{}_{}.JPEG'.format(wnid, j): image() for j in range(count)}
             for wnid, count in zip(wnids, (2, 1, 2))}
    valid = {'ILSVRC{}_val_{:08d}.JPEG'.format(year, i): image() for i in (1, 2, 3)}
    test = {'ILSVRC{}_test_{:08d}.JPEG'.format(year, i): image() for i in (1, 2)}
    devkit_dir = ('devkit-1.0' if year == 2010 else 'ILSVRC2012_devkit_t12')
    meta = tmp_path / 'meta.mat'
    write_meta_mat(meta, 'ILSVRC{}_ID'.format(year), wnids, (2, 1, 2))
    devkit = ('ILSVRC2010_devkit-1.0.tar.gz' if year == 2010
              else 'ILSVRC2012_devkit_t12.tar.gz')
    with tarfile.open(tmp_path / devkit, 'w:gz') as archive:
        add_bytes(archive, devkit_dir + '/data/meta.mat', meta.read_bytes())
        add_bytes(archive, '{}/data/ILSVRC{}_validation_ground_truth.txt'.format(
            devkit_dir, year), b'3\n1\n2\n')
    prefix = 'ILSVRC2010_images_' if year == 2010 else 'ILSVRC2012_img_'
    with tarfile.open(tmp_path / (prefix + 'train.tar'), 'w') as archive:
        for wnid, files in train.items():
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode='w') as inner_archive:
                for name, data in files.items():
                    add_bytes(inner_archive, name, data)
            add_bytes(archive, wnid + '.tar', inner.getvalue())
    for name, files in (('val', valid), ('test', test)):
        with tarfile.open(tmp_path / (prefix + name + '.tar'), 'w') as archive:
            for filename, data in files.items():
                add_bytes(archive, filename, data)
    return wnids, train, valid, test


def test_ilsvrc2010(tmp_path, monkeypatch, ilsvrc_images):
    wnids, train, valid, test = write_ilsvrc(tmp_path, 2010, ilsvrc_images)
    (tmp_path / 'ILSVRC2010_test_ground_truth.txt').write_text('2\n2\n')
    # One damaged validation image and one training image are patched.
    patched_valid = ilsvrc_images()
    patched_train = ilsvrc_images()
    valid['ILSVRC2010_val_00000002.JPEG'] = patched_valid
    train['n01443537']['n01443537_0.JPEG'] = patched_train
    with tarfile.open(tmp_path / 'patch_images.tar', 'w') as archive:
        add_bytes(archive, 'patch_images/val/ILSVRC2010_val_00000002.JPEG',
                  patched_valid)
        add_bytes(archive, 'patch_images/train/n01443537_0.JPEG', patched_train)
    output, = convert('ilsvrc2010', '-d', str(tmp_path), '-o', str(tmp_path),
                      '--shuffle-seed', '5')
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    dataset = ILSVRC2010(('train',), sources=('encoded_images', 'targets',
                                              'filenames'))
    data = whole(dataset)
    expected = [(name, wnids.index(wnid), data_)
                for wnid, files in train.items() for name, data_ in files.items()]
    order = numpy.random.RandomState(5).permutation(len(expected))
    stored = [None] * len(expected)
    for source_index, position in enumerate(order):
        stored[position] = expected[source_index]
    for i, (name, target, data_) in enumerate(stored):
        assert data['filenames'][i][0] == name.encode('ascii')
        assert data['targets'][i][0] == target
        assert_array_equal(data['encoded_images'][i], decode(data_))
    valid_data = whole(ILSVRC2010(('valid',)))
    assert valid_data['targets'].ravel().tolist() == [2, 0, 1]
    assert_array_equal(valid_data['encoded_images'][1], decode(patched_valid))
    test_data = whole(ILSVRC2010(('test',)))
    assert test_data['targets'].ravel().tolist() == [1, 1]
    assert_array_equal(test_data['encoded_images'][0],
                       decode(test['ILSVRC2010_test_00000001.JPEG']))


def test_ilsvrc2012(tmp_path, monkeypatch, ilsvrc_images):
    wnids, train, valid, test = write_ilsvrc(tmp_path, 2012, ilsvrc_images)
    convert('ilsvrc2012', '-d', str(tmp_path), '-o', str(tmp_path))
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    assert ILSVRC2012(('train',)).num_examples == 5
    valid_data = whole(ILSVRC2012(('valid',)))
    assert valid_data['targets'].ravel().tolist() == [2, 0, 1]
    for image, name in zip(valid_data['encoded_images'], sorted(valid)):
        assert_array_equal(image, decode(valid[name]))
    test_set = ILSVRC2012(('test',))
    assert 'targets' not in test_set.sources and test_set.num_examples == 2


def test_ilsvrc_archive_shorter_than_its_metadata(tmp_path, ilsvrc_images):
    write_ilsvrc(tmp_path, 2012, ilsvrc_images)
    with tarfile.open(tmp_path / 'ILSVRC2012_img_val.tar', 'w') as archive:
        add_bytes(archive, 'ILSVRC2012_val_00000001.JPEG', ilsvrc_images())
    with pytest.raises(ValueError, match='ILSVRC2012_img_val.tar holds 1 images '
                                         'but the ground truth has 3 labels'):
        convert('ilsvrc2012', '-d', str(tmp_path), '-o', str(tmp_path))
    assert not os.path.exists(tmp_path / 'ilsvrc2012.hdf5')
