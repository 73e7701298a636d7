import io
import os
import pickle
import subprocess
import sys
import tarfile
import textwrap

import numpy
import pytest

from blocks.bricks import MLP, Tanh
from blocks.extensions import FinishAfter, TrainingExtension
from blocks.extensions.predicates import OnLogRecord
from blocks.extensions.saveload import Checkpoint, Load, SAVED_TO, LOADED_FROM
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.serialization import (add_to_dump, CorruptCheckpointError, dump,
                                  dump_and_add_to_dump, load,
                                  load_parameters, secure_dump,
                                  UnverifiedCheckpointWarning)
from tests.helpers import (regression_algorithm, regression_model,
                           regression_stream)


def build_mlp(seed=1):
    mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=IsotropicGaussian(0.1),
              biases_init=Constant(0.5), seed=seed)
    mlp.initialize()
    return mlp


def parameters_of(mlp):
    return [parameter for linear in mlp.linear_transformations
            for parameter in linear.parameters]


def test_dump_format_is_readable_without_blocks(tmp_path):
    mlp = build_mlp()
    path = tmp_path / 'mlp.tar'
    with open(path, 'wb') as f:
        dump(mlp, f, parameters=parameters_of(mlp))
    with tarfile.open(path) as archive:
        assert archive.getnames() == ['_parameters', '_pkl']
        with numpy.load(archive.extractfile('_parameters')) as npz:
            assert sorted(npz.files) == ['|mlp|linear_0.W', '|mlp|linear_0.b',
                                         '|mlp|linear_1.W', '|mlp|linear_1.b']
            assert numpy.array_equal(npz['|mlp|linear_0.W'],
                                     mlp.linear_transformations[0].W
                                     .get_value())
        # the pickle refers to the parameters instead of copying them
        pickled = archive.extractfile('_pkl').read()
    for parameter in parameters_of(mlp):
        assert parameter.get_value().tobytes() not in pickled


def test_dump_load_round_trip():
    mlp = build_mlp()
    f = io.BytesIO()
    dump(mlp, f, parameters=parameters_of(mlp))
    loaded = load(f)
    assert [child.name for child in loaded.children] == \
        ['linear_0', 'tanh', 'linear_1']
    for original, copy in zip(parameters_of(mlp), parameters_of(loaded)):
        assert numpy.array_equal(original.get_value(), copy.get_value())
        assert copy is not original
    parameters = load_parameters(f)
    assert numpy.array_equal(parameters['/mlp/linear_1.b'],
                             numpy.full(2, 0.5))


def test_add_to_dump_and_load_by_name():
    mlp = build_mlp()
    f = io.BytesIO()
    dump_and_add_to_dump(mlp, f, parameters=parameters_of(mlp),
                         to_add={'children': mlp.children})
    children = load(f, 'children')
    assert [child.name for child in children] == ['linear_0', 'tanh',
                                                  'linear_1']
    assert numpy.array_equal(children[0].W.get_value(),
                             mlp.children[0].W.get_value())
    with pytest.raises(ValueError, match="reserved names"):
        add_to_dump(mlp, f, '_pkl')
    with pytest.raises(ValueError, match="has no member 'missing'"):
        load(f, 'missing')


def test_truncated_checkpoint_is_reported_with_its_path(tmp_path):
    mlp = build_mlp()
    path = tmp_path / 'mlp.tar'
    with open(path, 'wb') as f:
        dump(mlp, f, parameters=parameters_of(mlp))
    data = path.read_bytes()
    truncated = tmp_path / 'truncated.tar'
    truncated.write_bytes(data[:len(data) // 3])
    with open(truncated, 'rb') as f:
        with pytest.raises(CorruptCheckpointError, match='truncated.tar'):
            load(f)
    garbage = tmp_path / 'garbage.tar'
    garbage.write_bytes(b'not a tar archive at all' * 100)
    with open(garbage, 'rb') as f:
        with pytest.raises(CorruptCheckpointError, match='garbage.tar'):
            load_parameters(f)


def test_parameters_survive_a_damaged_pickle(tmp_path):
    mlp = build_mlp()
    buffer = io.BytesIO()
    numpy.savez(buffer, **{'|mlp|linear_0.W': mlp.children[0].W.get_value()})
    path = tmp_path / 'damaged.tar'
    with tarfile.open(path, 'w') as archive:
        for name, data in [('_parameters', buffer.getvalue()),
                           ('_pkl', b'\x80\x05garbage')]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    with open(path, 'rb') as f, pytest.warns(UnverifiedCheckpointWarning,
                                             match="has no checksums"):
        with pytest.raises(CorruptCheckpointError,
                           match=r"damaged.tar.*load_parameters"):
            load(f)
        parameters = load_parameters(f)
    assert numpy.array_equal(parameters['/mlp/linear_0.W'],
                             mlp.children[0].W.get_value())


def test_secure_dump_keeps_the_old_file_when_dumping_fails(tmp_path):
    path = tmp_path / 'object.pkl'
    secure_dump({'version': 1}, str(path), dump_function=pickle.dump)

    def failing_dump(object_, file_):
        file_.write(b'partial')
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        secure_dump({'version': 2}, str(path), dump_function=failing_dump)
    with open(path, 'rb') as f:
        assert pickle.load(f) == {'version': 1}
    assert os.listdir(tmp_path) == ['object.pkl']


def test_killed_writer_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    mlp = build_mlp()
    with open(path, 'wb') as f:
        dump(mlp, f, parameters=parameters_of(mlp))
    before = path.read_bytes()
    script = textwrap.dedent("""
        import os, signal, sys
        import blocks.serialization as serialization
        from blocks.bricks import MLP, Tanh
        mlp = MLP([Tanh(), None], [3, 4, 2])
        mlp.allocate()
        parameters = [p for l in mlp.linear_transformations for p in l.parameters]
        def killed_before_rename(source, destination):
            os.kill(os.getpid(), signal.SIGKILL)
        serialization.os.replace = killed_before_rename
        serialization.secure_dump(mlp, sys.argv[1], parameters=parameters)
    """)
    process = subprocess.run([sys.executable, '-c', script, str(path)])
    assert process.returncode == -9
    assert path.read_bytes() == before
    with open(path, 'rb') as f:
        assert numpy.array_equal(load_parameters(f)['/mlp/linear_0.W'],
                                 mlp.children[0].W.get_value())


class MarkEveryOtherBatch(TrainingExtension):
    """Writes a ``save_now`` record after every second batch."""
    def after_batch(self, batch):
        if self.main_loop.status['iterations_done'] % 2 == 0:
            self.main_loop.log.current_row['save_now'] = True


def make_main_loop(tmp_path, extensions, **kwargs):
    cost, linear = regression_model()
    main_loop = MainLoop(regression_algorithm(cost), regression_stream(),
                         model=Model(cost), extensions=extensions, **kwargs)
    return main_loop, linear


def test_checkpoint_and_load(tmp_path):
    path = str(tmp_path / 'checkpoint.tar')
    main_loop, linear = make_main_loop(
        tmp_path, [FinishAfter(after_n_batches=3),
                   Checkpoint(path, every_n_batches=2,
                              save_separately=['log'])])
    main_loop.run()
    assert main_loop.log[2][SAVED_TO] == (path,)
    assert main_loop.log[3][SAVED_TO] == (path,)  # after_training
    with open(path, 'rb') as f:
        loaded = load(f)
        log = load(f, 'log')
    assert loaded.status['iterations_done'] == 3
    assert log.status['iterations_done'] == 3
    assert numpy.array_equal(loaded.model.parameters[0].get_value(),
                             main_loop.model.parameters[0].get_value())

    fresh, fresh_linear = make_main_loop(
        tmp_path, [Load(path, load_iteration_state=True, load_log=True),
                   FinishAfter(after_n_batches=4)])
    fresh.run()
    assert fresh.log[3][LOADED_FROM] == path
    assert fresh.status['iterations_done'] == 4


def test_checkpoint_without_a_path_saves_where_its_conditions_say(tmp_path):
    # As in Blocks: the path may be None, each condition giving its own.
    path = str(tmp_path / 'every_two.tar')
    checkpoint = Checkpoint(None, after_training=False).add_condition(
        ['after_batch'], predicate=OnLogRecord('save_now'),
        arguments=(path,))
    main_loop, linear = make_main_loop(
        tmp_path, [MarkEveryOtherBatch(), checkpoint,
                   FinishAfter(after_n_batches=3)])
    main_loop.run()
    assert main_loop.log[2][SAVED_TO] == (path,)
    assert SAVED_TO not in main_loop.log[1]
    with open(path, 'rb') as f:
        assert load(f).status['iterations_done'] == 2


def test_checkpoint_errors_as_in_blocks(tmp_path):
    main_loop, linear = make_main_loop(tmp_path, [])
    # A missing attribute to save separately is an AttributeError first.
    checkpoint = Checkpoint(None, save_separately=['foo'])
    checkpoint.main_loop = main_loop
    with pytest.raises(AttributeError, match="foo"):
        checkpoint.do(None)
    checkpoint = Checkpoint(None)
    checkpoint.main_loop = main_loop
    with pytest.raises(ValueError, match="has no path to save to"):
        checkpoint.do('after_training')
    # A file that is not a checkpoint is a tarfile.ReadError, as in Blocks.
    garbage = tmp_path / 'garbage'
    garbage.write_bytes(b'a')
    load_extension = Load(str(garbage))
    load_extension.main_loop = main_loop
    with pytest.raises(tarfile.ReadError, match="not a Blocks checkpoint"):
        load_extension.do()


def test_checkpoint_refuses_nan_parameters(tmp_path, caplog):
    path = tmp_path / 'checkpoint.tar'
    main_loop, linear = make_main_loop(
        tmp_path, [FinishAfter(after_n_batches=1),
                   Checkpoint(str(path), after_batch=True)])
    main_loop.run()
    good = path.read_bytes()
    linear.W.set_value(numpy.nan * linear.W.get_value())
    checkpoint = main_loop.extensions[1]
    checkpoint.do('after_batch', {})
    assert path.read_bytes() == good
    assert main_loop.log.current_row[SAVED_TO][-1] is None
    assert 'refused' in caplog.text and '/linear.W' in caplog.text


def test_loading_parameters_into_a_fresh_model(tmp_path):
    mlp = build_mlp(seed=1)
    path = tmp_path / 'mlp.tar'
    with open(path, 'wb') as f:
        dump(None, f, parameters=parameters_of(mlp))
    from pytensor import tensor
    fresh = build_mlp(seed=7)
    model = Model(fresh.apply(tensor.matrix('x')))
    with open(path, 'rb') as f:
        model.set_parameter_values(load_parameters(f))
    for original, loaded in zip(parameters_of(mlp), parameters_of(fresh)):
        assert numpy.array_equal(original.get_value(), loaded.get_value())


def test_deep_graphs_pickle_beyond_the_default_recursion_limit():
    from pytensor import tensor
    x = tensor.vector('x')
    y = x
    for _ in range(3000):
        y = y + 1
    with pytest.raises(RecursionError):
        pickle.dumps(y)
    f = io.BytesIO()
    dump(y, f)
    loaded = load(f)
    depth = 0
    while loaded.owner is not None:
        loaded = loaded.owner.inputs[0]
        depth += 1
    assert (depth, loaded.name) == (3000, 'x')


def test_unpicklable_main_loop_gets_a_message_that_teaches_the_fix(tmp_path):
    from blocks.extensions.training import SharedVariableModifier
    cost, _ = regression_model()
    algorithm = regression_algorithm(cost)
    learning_rate = algorithm.step_rule.learning_rate
    main_loop = MainLoop(
        algorithm, regression_stream(), model=Model(cost),
        extensions=[SharedVariableModifier(learning_rate, lambda n: 0.1)])
    with pytest.raises(pickle.PicklingError,
                       match=r"MainLoop cannot be pickled.*lambda.*"
                             r"module-level functions"):
        dump(main_loop, io.BytesIO())
    path = tmp_path / 'checkpoint.tar'
    with pytest.raises(pickle.PicklingError):
        secure_dump(main_loop, str(path))
    assert not path.exists() and os.listdir(tmp_path) == []


def module_level_function():
    return 1


def test_objects_from_main_are_reported():
    import __main__
    original_module = module_level_function.__module__
    module_level_function.__module__ = '__main__'
    __main__.__dict__['module_level_function'] = module_level_function
    try:
        with pytest.warns(UserWarning, match=r"module_level_function is "
                                             r"defined in __main__"):
            dump(module_level_function, io.BytesIO())
    finally:
        module_level_function.__module__ = original_module
        del __main__.__dict__['module_level_function']


def test_duplicate_parameter_names_are_numbered():
    mlp = MLP(activations=[None, None], dims=[3, 3, 3],
              weights_init=Constant(1.), use_bias=False)
    mlp.initialize()
    for child in mlp.children:
        child.name = 'linear'
    f = io.BytesIO()
    with pytest.warns(UserWarning, match="several parameters are named"):
        dump(None, f, parameters=[child.W for child in mlp.children])
    assert set(load_parameters(f)) == {'/mlp/linear.W', '/mlp/linear.W_2'}
    _ = f.seek(0)
    with tarfile.open(fileobj=f) as archive:
        assert archive.getnames() == ['_parameters']


def test_add_to_dump_appends_a_verified_member():
    mlp = build_mlp()
    f = io.BytesIO()
    dump(mlp, f, parameters=parameters_of(mlp))
    add_to_dump(mlp.children, f, 'children', parameters=parameters_of(mlp))
    children = load(f, 'children')
    assert numpy.array_equal(children[0].W.get_value(),
                             mlp.children[0].W.get_value())
    _ = f.seek(0)
    with tarfile.open(fileobj=f) as archive:
        assert archive.getnames() == ['_parameters', '_pkl', 'children']
        offset = archive.getmember('children').offset_data
    damaged = bytearray(f.getvalue())
    damaged[offset + 10] ^= 1
    with pytest.raises(CorruptCheckpointError,
                       match=r"its member 'children' does not match its "
                             r"checksum"):
        load(io.BytesIO(bytes(damaged)))


def test_a_checkpoint_extension_of_an_earlier_version_resumes(tmp_path):
    path = tmp_path / 'checkpoint.tar'
    checkpoint = Checkpoint(str(path), after_batch=True)
    state = checkpoint.__getstate__()
    del state['last_saved'], state['_locks']  # as pickled before them
    old = Checkpoint.__new__(Checkpoint)
    old.__setstate__(state)
    main_loop, _ = make_main_loop(tmp_path, [FinishAfter(after_n_batches=1),
                                             old])
    main_loop.run()
    assert old.last_saved == (str(path), 1)
    with open(path, 'rb') as f:
        assert load(f).status['iterations_done'] == 1
