"""Converters, downloaders and the scripts, on tiny fake originals."""
import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile

import h5py
import numpy
import pytest
from numpy.testing import assert_array_equal

from fuel import config
from fuel.bin import fuel_convert, fuel_download, fuel_info
from fuel.converters.base import fill_hdf5_file
from fuel.datasets import (CIFAR10, CIFAR100, SVHN, BinarizedMNIST,
                           H5PYDataset)
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.downloaders.base import default_downloader
from fuel.downloaders.mnist import MD5_UNCOMPRESSED


def convert(*args):
    return fuel_convert.run(list(args))


def write_idx_images(path, images):
    with gzip.open(path, 'wb') as file_:
        file_.write(struct.pack('>iiii', 2051, *images.shape))
        file_.write(images.tobytes())


def write_idx_labels(path, labels):
    with gzip.open(path, 'wb') as file_:
        file_.write(struct.pack('>ii', 2049, len(labels)))
        file_.write(labels.tobytes())


@pytest.fixture
def fake_mnist(tmp_path, rng):
    directory = tmp_path / 'mnist'
    directory.mkdir()
    data = {'train': (rng.integers(0, 256, (6, 28, 28)).astype('uint8'),
                      rng.integers(0, 10, 6).astype('uint8')),
            'test': (rng.integers(0, 256, (3, 28, 28)).astype('uint8'),
                     rng.integers(0, 10, 3).astype('uint8'))}
    for split, prefix in (('train', 'train'), ('test', 't10k')):
        write_idx_images(directory / '{}-images-idx3-ubyte.gz'.format(prefix),
                         data[split][0])
        write_idx_labels(directory / '{}-labels-idx1-ubyte.gz'.format(prefix),
                         data[split][1])
    return directory, data


def test_mnist_round_trip_and_tags(fake_mnist, tmp_path, capsys):
    directory, data = fake_mnist
    output, = convert('mnist', '-d', str(directory), '-o', str(tmp_path))
    assert output == str(tmp_path / 'mnist.hdf5')
    for split, (images, labels) in data.items():
        dataset = H5PYDataset(output, which_sets=(split,))
        features, targets = dataset.get_data(request=slice(None))
        assert_array_equal(features, images[:, None])
        assert_array_equal(targets, labels[:, None])
    assert dataset.axis_labels['features'] == ('batch', 'channel', 'height', 'width')
    with h5py.File(output, 'r') as h5file:
        assert h5file.attrs['fuel_convert_command'] == \
            'fuel-convert mnist -d {} -o {}'.format(directory, tmp_path)
        assert h5file.attrs['fuel_convert_version'] == '0.2'
        assert h5file.attrs['h5py_interface_version'] == '0.3'
    capsys.readouterr()
    fuel_info.main([output])
    printed = capsys.readouterr().out
    assert 'fuel-convert mnist -d {} -o {}'.format(directory, tmp_path) in printed
    assert 'H5PYDataset     0.3' in printed and 'fuel.converters 0.2' in printed
    assert 'train: features (6), targets (6)' in printed


def test_mnist_dtypes_and_output_name(fake_mnist, tmp_path):
    directory, data = fake_mnist
    output, = convert('mnist', '-d', str(directory), '-o', str(tmp_path),
                      '--dtype', 'bool')
    assert output.endswith('mnist_bool.hdf5')
    features, = H5PYDataset(output, ('train',), sources=('features',)).get_data(
        request=slice(None))
    assert_array_equal(features, data['train'][0][:, None] >= 128)
    output, = convert('mnist', '-d', str(directory), '-o', str(tmp_path),
                      '--dtype', 'float32', '-r', 'scaled')
    assert output.endswith('scaled.hdf5')
    features, = H5PYDataset(output, ('test',), sources=('features',)).get_data(
        request=slice(None))
    assert features.dtype == numpy.float32
    assert numpy.allclose(features, data['test'][0][:, None] / 255.)


def test_read_mnist_images_refuses_unknown_dtypes_with_value_error(fake_mnist):
    from fuel.converters.mnist import read_mnist_images
    directory, _ = fake_mnist
    for dtype in ('int32', 'foo'):  # the original raised ValueError for both
        with pytest.raises(ValueError, match="dtype must be None, 'float32'"):
            read_mnist_images(str(directory / 'train-images-idx3-ubyte.gz'), dtype)


def test_bad_magic_number(fake_mnist, tmp_path):
    directory, _ = fake_mnist
    write_idx_labels(directory / 'train-images-idx3-ubyte.gz', numpy.zeros(30, 'uint8'))
    with pytest.raises(ValueError, match='is not an MNIST image file: magic number '
                                         '2049, expected 2051'):
        convert('mnist', '-d', str(directory), '-o', str(tmp_path))
    assert not os.path.exists(tmp_path / 'mnist.hdf5')


def test_main_returns_none_for_a_zero_exit_status(fake_mnist, tmp_path):
    directory, _ = fake_mnist
    assert fuel_convert.main(['mnist', '-d', str(directory), '-o',
                              str(tmp_path)]) is None
    assert fuel_info.main([str(tmp_path / 'mnist.hdf5')]) is None


def test_missing_input_files_suggest_fuel_download(tmp_path, capsys):
    with pytest.raises(SystemExit):
        convert('cifar10', '-d', str(tmp_path), '-o', str(tmp_path))
    err = capsys.readouterr().err
    assert 'cifar-10-python.tar.gz' in err and 'Did you forget to run fuel-download?' in err


def test_binarized_mnist_round_trip(tmp_path, rng, monkeypatch):
    sets = {name: rng.integers(0, 2, (n, 784)).astype('uint8')
            for name, n in (('train', 4), ('valid', 2), ('test', 3))}
    for name, values in sets.items():
        with open(tmp_path / 'binarized_mnist_{}.amat'.format(name), 'w') as file_:
            for row in values:
                file_.write(' '.join(str(v) for v in row) + '\n')
    output, = convert('binarized_mnist', '-d', str(tmp_path), '-o', str(tmp_path))
    for name, values in sets.items():
        features, = H5PYDataset(output, (name,)).get_data(request=slice(None))
        assert features.shape == (len(values), 1, 28, 28)
        assert_array_equal(features.reshape(len(values), 784), values)
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    features = default_features(BinarizedMNIST(('valid',)))
    assert features.dtype == config.floatX
    assert_array_equal(features.reshape(2, 784), sets['valid'])


def default_features(dataset):
    """The features of the whole dataset, through its default stream."""
    stream = DataStream.default_stream(dataset, iteration_scheme=SequentialScheme(
        dataset.num_examples, dataset.num_examples))
    return next(stream.get_epoch_iterator(as_dict=True))['features']


def add_pickle(archive, name, content):
    data = pickle.dumps(content, protocol=2)
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def test_cifar10_round_trip(tmp_path, rng, monkeypatch):
    batches = {}
    with tarfile.open(tmp_path / 'cifar-10-python.tar.gz', 'w:gz') as archive:
        for name in ['data_batch_{}'.format(i) for i in range(1, 6)] + ['test_batch']:
            batches[name] = {'data': rng.integers(0, 256, (2, 3072)).astype('uint8'),
                             'labels': rng.integers(0, 10, 2).tolist()}
            add_pickle(archive, 'cifar-10-batches-py/' + name, batches[name])
    output, = convert('cifar10', '-d', str(tmp_path), '-o', str(tmp_path))
    train = H5PYDataset(output, ('train',))
    features, targets = train.get_data(request=slice(None))
    expected = numpy.concatenate([batches['data_batch_{}'.format(i)]['data']
                                  for i in range(1, 6)]).reshape(10, 3, 32, 32)
    assert_array_equal(features, expected)
    assert_array_equal(targets[:, 0], sum((batches['data_batch_{}'.format(i)]['labels']
                                           for i in range(1, 6)), []))
    features, targets = H5PYDataset(output, ('test',)).get_data(request=[1])
    assert_array_equal(features[0], batches['test_batch']['data'][1].reshape(3, 32, 32))
    assert targets.dtype == numpy.uint8
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    features = default_features(CIFAR10(('test',)))
    assert features.dtype == config.floatX
    assert numpy.allclose(features, batches['test_batch']['data'].reshape(
        2, 3, 32, 32) / 255.)


def test_cifar100_round_trip(tmp_path, rng, monkeypatch):
    sets = {}
    with tarfile.open(tmp_path / 'cifar-100-python.tar.gz', 'w:gz') as archive:
        for name, n in (('train', 3), ('test', 2)):
            sets[name] = {'data': rng.integers(0, 256, (n, 3072)).astype('uint8'),
                          'coarse_labels': rng.integers(0, 20, n).tolist(),
                          'fine_labels': rng.integers(0, 100, n).tolist()}
            add_pickle(archive, 'cifar-100-python/' + name, sets[name])
    output, = convert('cifar100', '-d', str(tmp_path), '-o', str(tmp_path))
    dataset = H5PYDataset(output, ('train',))
    assert dataset.sources == ('coarse_labels', 'features', 'fine_labels')
    coarse, features, fine = dataset.get_data(request=slice(None))
    assert_array_equal(features, sets['train']['data'].reshape(3, 3, 32, 32))
    assert_array_equal(coarse[:, 0], sets['train']['coarse_labels'])
    assert_array_equal(fine[:, 0], sets['train']['fine_labels'])
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    features = default_features(CIFAR100(('test',)))
    assert features.dtype == config.floatX and features.shape == (2, 3, 32, 32)


def test_svhn_format_2_round_trip(tmp_path, rng, monkeypatch):
    from scipy.io import savemat
    sets = {}
    for name, n in (('train', 3), ('test', 2), ('extra', 4)):
        sets[name] = (rng.integers(0, 256, (32, 32, 3, n)).astype('uint8'),
                      rng.integers(1, 11, (n, 1)).astype('uint8'))
        sets[name][1][0] = 10
        savemat(str(tmp_path / '{}_32x32.mat'.format(name)),
                {'X': sets[name][0], 'y': sets[name][1]})
    output, = convert('svhn', '2', '-d', str(tmp_path), '-o', str(tmp_path))
    assert output.endswith('svhn_format_2.hdf5')
    for name, (images, labels) in sets.items():
        features, targets = H5PYDataset(output, (name,)).get_data(request=slice(None))
        assert_array_equal(features, images.transpose(3, 2, 0, 1))
        assert_array_equal(targets, labels % 10)
        assert targets[0, 0] == 0
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    svhn = SVHN(2, ('train', 'extra'))
    assert svhn.num_examples == 7
    assert default_features(svhn).dtype == config.floatX


def test_fill_hdf5_file_checks_its_input(tmp_path):
    with h5py.File(tmp_path / 'x.hdf5', 'w') as h5file:
        with pytest.raises(ValueError, match="the sources of split 'train' have "
                                             "different lengths"):
            fill_hdf5_file(h5file, (('train', 'a', numpy.zeros(2)),
                                    ('train', 'b', numpy.zeros(3))))
    with h5py.File(tmp_path / 'y.hdf5', 'w') as h5file:
        with pytest.raises(ValueError, match="the splits of source 'a' have "
                                             "different dtypes"):
            fill_hdf5_file(h5file, (('train', 'a', numpy.zeros(2)),
                                    ('test', 'a', numpy.zeros(2, 'int8'))))


def test_fuel_download_mnist_copies_the_shipped_files(tmp_path, capsys):
    fuel_download.main(['mnist', '-d', str(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == sorted(MD5_UNCOMPRESSED)
    for name, md5 in MD5_UNCOMPRESSED.items():
        with gzip.open(tmp_path / name, 'rb') as file_:
            assert hashlib.md5(file_.read()).hexdigest() == md5
    fuel_download.main(['mnist', '-d', str(tmp_path), '--clear'])
    assert os.listdir(tmp_path) == []


def test_default_downloader_verifies_checksums(tmp_path, capsys):
    source = tmp_path / 'remote.bin'
    source.write_bytes(b'some data')
    good = hashlib.md5(b'some data').hexdigest()
    target = tmp_path / 'downloads'
    url = source.as_uri()
    with pytest.raises(ValueError, match='is corrupted: its MD5 sum is {}, expected '
                                         '0+'.format(good)):
        default_downloader(str(target), [url], ['file.bin'], checksums=['0' * 32])
    assert os.listdir(target) == []  # nothing half-downloaded is left
    default_downloader(str(target), [url], ['file.bin'], checksums=[good])
    assert (target / 'file.bin').read_bytes() == b'some data'
    default_downloader(str(target), [url], ['file.bin'], checksums=[good])
    assert 'already there' in capsys.readouterr().out
    default_downloader(str(target), [url], ['file.bin'], clear=True)
    assert os.listdir(target) == []
    default_downloader(str(target), [None], ['remote.bin'],
                       url_prefix=tmp_path.as_uri() + '/')
    assert (target / 'remote.bin').exists()


def test_download_subcommands_carry_urls_and_checksums():
    parser, _ = fuel_download.build_parser()
    options = parser.parse_args(['cifar10'])
    assert options.urls == ['https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz']
    assert options.checksums == ['c58f30108f718f92721af3b95e74349a']
    assert parser.parse_args(['svhn', '2']).which_format == 2
    with pytest.raises(SystemExit):
        parser.parse_args(['svhn', '3'])
