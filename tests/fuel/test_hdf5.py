import pickle

import h5py
import numpy
import pytest
from numpy.testing import assert_array_equal

from fuel.datasets import H5PYDataset
from fuel.schemes import SequentialScheme, ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten

FEATURES = numpy.arange(20 * 2 * 3, dtype='float32').reshape(20, 2, 3)
TARGETS = (numpy.arange(20) % 3).astype('uint8').reshape(20, 1)


@pytest.fixture
def h5_path(tmp_path):
    """20 examples: train 0:12, valid 12:16, test 16:20 without targets."""
    path = str(tmp_path / 'data.hdf5')
    with h5py.File(path, 'w') as h5file:
        h5file['features'] = FEATURES
        h5file['targets'] = TARGETS
        for dim, label in zip(h5file['features'].dims, ('batch', 'height', 'width')):
            dim.label = label
        h5file['targets'].dims[0].label = 'batch'
        h5file['targets'].dims[1].label = 'index'
        h5file.attrs['split'] = H5PYDataset.create_split_array({
            'train': {'features': (0, 12), 'targets': (0, 12, None, 'labelled')},
            'valid': {'features': (12, 16), 'targets': (12, 16)},
            'test': {'features': (16, 20)}})
    return path


def test_splits_sources_and_axis_labels(h5_path):
    train = H5PYDataset(h5_path, which_sets=('train',))
    assert train.provides_sources == ('features', 'targets')
    assert train.num_examples == 12
    assert train.axis_labels == {'features': ('batch', 'height', 'width'),
                                 'targets': ('batch', 'index')}
    test = H5PYDataset(h5_path, which_sets=('test',))
    assert test.sources == ('features',) and test.num_examples == 4
    assert_array_equal(test.get_data(request=slice(None))[0], FEATURES[16:])


def test_split_dict_round_trip(h5_path):
    with h5py.File(h5_path, 'r') as h5file:
        split_dict = H5PYDataset.get_split_dict(h5file)
        assert H5PYDataset.get_all_splits(h5file) == ('train', 'valid', 'test')
    assert split_dict['train']['targets'] == (0, 12, None, 'labelled')
    assert split_dict['valid']['features'] == (12, 16, None, '')
    assert 'targets' not in split_dict['test']


@pytest.mark.parametrize('load_in_memory', [False, True])
def test_requests_match_numpy(h5_path, load_in_memory):
    dataset = H5PYDataset(h5_path, which_sets=('train', 'valid'),
                          load_in_memory=load_in_memory)
    assert dataset.num_examples == 16
    for request in ([3, 1, 2], [5, 5, 0], [15, 0, 7, 8], slice(2, 9, 3),
                    slice(None), list(range(16))):
        features, targets = dataset.get_data(request=request)
        assert_array_equal(features, FEATURES[:16][request])
        assert_array_equal(targets, TARGETS[:16][request])
    features, targets = dataset.get_data(request=4)
    assert_array_equal(features, FEATURES[4])


@pytest.mark.parametrize('load_in_memory', [False, True])
@pytest.mark.parametrize('subset', [slice(2, 10), [1, 3, 5, 7, 9],
                                    [9, 0, 4, 4, 11], list(range(12))])
def test_subsets(h5_path, subset, load_in_memory):
    dataset = H5PYDataset(h5_path, which_sets=('train',), subset=subset,
                          load_in_memory=load_in_memory)
    # As in the original, a list subset is sorted and deduplicated.
    if isinstance(subset, list):
        subset = sorted(set(subset))
    expected = FEATURES[:12][subset]
    assert dataset.num_examples == len(expected)
    assert_array_equal(dataset.get_data(request=slice(None))[0], expected)
    request = [len(expected) - 1, 0]
    assert_array_equal(dataset.get_data(request=request)[0], expected[request])


def test_sparse_unsorted_requests_read_sorted(tmp_path):
    path = str(tmp_path / 'big.hdf5')
    data = numpy.arange(1000)
    with h5py.File(path, 'w') as h5file:
        h5file['x'] = data
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            {'all': {'x': (0, 1000)}})
    dataset = H5PYDataset(path, which_sets=('all',))
    request = [900, 3, 500, 3]
    assert_array_equal(dataset.get_data(request=request)[0], data[request])


def test_source_selection(h5_path):
    dataset = H5PYDataset(h5_path, which_sets=('valid',), sources=('targets',))
    assert dataset.sources == ('targets',)
    assert_array_equal(dataset.get_data(request=[0, 1])[0], TARGETS[12:14])


def test_split_given_by_indices(tmp_path):
    path = str(tmp_path / 'indices.hdf5')
    with h5py.File(path, 'w') as h5file:
        h5file['x'] = numpy.arange(10) * 10
        indices = h5file.create_dataset('odd', data=numpy.array([1, 3, 5, 7, 9]))
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            {'odd': {'x': (0, 0, indices)}, 'all': {'x': (0, 10)}})
    odd = H5PYDataset(path, which_sets=('odd',))
    assert odd.num_examples == 5
    assert_array_equal(odd.get_data(request=[4, 0])[0], [90, 10])


def test_variable_length_source(tmp_path):
    path = str(tmp_path / 'vlen.hdf5')
    shapes = numpy.array([[2, 3], [1, 3], [4, 3]])
    examples = [numpy.arange(numpy.prod(s), dtype='float32').reshape(s) + i
                for i, s in enumerate(shapes)]
    with h5py.File(path, 'w') as h5file:
        sequences = h5file.create_dataset('sequences', (3,),
                                          dtype=h5py.vlen_dtype(numpy.float32))
        for i, example in enumerate(examples):
            sequences[i] = example.ravel()
        h5file['sequences_shapes'] = shapes
        h5file['sequences_shapes'].make_scale('shapes')
        sequences.dims[0].attach_scale(h5file['sequences_shapes'])
        h5file['sequences_shape_labels'] = [b'time', b'feature']
        h5file['sequences_shape_labels'].make_scale('shape_labels')
        sequences.dims[0].attach_scale(h5file['sequences_shape_labels'])
        sequences.dims[0].label = 'batch'
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            {'train': {'sequences': (0, 3)}})
    for load_in_memory in (False, True):
        dataset = H5PYDataset(path, which_sets=('train',),
                              load_in_memory=load_in_memory)
        assert dataset.vlen_sources == ('sequences',)
        assert dataset.axis_labels == {'sequences': ('batch', 'time', 'feature')}
        batch, = dataset.get_data(request=[2, 0])
        assert_array_equal(batch[0], examples[2])
        assert_array_equal(batch[1], examples[0])


def test_errors(h5_path):
    with pytest.raises(ValueError, match=r"which_sets must be a tuple of split "
                                         r"names such as \('train',\), got 'train'"):
        H5PYDataset(h5_path, which_sets='train')
    with pytest.raises(ValueError, match="split 'training' is not in"):
        H5PYDataset(h5_path, which_sets=('training',))
    with pytest.raises(ValueError, match='H5PYDataset needs a request'):
        H5PYDataset(h5_path, which_sets=('train',)).get_data()
    with pytest.raises(ValueError, match='subset .* does not fit'):
        H5PYDataset(h5_path, which_sets=('train',), subset=[12])


def test_not_a_fuel_file(tmp_path):
    path = str(tmp_path / 'plain.hdf5')
    with h5py.File(path, 'w') as h5file:
        h5file['x'] = [1, 2]
    with pytest.raises(ValueError, match="is not a Fuel HDF5 file: it has no "
                                         "'split' attribute"):
        H5PYDataset(path, which_sets=('train',))


def test_external_file_handle(h5_path):
    with h5py.File(h5_path, 'r') as h5file:
        dataset = H5PYDataset(h5file, which_sets=('valid',))
        assert_array_equal(dataset.get_data(request=[1])[0], FEATURES[13:14])
        dataset.close(None)
        assert h5file.id.valid  # an external handle stays open


@pytest.mark.parametrize('load_in_memory', [False, True])
def test_stream_over_hdf5_pickles_mid_epoch(h5_path, load_in_memory):
    dataset = H5PYDataset(h5_path, which_sets=('train',),
                          load_in_memory=load_in_memory)
    stream = Flatten(DataStream(dataset,
                                iteration_scheme=ShuffledScheme(12, 5, rng=2)))
    iterator = stream.get_epoch_iterator()
    next(iterator)
    data = pickle.dumps((stream, iterator))
    if load_in_memory:  # the data is reloaded from the file, not pickled
        assert pickle.loads(pickle.dumps(dataset))._in_memory_data == {}
    stream_copy, iterator_copy = pickle.loads(data)
    for (a, b), (c, d) in zip(iterator_copy, iterator):
        assert_array_equal(a, c)
        assert_array_equal(b, d)
    assert len(list(stream_copy.get_epoch_iterator())) == 3
    stream.close()
    stream_copy.close()


def test_reopens_after_close(h5_path):
    dataset = H5PYDataset(h5_path, which_sets=('train',))
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(12, 6))
    first = list(stream.get_epoch_iterator())
    stream.close()
    second = list(stream.get_epoch_iterator())
    assert_array_equal(first[1][0], second[1][0])


def test_get_subsets(h5_path, tmp_path):
    from fuel.utils import Subset
    with h5py.File(h5_path, 'r') as h5file:
        features, targets = H5PYDataset.get_subsets(
            h5file, ('valid', 'train'), ('features', 'targets'))
        assert features == Subset(slice(0, 16), 20)
        assert features.list_or_slice == slice(0, 16, 1)
        assert targets.get_list_representation() == list(range(16))
        test, = H5PYDataset.get_subsets(h5file, ('test',), ('features',))
        assert test == Subset(slice(16, 20), 20)
        with pytest.raises(ValueError, match="source 'targets' is not available "
                                             "for split 'test'"):
            H5PYDataset.get_subsets(h5file, ('test',), ('targets',))
    path = str(tmp_path / 'indices.hdf5')
    with h5py.File(path, 'w') as h5file:
        h5file['x'] = numpy.arange(10)
        h5file['odd'] = numpy.array([9, 1, 5])
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            {'odd': {'x': (0, 0, h5file['odd'])}, 'head': {'x': (0, 2)}})
    with h5py.File(path, 'r') as h5file:
        merged, = H5PYDataset.get_subsets(h5file, ('odd', 'head'), ('x',))
        assert merged.list_or_slice == [0, 1, 5, 9]


def write_pytables(path):
    import tables
    with tables.open_file(path, 'w') as h5file:
        group = h5file.create_group('/', 'Data')
        h5file.create_array(group, 'images', FEATURES)
        h5file.create_array(group, 'labels', TARGETS)

        class Row(tables.IsDescription):
            value = tables.Float64Col()
        table = h5file.create_table(group, 'table', Row)
        for i in range(20):
            table.row['value'] = i / 2
            table.row.append()
        table.flush()


def test_pytables_dataset_reads_like_numpy(tmp_path):
    from fuel.datasets import PytablesDataset
    path = str(tmp_path / 'tables.h5')
    write_pytables(path)
    dataset = PytablesDataset(path, ('features', 'targets', 'values'), start=4,
                              stop=14, sources_in_file=('images', 'labels',
                                                        'table'))
    assert dataset.num_examples == 10
    assert dataset.sources == ('features', 'targets', 'values')
    for request in ([3, 0, 9, 3], slice(2, 8), slice(None, None, 3), [0]):
        features, targets, values = dataset.get_data(request=request)
        indices = numpy.arange(4, 14)[request]
        assert_array_equal(features, FEATURES[indices])
        assert_array_equal(targets, TARGETS[indices])
        assert_array_equal(values['value'], indices / 2)
    stream = DataStream(dataset, iteration_scheme=ShuffledScheme(10, 4, rng=3))
    epoch = stream.get_epoch_iterator()
    next(epoch)
    copy = pickle.loads(pickle.dumps(epoch))
    assert '_h5file' not in copy.data_stream.dataset.__dict__
    for batch, copied in zip(epoch, copy):
        assert_array_equal(batch[0], copied[0])
    with pytest.raises(IndexError, match='asks for example 10, but the dataset has '
                                         '10 examples'):
        dataset.get_data(request=[10])
    with pytest.raises(ValueError, match='needs a request that is a slice or a '
                                         'list of indices'):
        dataset.get_data(request=None)
    dataset.close_file()
    copy.data_stream.dataset.close_file()


def test_pytables_dataset_errors(tmp_path):
    from fuel.datasets import PytablesDataset
    path = str(tmp_path / 'tables.h5')
    write_pytables(path)
    with pytest.raises(ValueError, match=r'has no node /Data/<source> for each of '
                                         r"the sources \('missing',\)"):
        PytablesDataset(path, ('missing',))
    with pytest.raises(ValueError, match=r'0 <= start <= stop <= 20 \(the rows of '
                                         r'images .*got start=5, stop=30'):
        PytablesDataset(path, ('images',), start=5, stop=30)
    with pytest.raises(ValueError, match='sources_in_file must name one node per '
                                         'source'):
        PytablesDataset(path, ('a', 'b'), sources_in_file=('images',))


def test_original_file_handle_interface(h5_path):
    # The original's names: data_sources is None out of memory, and the
    # _out_of_memory_open/_out_of_memory_close pair opens and closes the file.
    dataset = pickle.loads(pickle.dumps(H5PYDataset(h5_path, which_sets=('train',))))
    assert dataset.data_sources is None
    assert dataset.external_file_handle is None
    assert dataset._out_of_memory_open() is None
    assert dataset._handle is not None
    dataset._out_of_memory_close()
    assert dataset._handle is None
    in_memory = H5PYDataset(h5_path, which_sets=('train',), load_in_memory=True)
    assert_array_equal(in_memory.data_sources[0], FEATURES[:12])


@pytest.mark.parametrize('load_in_memory', [False, True])
def test_a_request_of_the_wrong_type_is_a_value_error(h5_path, load_in_memory):
    dataset = H5PYDataset(h5_path, which_sets=('train',),
                          load_in_memory=load_in_memory)
    for request in ('a', 1.5, {0: 1}):
        with pytest.raises(ValueError, match='must be an index, a slice'):
            dataset.get_data(request=request)
