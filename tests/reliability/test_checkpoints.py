"""Checkpoints verified and safe: damage, killed writers, paths, locks, untrusted files."""
import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
import warnings
import zipfile

import numpy
import pytest

from blocks.bricks import MLP, Tanh
from blocks.checkpoint_files import (CheckpointInUseError, CheckpointLock,
                                     host_name, lock_path,
                                     remove_abandoned_temporaries)
from blocks.extensions import FinishAfter
from blocks.extensions.saveload import Checkpoint
from blocks.filter import get_parameter_path
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.scripts.continue_training import current_directory_last
from blocks.serialization import (CorruptCheckpointError, dump,
                                  dump_and_add_to_dump, load,
                                  load_parameters, secure_dump,
                                  UnverifiedCheckpointWarning)
from tests.helpers import (RecordingExtension, regression_algorithm,
                           regression_model, regression_stream)


def build_mlp(seed=1):
    mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=IsotropicGaussian(0.1),
              biases_init=Constant(0.5), seed=seed)
    mlp.initialize()
    return mlp


def parameters_of(mlp):
    return [parameter for linear in mlp.linear_transformations
            for parameter in linear.parameters]


def training_state():
    """Plain data like a main loop's: a shuffle order, step-rule state, a log."""
    rng = numpy.random.RandomState(3)
    return {'order': rng.permutation(50), 'velocity': rng.normal(size=(3, 4)),
            'iterations_done': 17, 'name': 'run', 'rows': [[1, 2.5], None]}


def write_checkpoint(path):
    mlp = build_mlp()
    with open(path, 'wb') as file_:
        dump_and_add_to_dump(training_state(), file_,
                             parameters=parameters_of(mlp),
                             to_add={'log': {'cost': [3.0, 2.0, 1.5]}})
    return {get_parameter_path(parameter): parameter.get_value()
            for parameter in parameters_of(mlp)}


def members(path):
    """{name: (offset of the data, size)} of a tar archive."""
    with tarfile.open(path) as archive:
        return {member.name: (member.offset_data, member.size)
                for member in archive.getmembers()}


def header_offsets(path):
    """{name: offset of the first header block} of a tar archive."""
    with tarfile.open(path) as archive:
        return {member.name: member.offset
                for member in archive.getmembers()}


def equal(first, second):
    """Exact equality of nested data holding arrays (dtype and shape too)."""
    if isinstance(first, numpy.ndarray) or isinstance(second, numpy.ndarray):
        return (type(first) is type(second) and first.dtype == second.dtype
                and first.shape == second.shape and
                numpy.array_equal(first, second, equal_nan=True))
    if isinstance(first, dict):
        return (isinstance(second, dict) and first.keys() == second.keys() and
                all(equal(first[key], second[key]) for key in first))
    if isinstance(first, (list, tuple)):
        return (type(first) is type(second) and len(first) == len(second) and
                all(equal(a, b) for a, b in zip(first, second)))
    return type(first) is type(second) and first == second


# Truncation and checksums

def test_load_parameters_reads_a_whole_member_before_the_damage(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    parameters = write_checkpoint(path)
    data = path.read_bytes()
    spans = members(path)
    offset, size = spans['_pkl']
    truncated = tmp_path / 'truncated.tar'
    for end in [offset + size // 2, offset - 100, spans['log'][0] + 100]:
        truncated.write_bytes(data[:end])
        with open(truncated, 'rb') as file_:
            loaded = load_parameters(file_)
            assert equal(loaded, parameters)
            with pytest.raises(CorruptCheckpointError,
                               match=r"checkpoint .*truncated\.tar is "
                                     r"damaged: its member '\w+' .*"):
                load(file_)


def test_load_parameters_names_the_file_when_the_parameters_are_cut(
        tmp_path):
    path = tmp_path / 'checkpoint.tar'
    write_checkpoint(path)
    offset, size = members(path)['_parameters']
    truncated = tmp_path / 'cut.tar'
    truncated.write_bytes(path.read_bytes()[:offset + size // 2])
    with open(truncated, 'rb') as file_:
        with pytest.raises(CorruptCheckpointError,
                           match=r"the checkpoint .*cut\.tar is damaged: its "
                                 r"member '_parameters' is cut short"):
            load_parameters(file_)


@pytest.mark.parametrize('member', ['_pkl', '_parameters', 'log'])
def test_a_flipped_byte_is_reported_with_the_path_and_the_member(
        tmp_path, member):
    path = tmp_path / 'checkpoint.tar'
    write_checkpoint(path)
    offset, size = members(path)[member]
    data = bytearray(path.read_bytes())
    data[offset + size // 2] ^= 0x10  # inside the data: a shuffle order...
    path.write_bytes(bytes(data))
    pattern = (r"checkpoint .*checkpoint\.tar is damaged: its member "
               r"'{}' does not match its checksum".format(member))
    with open(path, 'rb') as file_:
        with pytest.raises(CorruptCheckpointError, match=pattern):
            load(file_)
        with pytest.raises(CorruptCheckpointError, match=pattern):
            load(file_, 'log')
        if member == '_parameters':
            with pytest.raises(CorruptCheckpointError, match=pattern):
                load_parameters(file_)
        else:
            load_parameters(file_)


def test_a_checkpoint_without_its_manifest_is_truncated(tmp_path):
    # Cut where the last member ('log', whose header carries the manifest)
    # begins: every member left is whole, and the cut is still found.
    path = tmp_path / 'checkpoint.tar'
    write_checkpoint(path)
    assert list(members(path)) == ['_parameters', '_pkl', 'log']
    path.write_bytes(path.read_bytes()[:header_offsets(path)['log']])
    with open(path, 'rb') as file_:
        with pytest.raises(CorruptCheckpointError,
                           match=r"its member '_pkl' is not the last member: "
                                 r"no manifest follows it \(the checkpoint is "
                                 r"truncated\)"):
            load(file_)


def test_a_damaged_manifest_is_reported_with_its_member(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    write_checkpoint(path)
    data = path.read_bytes()
    start = data.index(b'BLOCKS.manifest=')
    position = data.index(b'"sha256"', start) + len(b'"sha256": "')
    damaged = bytearray(data)
    damaged[position] = ord('0') if data[position] != ord('0') else ord('1')
    path.write_bytes(bytes(damaged))
    with open(path, 'rb') as file_:
        with pytest.raises(CorruptCheckpointError,
                           match=r"its member 'log' carries a manifest that "
                                 r"does not match its checksum"):
            load(file_)


def test_a_checkpoint_ending_with_a_manifest_member_still_loads(tmp_path):
    """The format of earlier versions: a last member named _manifest."""
    import io
    import json
    from blocks.serialization import CHECKSUM_KEY, _sha256

    path = tmp_path / 'checkpoint.tar'
    parameters = write_checkpoint(path)
    with tarfile.open(path) as archive:
        contents = [(member.name, archive.extractfile(member).read())
                    for member in archive.getmembers()]
    listed = [{'name': name, 'size': len(data), 'sha256': _sha256(data)}
              for name, data in contents]
    manifest = json.dumps({'format': 'blocks-checkpoint', 'version': 1,
                           'members': listed}, sort_keys=True).encode()
    old = tmp_path / 'old.tar'
    with tarfile.open(old, 'w', format=tarfile.PAX_FORMAT) as archive:
        for name, data in contents + [('_manifest', manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.pax_headers = {CHECKSUM_KEY: _sha256(data)}
            archive.addfile(info, io.BytesIO(data))
    with open(old, 'rb') as file_:
        assert equal(load_parameters(file_), parameters)
        assert load(file_, 'log') == {'cost': [3.0, 2.0, 1.5]}
    with tarfile.open(old) as archive:
        assert archive.getnames()[-1] == '_manifest'


def write_old_checkpoint(path, mlp):
    """A checkpoint as Blocks wrote it before checksums: no manifest."""
    buffer = io.BytesIO()
    numpy.savez(buffer, **{'|mlp|linear_0.W': mlp.children[0].W.get_value()})
    pickled = io.BytesIO()
    import pickle
    pickle.dump({'iterations_done': 3}, pickled)
    with tarfile.open(path, 'w') as archive:
        for name, data in [('_parameters', buffer.getvalue()),
                           ('_pkl', pickled.getvalue())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_checkpoints_written_before_checksums_still_load(tmp_path):
    mlp = build_mlp()
    path = tmp_path / 'old.tar'
    write_old_checkpoint(path, mlp)
    with open(path, 'rb') as file_:
        with pytest.warns(UnverifiedCheckpointWarning,
                          match=r"old\.tar has no checksums \(written before "
                                r"Blocks recorded them\): it is loaded"):
            assert load(file_) == {'iterations_done': 3}
        with pytest.warns(UnverifiedCheckpointWarning,
                          match="its parameters are loaded without"):
            parameters = load_parameters(file_)
    assert numpy.array_equal(parameters['/mlp/linear_0.W'],
                             mlp.children[0].W.get_value())


def test_fuzz_truncations_and_byte_flips(tmp_path):
    """Every damaged load returns exactly what was saved, or says it is damaged."""
    path = tmp_path / 'checkpoint.tar'
    parameters = write_checkpoint(path)
    data = path.read_bytes()
    expected = {'_pkl': training_state(), 'log': {'cost': [3.0, 2.0, 1.5]}}
    spans = members(path)
    rng = numpy.random.RandomState(11)
    damaged = tmp_path / 'damaged.tar'
    outcomes = {'same': 0, 'refused': 0}
    cases = []
    for name, (offset, size) in spans.items():  # every member's data
        cases += [('flip', int(position)) for position in
                  rng.randint(offset, offset + size, size=25)]
    cases += [('flip', int(position))
              for position in rng.randint(0, len(data), size=150)]
    cases += [('cut', int(length))
              for length in rng.randint(0, len(data), size=100)]
    for kind, position in cases:
        if kind == 'flip':
            changed = bytearray(data)
            changed[position] ^= int(rng.randint(1, 256))
            damaged.write_bytes(bytes(changed))
        else:
            damaged.write_bytes(data[:position])
        with open(damaged, 'rb') as file_, warnings.catch_warnings():
            warnings.simplefilter('error')  # never "unverified" here
            attempts = [('_pkl', lambda: load(file_)),
                        ('log', lambda: load(file_, 'log')),
                        ('parameters', lambda: load_parameters(file_))]
            for what, attempt in attempts:
                try:
                    result = attempt()
                except CorruptCheckpointError as error:
                    assert 'damaged.tar' in str(error), (kind, position)
                    outcomes['refused'] += 1
                    continue
                reference = (parameters if what == 'parameters'
                             else expected[what])
                assert equal(result, reference), (kind, position, what)
                outcomes['same'] += 1
    assert len(cases) == 25 * 3 + 150 + 100  # 3 members
    print(outcomes)
    # Flips in padding, unused header bytes or after the end change nothing
    assert outcomes['refused'] > 400 and outcomes['same'] > 300


# Killed writers and temporary files

def dead_pid():
    process = subprocess.Popen([sys.executable, '-c', 'pass'])
    process.wait()
    return process.pid


def test_temporary_files_of_dead_writers_are_removed_and_no_other(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    host = host_name()
    name = '.{}.{}@{}-0a1b2c3d.tmp'
    dead = tmp_path / name.format('checkpoint.tar', dead_pid(), host)
    live = tmp_path / name.format('checkpoint.tar', os.getppid(), host)
    elsewhere = tmp_path / name.format('checkpoint.tar', dead_pid(),
                                       'other-host')
    unrelated = tmp_path / name.format('other.tar', dead_pid(), host)
    for file_ in [dead, live, elsewhere, unrelated]:
        file_.write_bytes(b'partial checkpoint')
    secure_dump({'epoch': 1}, str(path))
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['checkpoint.tar', live.name, elsewhere.name, unrelated.name])
    assert remove_abandoned_temporaries(str(path)) == []


WRITER = textwrap.dedent("""
    import sys
    import numpy
    from blocks.serialization import dump_and_add_to_dump, secure_dump
    from blocks.utils import shared_floatx
    from blocks.roles import add_role, PARAMETER
    W = shared_floatx(numpy.zeros((1000, 1000)), name='W')
    add_role(W, PARAMETER)
    version = 0
    while True:
        version += 1
        W.set_value(numpy.full((1000, 1000), version, dtype=W.dtype))
        secure_dump({'version': version}, sys.argv[1],
                    dump_function=dump_and_add_to_dump, parameters=[W],
                    to_add={'log': version})
        if version == 1:
            print('written', flush=True)
""")


def test_sigkill_during_writes_leaves_a_loadable_checkpoint(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    rng = numpy.random.RandomState(5)
    for delay in rng.uniform(0.0, 0.4, size=4):
        writer = subprocess.Popen([sys.executable, '-c', WRITER, str(path)],
                                  stdout=subprocess.PIPE)
        assert writer.stdout.readline() == b'written\n'
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        with open(path, 'rb') as file_:
            version = load(file_)['version']
            assert load(file_, 'log') == version
            assert numpy.all(load_parameters(file_)['W'] == version)
    secure_dump({'version': 0}, str(path))
    assert os.listdir(tmp_path) == ['checkpoint.tar']


# The checkpoint path, write errors and locks

def make_main_loop(extensions):
    cost, _ = regression_model()
    return MainLoop(regression_algorithm(cost), regression_stream(),
                    model=Model(cost), extensions=extensions)


def test_missing_directories_are_created_before_training(tmp_path):
    path = tmp_path / 'runs' / 'mlp' / 'checkpoint.tar'
    recorder = RecordingExtension()
    main_loop = make_main_loop([recorder, FinishAfter(after_n_batches=1),
                                Checkpoint(path)])
    main_loop.run()
    assert os.listdir(tmp_path / 'runs' / 'mlp') == ['checkpoint.tar']
    with open(path, 'rb') as file_:
        assert load(file_).status['iterations_done'] == 1


def test_an_unwritable_path_fails_before_the_first_batch(tmp_path):
    blocker = tmp_path / 'results'
    blocker.write_text('a file where a directory should be')
    recorder = RecordingExtension()
    main_loop = make_main_loop([recorder, FinishAfter(after_n_batches=1),
                                Checkpoint(blocker / 'checkpoint.tar')])
    with pytest.raises(OSError, match=r"the 'Checkpoint' extension cannot "
                                      r"write the checkpoint .*results/"
                                      r"checkpoint\.tar: "):
        main_loop.run()
    assert main_loop.status['iterations_done'] == 0
    assert ('before_batch', 0) not in recorder.calls


def test_a_directory_is_not_a_checkpoint_path(tmp_path):
    with pytest.raises(ValueError, match=r"Checkpoint path must name a file, "
                                         r"got the directory"):
        Checkpoint(str(tmp_path))
    with pytest.raises(TypeError, match=r"Checkpoint path must be a str or a "
                                        r"path, got 3"):
        Checkpoint(3)


@pytest.mark.parametrize('code, reason', [(errno.ENOSPC, 'No space left'),
                                          (errno.EFBIG, 'File too large')])
def test_write_errors_name_the_extension_and_the_path(tmp_path, monkeypatch,
                                                      code, reason):
    import blocks.extensions.saveload as saveload
    path = tmp_path / 'checkpoint.tar'
    checkpoint = Checkpoint(path, every_n_batches=1, name='checkpointing')
    main_loop = make_main_loop([FinishAfter(after_n_batches=3), checkpoint])
    calls = []

    def failing_dump(object_, file_, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            return dump_and_add_to_dump(object_, file_, **kwargs)
        file_.write(b'part of a checkpoint')
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(saveload, 'dump_and_add_to_dump', failing_dump)
    with pytest.raises(OSError, match=r"the 'checkpointing' extension could "
                                      r"not save the checkpoint: cannot write "
                                      r".*checkpoint\.tar: {}".format(reason)
                       ) as raised:
        main_loop.run()
    assert raised.value.errno == code
    with open(path, 'rb') as file_:  # the first checkpoint is intact
        assert load(file_).status['iterations_done'] == 1
    assert sorted(os.listdir(tmp_path)) == ['checkpoint.tar']


HOLDER = textwrap.dedent("""
    import sys, time
    from blocks.checkpoint_files import CheckpointLock
    CheckpointLock(sys.argv[1]).acquire()
    print('locked', flush=True)
    time.sleep(60)
""")


def test_a_second_run_on_the_same_path_stops_naming_the_first(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    holder = subprocess.Popen([sys.executable, '-c', HOLDER, str(path)],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b'locked\n'
        main_loop = make_main_loop([FinishAfter(after_n_batches=1),
                                    Checkpoint(path)])
        pattern = (r"the checkpoint .*checkpoint\.tar is being written by "
                   r"another run: process {} on {} \(started .*\) holds its "
                   r"lock .*checkpoint\.tar\.lock".format(
                       holder.pid, re.escape(host_name())))
        with pytest.raises(CheckpointInUseError, match=pattern):
            main_loop.run()
        assert main_loop.status['iterations_done'] == 0
        assert not path.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # The holder is dead now: its lock is stale and taken over.
    main_loop = make_main_loop([FinishAfter(after_n_batches=1),
                                Checkpoint(path)])
    main_loop.run()
    assert sorted(os.listdir(tmp_path)) == ['checkpoint.tar']


def test_a_lock_of_another_host_is_respected(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    with open(lock_path(path), 'w') as file_:
        json.dump({'pid': 1234, 'host': 'gpu-node-7', 'token': 'abc',
                   'started': '2026-12-01 10:00:00', 'command': 'train.py'},
                  file_)
    with pytest.raises(CheckpointInUseError,
                       match=r"process 1234 on gpu-node-7 \(started "
                             r"2026-12-01 10:00:00: train\.py\).*delete "
                             r".*checkpoint\.tar\.lock"):
        CheckpointLock(path).acquire()


def test_several_checkpoints_of_one_run_share_the_lock(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    main_loop = make_main_loop([FinishAfter(after_n_batches=2),
                                Checkpoint(path, every_n_batches=1),
                                Checkpoint(path, after_n_batches=2)])
    main_loop.run()
    assert sorted(os.listdir(tmp_path)) == ['checkpoint.tar']


# Untrusted files

def npz_member_archive(path, npz_bytes):
    """An archive whose _parameters member is `npz_bytes` (no checksums)."""
    with tarfile.open(path, 'w') as archive:
        info = tarfile.TarInfo('_parameters')
        info.size = len(npz_bytes)
        archive.addfile(info, io.BytesIO(npz_bytes))


def test_load_parameters_refuses_object_arrays(tmp_path):
    buffer = io.BytesIO()
    numpy.savez(buffer, **{'|W': numpy.array([{'a': 1}], dtype=object)})
    path = tmp_path / 'objects.tar'
    npz_member_archive(path, buffer.getvalue())
    with open(path, 'rb') as file_, pytest.warns(UnverifiedCheckpointWarning):
        with pytest.raises(CorruptCheckpointError,
                           match=r"'_parameters' holds the array '\|W', which "
                                 r"cannot be read \(it is an object array"):
            load_parameters(file_)


def test_load_parameters_refuses_a_zip_bomb(tmp_path):
    buffer = io.BytesIO()
    numpy.savez_compressed(buffer, W=numpy.zeros(2 ** 23))  # 64 MiB of 0
    assert len(buffer.getvalue()) < 2 ** 17
    path = tmp_path / 'bomb.tar'
    npz_member_archive(path, buffer.getvalue())
    with open(path, 'rb') as file_, pytest.warns(UnverifiedCheckpointWarning):
        with pytest.raises(CorruptCheckpointError,
                           match=r"'_parameters' of the checkpoint .*bomb\.tar "
                                 r"would unpack 671089\d\d bytes of arrays from "
                                 r"\d+ stored bytes, more than max_expansion=4 "
                                 r"times: refused"):
            load_parameters(file_)
        loaded = load_parameters(file_, max_expansion=None)  # trusted
    assert loaded['W'].shape == (2 ** 23,)


def test_load_parameters_refuses_a_false_shape(tmp_path):
    header = io.BytesIO()
    numpy.lib.format.write_array_header_1_0(
        header, {'descr': '<f8', 'fortran_order': False,
                 'shape': (10 ** 12,)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as npz:
        npz.writestr('W.npy', header.getvalue() + b'\0' * 64)
    path = tmp_path / 'shape.tar'
    npz_member_archive(path, buffer.getvalue())
    with open(path, 'rb') as file_, pytest.warns(UnverifiedCheckpointWarning):
        with pytest.raises(CorruptCheckpointError,
                           match=r"holds the array 'W', which cannot be read "
                                 r"\(its header declares 8000000000000 bytes"):
            load_parameters(file_)


def test_blocks_continue_searches_the_current_directory_last(tmp_path):
    assert current_directory_last(['', '/site-packages', os.getcwd()]) == [
        '/site-packages', os.getcwd()]
    # A module in the current directory named like an installed one
    marker = tmp_path / 'shadowed'
    (tmp_path / 'colorsys.py').write_text(
        "open({!r}, 'w').close()\n".format(str(marker)))
    checkpoint = tmp_path / 'checkpoint.tar'
    import colorsys
    with open(checkpoint, 'wb') as file_:
        dump(colorsys.rgb_to_hsv, file_)
    process = subprocess.run(
        [sys.executable, '-m', 'blocks.scripts.continue_training',
         str(checkpoint)], cwd=tmp_path, capture_output=True, text=True)
    assert "'function' object has no attribute 'run'" in process.stderr
    assert not marker.exists()
