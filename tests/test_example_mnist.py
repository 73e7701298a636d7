"""The MNIST example (the introduction tutorial), on a few batches."""
import pytest
from numpy.testing import assert_allclose

from blocks.serialization import load
from examples.mnist import main, parse_args

#: The test cost before training, as printed in the introduction tutorial.
TUTORIAL_INITIAL_TEST_COST = 2.34244632721


def test_mnist_example_trains_and_checkpoints(tmp_path):
    checkpoint = str(tmp_path / 'mnist.tar')
    main_loop = main(epochs=1, batch_size=256, num_examples=512,
                     progress_bar=False, checkpoint=checkpoint)
    log = main_loop.log
    assert main_loop.status['iterations_done'] == 2
    assert_allclose(log[0]['test_cost_with_regularization'],
                    TUTORIAL_INITIAL_TEST_COST, rtol=1e-6)
    assert (log[2]['test_cost_with_regularization'] <
            log[0]['test_cost_with_regularization'])
    assert log[2]['test_error_rate'] < log[0]['test_error_rate']
    with open(checkpoint, 'rb') as source:
        loaded = load(source)
    assert loaded.status['iterations_done'] == 2
    saved = loaded.model.get_parameter_values()
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(saved[name], value)


def test_mnist_example_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert '--num-examples' in capsys.readouterr().out
    arguments = parse_args(['--epochs', '2', '--num-examples', '100'])
    assert (arguments.epochs, arguments.num_examples) == (2, 100)
