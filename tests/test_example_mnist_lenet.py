"""The LeNet example on a few batches of MNIST."""
import pytest
from numpy.testing import assert_allclose

from blocks.bricks.conv import Convolutional, MaxPooling
from blocks.serialization import load
from examples.mnist_lenet import build_lenet, main, parse_args


def test_lenet_shapes():
    convnet = build_lenet()
    convs = [layer for layer in convnet.layers
             if isinstance(layer, Convolutional)]
    pools = [layer for layer in convnet.layers
             if isinstance(layer, MaxPooling)]
    assert [c.get_dim('output') for c in convs] == [
        (20, 24, 24), (50, 8, 8)]
    assert [p.get_dim('output') for p in pools] == [
        (20, 12, 12), (50, 4, 4)]
    assert convnet.top_mlp.dims == [800, 500, 10]
    full = build_lenet(border_mode='full')
    assert full.top_mlp.dims == [5000, 500, 10]


def test_lenet_trains_and_checkpoints(tmp_path):
    checkpoint = str(tmp_path / 'lenet.tar')
    main_loop = main(save_to=checkpoint, num_epochs=1, batch_size=50,
                     num_examples=200, progress_bar=False)
    log = main_loop.log
    assert main_loop.status['iterations_done'] == 4
    assert log[4]['test_cost'] < log[0]['test_cost']
    with open(checkpoint, 'rb') as source:
        loaded = load(source)
    assert loaded.status['iterations_done'] == 4
    saved = loaded.model.get_parameter_values()
    assert len(saved) == 8
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(saved[name], value)


def test_num_batches_stops_early(tmp_path):
    main_loop = main(save_to=str(tmp_path / 'lenet.tar'), num_epochs=5,
                     batch_size=20, num_batches=2, num_examples=100,
                     progress_bar=False)
    assert main_loop.status['iterations_done'] == 2


def test_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert '--border-mode' in capsys.readouterr().out
    arguments = parse_args(['--num-epochs', '3', 'out.tar'])
    assert (arguments.num_epochs, arguments.save_to) == (3, 'out.tar')
