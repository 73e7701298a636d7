"""fuel.utils: subsets, lazy attributes, locks, caching, files, processes."""
import gzip
import io
import os
import pickle
import tarfile
import time

import numpy
import pytest
from numpy.testing import assert_array_equal

from fuel import config
from fuel.utils import (Subset, do_not_pickle_attributes,
                        iterable_fancy_indexing, lazy_property_factory,
                        remember_cwd)
from fuel.utils import cache, disk, formats, lock, parallel


# --- Subset -----------------------------------------------------------------

SUBSETS = [slice(None), slice(2, 9), [7, 2, 5, 0], [7, 2, 7], [1, 2, 3], [4]]


@pytest.mark.parametrize('list_or_slice', SUBSETS, ids=str)
def test_subset_matches_numpy_indexing(list_or_slice, rng):
    data = numpy.arange(10) * 10
    subset = Subset(list_or_slice, 10)
    if isinstance(list_or_slice, list):
        list_or_slice = sorted(set(list_or_slice))  # as the original does
    reference = data[list_or_slice]
    assert subset.num_examples == len(reference)
    assert not subset.is_empty
    assert subset.get_list_representation() == (reference // 10).tolist()
    for request in ([0], list(range(len(reference)))[::-1],
                    rng.integers(0, len(reference), len(reference)).tolist(),
                    slice(None), slice(0, None, 2), slice(len(reference) - 1, None)):
        translated = subset[request]
        assert_array_equal(data[translated], reference[request])
        assert_array_equal(subset.index_within_subset(data, request),
                           reference[request])
        assert_array_equal(subset.index_within_subset(data, request,
                                                      sort_indices=True),
                           reference[request])
        if isinstance(translated, slice) and translated.step != 1:
            continue  # a subset slice has a step of 1, as in the original
        assert Subset.subset_of(subset, request).get_list_representation() == \
            sorted(set((reference[request] // 10).tolist()))


def test_subset_lists_are_sorted_unique_and_contiguous_ones_slices():
    # The original Fuel's normalization of subsets.
    assert Subset([0, 3, 3, 5], 10).list_or_slice == [0, 3, 5]
    assert Subset([0, 3, 1, 5], 10).list_or_slice == [0, 1, 3, 5]
    assert Subset([1, 2, 3], 10).list_or_slice == slice(1, 4, None)
    assert Subset(numpy.array([5, 1]), 10).list_or_slice == [1, 5]
    assert not Subset(slice(None, None, None), 2).is_list
    assert Subset([0, 1, 3], 4).is_list
    assert Subset([0, 3, 8, 13], 15).num_examples == 4
    assert Subset(slice(3, 18, 1), 50).num_examples == 15
    assert Subset.empty_subset(5).list_or_slice == []


def test_subset_requests_translate_as_in_the_original():
    assert Subset([1, 3, 5, 7], 8)[slice(None)] == [1, 3, 5, 7]
    assert Subset(slice(0, 8, 1), 8)[slice(None)] == slice(0, 8, 1)
    assert Subset([0, 2, 5, 7, 10, 15], 16)[[3, 2, 4]] == [7, 5, 10]
    assert Subset([0, 2, 5, 7, 10, 15], 16)[slice(1, 4, 2)] == [2, 7]
    assert Subset(slice(1, 14), 16)[[3, 2, 4]] == [4, 3, 5]
    assert Subset(slice(1, 14), 16)[slice(1, 4, 2)] == slice(2, 5, 2)
    assert Subset.subset_of(Subset(slice(10, 20), 30), slice(2, 4)) == \
        Subset(slice(12, 14), 30)
    assert Subset(slice(3, 6), 10).index_within_subset(numpy.arange(10), 1) == 4
    assert Subset([1, 0], 2)[[0]] == [0]
    # absolute_indices (what H5PYDataset reads with) also takes negative indices.
    assert Subset(slice(10, 20), 30).absolute_indices([0, -1]).tolist() == [10, 19]


def test_subset_addition():
    assert Subset(slice(0, 4), 10) + Subset(slice(2, 8), 10) == Subset(slice(0, 8), 10)
    assert (Subset(slice(0, 4), 10) + Subset(slice(2, 8), 10)).list_or_slice == \
        slice(0, 8, 1)
    assert (Subset(slice(4, 7, 1), 10) + Subset(slice(0, 4, 1), 10)).list_or_slice == \
        slice(0, 7, 1)
    merged = Subset(slice(0, 2), 10) + Subset(slice(5, 7), 10)
    assert merged.list_or_slice == [0, 1, 5, 6]
    assert (Subset([7, 1], 10) + Subset(slice(0, 3), 10)).list_or_slice == [0, 1, 2, 7]
    assert (Subset([0, 3, 2, 8], 10) + Subset([0, 4, 5], 10)).list_or_slice == \
        [0, 2, 3, 4, 5, 8]
    assert Subset.empty_subset(10) + Subset([3], 10) == Subset([3], 10)
    with pytest.raises(ValueError, match='cannot add subsets of 10 and 11 examples'):
        Subset([1], 10) + Subset([1], 11)


@pytest.mark.parametrize('list_or_slice, num_examples, message', [
    ([0, -1], 2, 'negative indices'), ([0, 5], 5, r'must be in \[0, 5\)'),
    (slice(-1, None), 2, 'negative'), (slice(None, -1), 2, 'negative'),
    (slice(None, None, -1), 5, 'negative'), (slice(0, 4, 2), 4, 'step of 1'),
    (slice(None, 10), 2, 'ends past'), (slice(8, None), 2, 'starts past'),
    (slice(8, 10), 2, 'ends past'), (slice(11, 10), 15, 'ends before it starts')])
def test_subset_errors(list_or_slice, num_examples, message):
    with pytest.raises(ValueError, match=message):
        Subset(list_or_slice, num_examples)


@pytest.mark.parametrize('request_', [[], [-1], [3], [5], slice(-1, None),
                                      slice(None, 4), slice(3, None),
                                      slice(2, 2), slice(2, 1)], ids=str)
def test_subset_requests_out_of_range_raise_value_error(request_):
    # A ValueError as in the original, and an IndexError as in Python.
    subset = Subset([1, 2, 5], 10)
    with pytest.raises(ValueError):
        subset[request_]
    with pytest.raises(IndexError):
        subset.index_within_subset(numpy.arange(10), request_)
    check = (subset._slice_request_sanity_check if isinstance(request_, slice)
             else subset._list_request_sanity_check)
    with pytest.raises(ValueError):
        check(request_, 3)
    with pytest.raises(ValueError):
        Subset([], 2).index_within_subset([1, 2], [1] if request_ == [] else slice(1, 2))


def test_sorted_fancy_indexing_reads_increasing_indices():
    class IncreasingOnly:
        def __getitem__(self, indices):
            assert list(indices) == sorted(set(indices))
            return numpy.asarray(indices) * 2
    assert Subset.sorted_fancy_indexing(IncreasingOnly(), [5, 1, 5, 3]).tolist() == \
        [10, 2, 10, 6]


def test_iterable_fancy_indexing():
    assert iterable_fancy_indexing('abcd', [3, 0]) == ['d', 'a']
    assert iterable_fancy_indexing(numpy.arange(4), [3, 0]).tolist() == [3, 0]


# --- lazy attributes --------------------------------------------------------

@do_not_pickle_attributes('table', 'handle')
class LazyTable:
    loads = 0

    def __init__(self, size):
        self.size = size

    def load(self):
        LazyTable.loads += 1
        self.table = numpy.arange(self.size)
        self.handle = io.BytesIO(b'not picklable in spirit')


def test_do_not_pickle_attributes_reloads_after_unpickling():
    LazyTable.loads = 0
    table = LazyTable(5)
    assert table.table.tolist() == [0, 1, 2, 3, 4]
    assert LazyTable.loads == 1
    state = table.__getstate__()
    assert '_table' not in state and '_handle' not in state and state['size'] == 5
    copy = pickle.loads(pickle.dumps(table))
    assert LazyTable.loads == 1  # nothing loaded until used
    assert copy.table.tolist() == [0, 1, 2, 3, 4]
    assert LazyTable.loads == 2


def test_lazy_properties_errors():
    with pytest.raises(ValueError, match='needs a load'):
        do_not_pickle_attributes('x')(type('NoLoad', (), {}))

    class Forgetful:
        def load(self):
            pass
    Forgetful.x = property(*lazy_property_factory('x'))
    with pytest.raises(ValueError, match=r"Forgetful.load\(\) did not set 'x'"):
        Forgetful().x

    @do_not_pickle_attributes('stream')
    class Streaming:
        def load(self):
            self.stream = iter([1, 2])
    streaming = Streaming()
    streaming.stream
    with pytest.raises(ValueError, match='is an iterator'):
        pickle.dumps(streaming)


def test_remember_cwd(tmp_path):
    before = os.getcwd()
    with pytest.raises(KeyError):
        with remember_cwd():
            os.chdir(tmp_path)
            raise KeyError
    assert os.getcwd() == before


# --- files and disks ----------------------------------------------------------

def test_open_reads_plain_and_gzipped_text(tmp_path):
    (tmp_path / 'a.txt').write_text('héllo', encoding='utf8')
    with gzip.open(tmp_path / 'a.txt.gz', 'wt', encoding='utf8') as file_:
        file_.write('héllo')
    for name in ('a.txt', 'a.txt.gz'):
        with formats.open_(str(tmp_path / name), encoding='utf8') as file_:
            assert file_.read() == 'héllo'
    with formats.open_(str(tmp_path / 'a.txt.gz'), 'rb') as file_:
        assert file_.read() == 'héllo'.encode('utf8')


def test_tar_open_takes_names_and_files(tmp_path):
    path = tmp_path / 'a.tar.gz'
    with tarfile.open(path, 'w:gz') as archive:
        info = tarfile.TarInfo('x.txt')
        info.size = 1
        archive.addfile(info, io.BytesIO(b'x'))
    with formats.tar_open(str(path)) as archive:
        assert archive.getnames() == ['x.txt']
    with open(path, 'rb') as file_, formats.tar_open(file_) as archive:
        assert archive.extractfile('x.txt').read() == b'x'


def test_disk_helpers(tmp_path):
    total, used = disk.disk_usage(str(tmp_path))
    stats = os.statvfs(str(tmp_path))
    assert total == stats.f_blocks * stats.f_frsize and 0 <= used <= total
    target = tmp_path / 'a' / 'b' / 'c'
    disk.safe_mkdir(str(target), force_perm=0o750)
    assert target.is_dir()
    assert oct(os.stat(tmp_path / 'a').st_mode & 0o777) == '0o750'
    disk.safe_mkdir(str(target))  # already there: nothing to do
    (tmp_path / 'file').write_bytes(b'x' * 100)
    assert disk.check_enough_space(str(tmp_path), str(tmp_path / 'file'), 'copy',
                                   max_disk_usage=2.0)
    assert not disk.check_enough_space(str(tmp_path), str(tmp_path / 'file'),
                                       'copy', max_disk_usage=0.0)


# --- locks -------------------------------------------------------------------

def test_lock_waits_for_its_owner_and_takes_over_stale_locks(tmp_path):
    lock_dir = str(tmp_path / 'data.lock')
    lock.lock(lock_dir, timeout=None)
    owner = open(os.path.join(lock_dir, 'owner')).read().strip()
    assert owner.startswith('{}_'.format(os.getpid()))
    start = time.time()
    # Nobody refreshes it: after the timeout it is taken to be stale.
    new_owner = lock.lock(lock_dir, timeout=0.3, min_wait=0.05, max_wait=0.1,
                          verbosity=0)
    assert 0.3 <= time.time() - start < 5
    assert new_owner != owner
    lock.Unlocker(lock_dir).unlock()
    assert not os.path.exists(lock_dir)


def test_get_lock_is_reentrant(tmp_path):
    lock_dir = str(tmp_path / 'x.lock')
    lock.get_lock(lock_dir)
    lock.get_lock(lock_dir)
    lock.release_lock()
    assert os.path.isdir(lock_dir)
    with pytest.raises(Exception, match='already holds the lock'):
        lock.get_lock(str(tmp_path / 'other.lock'))
    lock.release_lock()
    assert not os.path.exists(lock_dir)


def test_read_and_write_locks(tmp_path):
    path = str(tmp_path / 'data.hdf5')
    lock.get_writelock(path)
    assert os.path.isdir(path + '.lock')
    lock.release_writelock()
    assert not os.path.exists(path + '.lock')
    readlock = lock.get_readlock(1234, path)
    assert os.path.basename(readlock).startswith('data.hdf5.readlock.1234.')
    lock.release_readlock(readlock)
    assert not os.path.exists(readlock)


# --- caching -----------------------------------------------------------------

def test_cache_file_copies_once_to_the_local_data_path(tmp_path, monkeypatch):
    remote = tmp_path / 'remote'
    (remote / 'sub').mkdir(parents=True)
    (remote / 'sub' / 'data.bin').write_bytes(b'dataset bytes')
    local = tmp_path / 'local'
    monkeypatch.setattr(config, 'data_path', [str(remote)])
    try:
        config.local_data_path = ''
        assert cache.cache_file(str(remote / 'sub' / 'data.bin')) == \
            str(remote / 'sub' / 'data.bin')
        config.local_data_path = str(local)
        cached = cache.cache_file(str(remote / 'sub' / 'data.bin'))
        assert cached == str(local / 'sub' / 'data.bin')
        assert open(cached, 'rb').read() == b'dataset bytes'
        assert any(name.startswith('data.bin.readlock.')
                   for name in os.listdir(local / 'sub'))
        os.utime(cached, (0, 0))
        assert cache.cache_file(str(remote / 'sub' / 'data.bin')) == cached
        assert os.stat(cached).st_mtime == 0  # not copied again
        with pytest.raises(IOError, match='cannot cache .*missing.bin: it is not '
                                          'a file'):
            cache.cache_file(str(remote / 'missing.bin'))
    finally:
        del config.local_data_path


def test_h5py_dataset_reads_the_cached_copy(tmp_path, monkeypatch):
    import h5py
    from fuel.datasets import H5PYDataset
    remote = tmp_path / 'remote'
    remote.mkdir()
    with h5py.File(remote / 'toy.hdf5', 'w') as h5file:
        h5file['x'] = numpy.arange(3)
        h5file.attrs['split'] = H5PYDataset.create_split_array(
            {'train': {'x': (0, 3)}})
    monkeypatch.setattr(config, 'data_path', [str(remote)])
    monkeypatch.setenv('FUEL_LOCAL_DATA_PATH', str(tmp_path / 'local'))
    dataset = H5PYDataset(str(remote / 'toy.hdf5'), ('train',))
    assert dataset.path == str(tmp_path / 'local' / 'toy.hdf5')
    assert dataset.get_data(request=[2, 0])[0].tolist() == [2, 0]
    dataset.close(None)


# --- producer and consumer ----------------------------------------------------

def test_producer_consumer_runs_the_producer_in_another_process():
    def produce(socket):
        socket.send_pyobj(os.getpid())
        for number in range(5):
            socket.send_pyobj(number * number)

    def consume(socket):
        return socket.recv_pyobj(), [socket.recv_pyobj() for _ in range(5)]
    producer_pid, squares = parallel.producer_consumer(produce, consume)
    assert producer_pid != os.getpid()
    assert squares == [0, 1, 4, 9, 16]


def test_all_of_an_empty_subset_is_empty():
    # So that an HDF5 split without examples still opens (subset=slice(None)).
    empty = Subset.empty_subset(4)
    assert Subset.subset_of(empty, slice(None)).is_empty
    with pytest.raises(ValueError):
        empty[slice(0, 1)]
