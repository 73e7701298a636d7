import gzip
import os
import pickle

import h5py
import numpy
import pytest
from numpy.testing import assert_array_equal

from fuel import config
from fuel.converters.mnist import shipped_directory
from fuel.datasets import CIFAR10, MNIST, SVHN
from fuel.exceptions import DatasetNotFoundError
from fuel.schemes import SequentialScheme, ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten


def read_idx(filename, offset):
    with gzip.open(os.path.join(shipped_directory(), filename), 'rb') as file_:
        return numpy.frombuffer(file_.read(), dtype=numpy.uint8, offset=offset)


def test_tutorial_pipeline(mnist_train):
    mnist = mnist_train
    assert mnist.sources == ('features', 'targets')
    assert mnist.num_examples == 60000
    data_stream = Flatten(DataStream.default_stream(
        mnist, iteration_scheme=SequentialScheme(mnist.num_examples,
                                                 batch_size=256)))
    images = read_idx('train-images-idx3-ubyte.gz', 16).reshape(60000, 784)
    shapes, targets, low, high = [], [], 1, 0
    for i, (features, batch_targets) in enumerate(data_stream.get_epoch_iterator()):
        shapes.append(features.shape)
        targets.append(batch_targets)
        assert features.dtype == config.floatX
        assert batch_targets.shape == (len(features), 1)
        assert batch_targets.dtype == numpy.uint8
        low, high = min(low, features.min()), max(high, features.max())
        if i in (0, 117, 234):  # the values, against NumPy
            expected = images[256 * i:256 * (i + 1)] * (1 / 255.)
            assert numpy.array_equal(features, expected.astype(config.floatX))
    assert len(shapes) == 235
    assert shapes[:-1] == [(256, 784)] * 234 and shapes[-1] == (96, 784)
    assert (low, high) == (0, 1)
    assert_array_equal(numpy.concatenate(targets)[:, 0],
                       read_idx('train-labels-idx1-ubyte.gz', 8))


def test_test_split(mnist_test):
    assert mnist_test.num_examples == 10000
    features, targets = mnist_test.get_data(request=[0, 9999])
    images = read_idx('t10k-images-idx3-ubyte.gz', 16).reshape(10000, 1, 28, 28)
    assert_array_equal(features, images[[0, 9999]])
    assert_array_equal(targets[:, 0], read_idx('t10k-labels-idx1-ubyte.gz', 8)[[0, 9999]])


def test_axis_labels(mnist_test):
    assert mnist_test.axis_labels == {
        'features': ('batch', 'channel', 'height', 'width'),
        'targets': ('batch', 'index')}


def test_default_transformers_follow_floatx(mnist_test, monkeypatch):
    for floatX in ('float32', 'float64'):
        monkeypatch.setenv('FUEL_FLOATX', floatX)
        stream = DataStream.default_stream(
            mnist_test, iteration_scheme=SequentialScheme(10, 10))
        features, _ = next(stream.get_epoch_iterator())
        assert features.dtype == floatX


def test_mnist_stream_pickles_mid_epoch_without_the_data(mnist_train):
    stream = Flatten(DataStream.default_stream(
        mnist_train, iteration_scheme=ShuffledScheme(60000, 1000, rng=5)))
    iterator = stream.get_epoch_iterator()
    next(iterator)
    data = pickle.dumps(iterator)
    assert len(data) < 5 * 1024 * 1024
    copy = pickle.loads(data)
    for _ in range(2):
        (a, b), (c, d) = next(copy), next(iterator)
        assert_array_equal(a, c)
        assert_array_equal(b, d)


def test_built_in_first_writable_data_path(tmp_path, monkeypatch, capfd):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    writable = tmp_path / 'data'
    monkeypatch.setenv('FUEL_DATA_PATH', os.pathsep.join(
        [str(blocker / 'cannot_be_created'), str(writable)]))
    mnist = MNIST(('test',), load_in_memory=False)
    assert mnist.path == str(writable / 'mnist.hdf5')
    assert os.listdir(writable) == ['mnist.hdf5']  # no temporary file left
    err = capfd.readouterr().err
    assert err.count('\n') == 1 and 'building it in {}'.format(writable) in err
    with h5py.File(mnist.path, 'r') as h5file:
        command = h5file.attrs['fuel_convert_command']
        assert command.startswith('fuel-convert mnist -d ')
        assert command.endswith('-o ' + str(writable))
        assert h5file.attrs['h5py_interface_version'] == '0.3'
        assert h5file['features'].dtype == numpy.uint8
        assert h5file['features'].shape == (70000, 1, 28, 28)
        assert h5file['targets'].shape == (70000, 1)
    MNIST(('test',), load_in_memory=False)  # found now, not built again
    assert capfd.readouterr().err == ''


def test_no_writable_data_path_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    monkeypatch.setenv('FUEL_DATA_PATH', str(blocker / 'sub'))
    with pytest.raises(OSError, match="cannot create mnist.hdf5: no directory of "
                                      "Fuel's data path is writable"):
        MNIST(('train',))


def test_missing_dataset_names_path_and_commands(tmp_path, monkeypatch):
    monkeypatch.setenv('FUEL_DATA_PATH', str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as error:
        CIFAR10(('train',))
    message = str(error.value)
    assert str(tmp_path) in message
    assert '`fuel-download cifar10` and then `fuel-convert cifar10`' in message
    with pytest.raises(DatasetNotFoundError, match='fuel-convert svhn 2'):
        SVHN(2, ('train',))


def test_unpickled_stream_finds_a_moved_file_in_the_data_path(tmp_path, monkeypatch):
    first, second = tmp_path / 'first', tmp_path / 'second'
    second.mkdir()
    monkeypatch.setenv('FUEL_DATA_PATH', str(first))
    stream = DataStream.default_stream(MNIST(('test',)),
                                       iteration_scheme=SequentialScheme(10000, 500))
    iterator = stream.get_epoch_iterator()
    next(iterator)
    data = pickle.dumps(iterator)
    os.replace(first / 'mnist.hdf5', second / 'mnist.hdf5')
    monkeypatch.setenv('FUEL_DATA_PATH', str(second))
    copy = pickle.loads(data)
    (a, b), (c, d) = next(copy), next(iterator)
    assert_array_equal(a, c)
    assert_array_equal(b, d)
    assert copy.data_stream.data_stream.data_stream.dataset.path == \
        str(second / 'mnist.hdf5')
