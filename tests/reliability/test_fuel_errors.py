"""Fuel's mistakes and damaged files fail early, naming the file or dataset,
the value and what was expected (issue 11)."""
import h5py
import numpy
import pytest

from fuel.datasets import H5PYDataset, IndexableDataset
from fuel.schemes import SequentialExampleScheme, SequentialScheme, ShuffledScheme
from fuel.streams import DataStream


def write_fuel_file(path, rows=10, train=(0, 6), test=(6, 10)):
    with h5py.File(path, 'w') as h5file:
        h5file['features'] = numpy.arange(rows * 2).reshape(rows, 2)
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            {'train': {'features': train}, 'test': {'features': test}})


def test_h5py_dataset_on_a_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / 'mnist.hdf5'
    path.write_bytes(b'PK\x03\x04 this is a zip archive, not HDF5')
    with pytest.raises(OSError, match='{} is not an HDF5 file .*first bytes are '
                                      ".*PK.*H5PYDataset reads the HDF5 files "
                                      'that fuel-convert writes'.format(path)):
        H5PYDataset(str(path), which_sets=('train',))


def test_h5py_dataset_on_a_missing_file(tmp_path):
    path = tmp_path / 'missing.hdf5'
    with pytest.raises(FileNotFoundError, match='there is no file at {}'.format(
            path)):
        H5PYDataset(str(path), which_sets=('train',))


def test_split_declared_beyond_the_rows_of_the_file(tmp_path):
    path = tmp_path / 'short.hdf5'
    write_fuel_file(path, rows=8, train=(0, 6), test=(6, 10))
    H5PYDataset(str(path), which_sets=('train',)).close(None)  # train fits
    with pytest.raises(ValueError, match="{}: split 'test' of source 'features' "
                                         'declares examples 6:10, but the source '
                                         r'has 8 rows \(expected 0 <= start <= '
                                         'stop <= 8\\)'.format(path)):
        H5PYDataset(str(path), which_sets=('test',))


def test_split_with_indices_beyond_the_rows(tmp_path):
    path = tmp_path / 'indices.hdf5'
    with h5py.File(path, 'w') as h5file:
        h5file['features'] = numpy.zeros((5, 2))
        h5file['chosen'] = numpy.array([0, 4, 7])
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            {'train': {'features': (0, 0, h5file['chosen'])}})
    with pytest.raises(ValueError, match="split 'train' of source 'features' lists "
                                         'example indices from 0 to 7, but the '
                                         r'source has 5 rows \(indices 0 to 4\)'):
        H5PYDataset(str(path), which_sets=('train',))


@pytest.mark.parametrize('scheme', [SequentialScheme(12, 4),
                                    ShuffledScheme(range(3, 11), 4),
                                    SequentialExampleScheme(11)],
                         ids=['sequential', 'shuffled', 'examples'])
def test_scheme_past_the_end_of_an_hdf5_dataset(tmp_path, scheme):
    path = tmp_path / 'data.hdf5'
    write_fuel_file(path)
    dataset = H5PYDataset(str(path), which_sets=('test',))
    with pytest.raises(ValueError, match=r'the iteration scheme \w+Scheme requests '
                                         r'example 1[01], but the dataset '
                                         r"H5PYDataset {} \('test',\) has 4 "
                                         r'examples \(indices 0 to 3\); build the '
                                         r'scheme with dataset.num_examples '
                                         r'\(4\)'.format(path)):
        DataStream(dataset, iteration_scheme=scheme).get_epoch_iterator()
    dataset.close(None)


def test_scheme_past_the_end_of_an_indexable_dataset():
    dataset = IndexableDataset({'features': numpy.zeros((10, 3))})
    # Made without complaint, as in Fuel; refused when an epoch opens.
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(15, 5))
    with pytest.raises(ValueError, match='the iteration scheme SequentialScheme '
                                         'requests example 14, but the dataset '
                                         'IndexableDataset has 10 examples'):
        stream.get_epoch_iterator()


def test_a_stream_past_the_end_is_refused_before_the_main_loop_compiles():
    from blocks.algorithms import GradientDescent, Scale
    from blocks.main_loop import MainLoop
    from pytensor import tensor
    from blocks.utils import shared_floatx

    x = tensor.matrix('features')
    w = shared_floatx(numpy.ones((3, 1)), name='w')
    cost = (x.dot(w) ** 2).sum()
    algorithm = GradientDescent(cost=cost, parameters=[w],
                                step_rule=Scale(0.1))
    dataset = IndexableDataset({'features': numpy.zeros((10, 3))})
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(15, 5))
    main_loop = MainLoop(algorithm, stream)
    with pytest.raises(ValueError, match='requests example 14'):
        main_loop.run()
    assert not algorithm.initialized


@pytest.mark.parametrize('load_in_memory', [False, True])
def test_request_past_the_end_names_the_dataset(tmp_path, load_in_memory):
    """Requests made without a scheme (by hand) are checked as well."""
    path = tmp_path / 'data.hdf5'
    write_fuel_file(path)
    dataset = H5PYDataset(str(path), which_sets=('train',),
                          load_in_memory=load_in_memory)
    with pytest.raises(IndexError, match=r'a request asks for example 8 of the '
                                         r"dataset H5PYDataset {} \('train',\), "
                                         r'which has 6 examples \(indices 0 to '
                                         r'5\)'.format(path)):
        dataset.get_data(request=[1, 8])
    indexable = IndexableDataset({'features': numpy.zeros((3, 2))})
    with pytest.raises(IndexError, match='example 3 of the dataset IndexableDataset,'
                                         ' which has 3 examples'):
        indexable.get_data(request=[0, 3])
    dataset.close(None)
