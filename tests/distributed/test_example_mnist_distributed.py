"""The data-parallel MNIST example, on two batches, under ``mpiexec -n 2``."""
import os
import subprocess
import sys

import pytest
from numpy.testing import assert_allclose

from blocks.serialization import load
from examples.mnist_distributed import parse_args
from tests.distributed.test_mpi_jobs import MPIEXEC, ROOT, TIMEOUT

pytest.importorskip(
    'mpi4py', reason="mpi4py is not installed: pip install -e '.[mpi]'")

#: The test cost before training, as printed in the introduction tutorial.
TUTORIAL_INITIAL_TEST_COST = 2.34244632721


@pytest.mark.skipif(MPIEXEC is None, reason='no mpiexec')
def test_mnist_distributed_example_trains_and_checkpoints(tmp_path):
    checkpoint = str(tmp_path / 'mnist.tar')
    environment = dict(os.environ, PYTHONPATH=ROOT, HYDRA_LAUNCHER='fork',
                       OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1')
    result = subprocess.run(
        [MPIEXEC, '-n', '2', sys.executable, 'examples/mnist_distributed.py',
         '--num-examples', '512', '--no-progress-bar', '--checkpoint',
         checkpoint], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    # Printing runs on rank 0 only.
    assert result.stdout.count('TRAINING HAS BEEN FINISHED') == 1
    with open(checkpoint, 'rb') as source:
        main_loop = load(source)
    log = main_loop.log
    assert main_loop.status['iterations_done'] == 2
    # The sharded test stream, aggregated over the workers, gives the
    # tutorial's number.
    assert_allclose(log[0]['test_cost_with_regularization'],
                    TUTORIAL_INITIAL_TEST_COST, rtol=1e-6)
    assert (log[2]['test_cost_with_regularization'] <
            log[0]['test_cost_with_regularization'])


def test_mnist_distributed_example_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['--help'])
    assert exit_.value.code == 0
    assert 'mpiexec -n WORKERS' in capsys.readouterr().out
    arguments = parse_args(['--batch-size', '128', '--num-examples', '100'])
    assert (arguments.batch_size, arguments.num_examples) == (128, 100)
