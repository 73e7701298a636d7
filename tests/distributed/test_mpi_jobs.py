"""Real ``mpiexec -n 2`` jobs (loopback, bounded in time) of data-parallel
training: equivalence with one process, rank-0 extensions, SIGKILL and exact
resumption, a failing worker aborting the job.

The jobs run :mod:`tests.distributed.mlp_job` in float64.
"""
import os
import shutil
import subprocess
import sys

import numpy
import pytest

pytest.importorskip(
    'mpi4py', reason="mpi4py is not installed: pip install -e '.[mpi]'")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MPIEXEC = (shutil.which('mpiexec', path=os.path.dirname(sys.executable)) or
           shutil.which('mpiexec'))
pytestmark = pytest.mark.skipif(
    MPIEXEC is None, reason="no mpiexec: pip install -e '.[mpi]' brings "
                            "MPICH's")
TIMEOUT = 240
#: Equivalence to one process, in float64 (the issue's bound).
TOLERANCE = 1e-12


def run(arguments, workers=None, command=None, **environment):
    env = dict(os.environ, PYTHONPATH=ROOT, PYTENSOR_FLAGS='floatX=float64',
               OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1',
               # MPICH's hydra: start the workers here, no ssh.
               HYDRA_LAUNCHER='fork', **environment)
    for name in ('BLOCKS_TEST_KILL_RANK', 'BLOCKS_TEST_FAIL_RANK',
                 'BLOCKS_TEST_TERM_RANK'):
        if name not in environment:
            env.pop(name, None)
    command = (command or [sys.executable, '-m', 'tests.distributed.mlp_job']
               ) + arguments
    if workers is not None:
        command = [MPIEXEC, '-n', str(workers)] + command
    before = _mpich_shared_files()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=TIMEOUT)
    if result.returncode:
        # A killed or aborted MPICH job leaves its shared-memory files in
        # /dev/shm (a few MB each), which would pile up over test runs.
        for name in _mpich_shared_files() - before:
            try:
                os.remove(os.path.join(SHARED_MEMORY, name))
            except OSError:
                pass
    return result


SHARED_MEMORY = '/dev/shm'


def _mpich_shared_files():
    try:
        return {name for name in os.listdir(SHARED_MEMORY)
                if name.startswith('mpich_shm_')}
    except OSError:
        return set()


def load(path):
    with numpy.load(path) as archive:
        return {name: archive[name] for name in archive.files}


def checkpoint_values(source):
    """The parameters and monitored values of a checkpoint, as in the jobs'
    outputs."""
    from blocks.serialization import load as load_main_loop
    from tests.distributed.mlp_job import records
    main_loop = load_main_loop(source)
    values = {'parameter:' + name: value for name, value in
              main_loop.model.get_parameter_values().items()}
    values.update(records(main_loop))
    return values


def assert_close(expected, actual, tolerance):
    assert sorted(actual) == sorted(expected)
    assert any(name.startswith('valid_') for name in expected)
    assert any(name.startswith('train_') for name in expected)
    for name, value in expected.items():
        numpy.testing.assert_allclose(actual[name], value, rtol=0,
                                      atol=tolerance, err_msg=name)


@pytest.fixture(scope='module')
def jobs(tmp_path_factory):
    """One process with batch 16, and 2 workers with batch 8 each."""
    folder = tmp_path_factory.mktemp('mpi')
    single = run([str(folder / 'single.npz'), '--batch-size', '16'])
    assert single.returncode == 0, single.stderr
    parallel = run([str(folder / 'parallel.npz'), '--batch-size', '16',
                    '--parallel', '--checkpoint', str(folder / 'straight.tar')],
                   workers=2)
    assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    return folder, parallel


def test_two_workers_equal_one_process_with_the_union_batch(jobs):
    folder, _ = jobs
    single = load(folder / 'single.npz')
    parallel = load(folder / 'parallel.npz')
    # Parameters after 20 steps of Adam, the training cost of every batch
    # and the validation cost and error rate over a sharded stream.
    assert_close(single, parallel, TOLERANCE)


@pytest.mark.parametrize('batch_size', [15, 1])
def test_uneven_shards_are_weighted_by_examples(tmp_path, batch_size):
    # Batches of 15 (and a last one of 6) split 7 + 8 (and 3 + 3); batches
    # of 1 leave rank 1 without examples.
    single = run([str(tmp_path / 'single.npz'), '--batch-size',
                  str(batch_size)])
    assert single.returncode == 0, single.stderr
    parallel = run([str(tmp_path / 'parallel.npz'), '--batch-size',
                    str(batch_size), '--parallel'], workers=2)
    assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    assert_close(load(tmp_path / 'single.npz'),
                 load(tmp_path / 'parallel.npz'), TOLERANCE)


@pytest.mark.parametrize('options, workers, engine', [
    (['--reduction', 'shared'], 2,
     'shared fused 1 node(s), sharded step, factors'),
    (['--reduction', 'shared', '--no-factors'], 2,
     'shared fused 1 node(s), sharded step'),
    (['--reduction', 'shared', '--no-shard'], 2, 'shared fused 1 node(s)'),
    (['--reduction', 'shared', '--reduce-scatter'], 2,
     'shared reduce-scatter 1 node(s)'),
    (['--reduction', 'mpi'], 2, 'mpi'),
    # Two pretended machines of two workers: the reduce-scatter on each,
    # then an MPI_Allreduce of each chunk between the machines.
    (['--reduction', 'shared', '--simulated-nodes', '2'], 4,
     'shared reduce-scatter 2 node(s)'),
    # One worker per pretended machine: the buffer summed in place.
    (['--reduction', 'shared', '--simulated-nodes', '2'], 2,
     'shared reduce-scatter 2 node(s)')])
def test_every_engine_equals_one_process(jobs, tmp_path, options, workers,
                                         engine):
    folder, _ = jobs
    out = tmp_path / 'parallel.npz'
    parallel = run([str(out), '--batch-size', '16', '--parallel'] + options,
                   workers=workers)
    assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    assert (tmp_path / 'parallel.npz.engine').read_text() == engine
    assert_close(load(folder / 'single.npz'), load(out), TOLERANCE)
    digests = {(tmp_path / 'parallel.npz.rank{}'.format(rank)).read_text()
               for rank in range(workers)}
    assert len(digests) == 1


def test_shared_engine_in_the_c_mode_equals_one_process(tmp_path):
    # The compiled C matrix products write the gradients straight into the
    # shared segments (FAST_COMPILE's Python ones are copied there).
    single = run([str(tmp_path / 'single.npz'), '--batch-size', '16'],
                 BLOCKS_COMPILE_MODE='CVM')
    assert single.returncode == 0, single.stderr
    for options in ([], ['--no-factors'], ['--no-shard'],
                    ['--reduce-scatter']):
        parallel = run([str(tmp_path / 'parallel.npz'), '--batch-size', '16',
                        '--parallel', '--reduction', 'shared'] + options,
                       workers=2, BLOCKS_COMPILE_MODE='CVM')
        assert parallel.returncode == 0, parallel.stdout + parallel.stderr
        assert_close(load(tmp_path / 'single.npz'),
                     load(tmp_path / 'parallel.npz'), TOLERANCE)
        digests = {(tmp_path / 'parallel.npz.rank{}'.format(rank))
                   .read_text() for rank in range(2)}
        assert len(digests) == 1


def test_the_sharded_step_gives_the_whole_step_bit_for_bit(tmp_path):
    # Without the factors (which round the sums otherwise), in a batch of
    # 15 split 7 + 8.
    outputs = {}
    for options in (['--no-shard'], ['--no-factors']):
        out = tmp_path / '{}.npz'.format(options[0][2:])
        finished = run([str(out), '--batch-size', '15', '--parallel'] +
                       options, workers=2)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        outputs[options[0]] = load(out)
    assert (tmp_path / 'no-factors.npz.engine').read_text().endswith(
        'sharded step')
    for name, value in outputs['--no-shard'].items():
        assert numpy.array_equal(outputs['--no-factors'][name], value), name


@pytest.mark.parametrize('rank', [0, 1])
def test_a_value_replaced_on_one_worker_is_taken_from_rank_zero(jobs,
                                                                tmp_path,
                                                                rank):
    # The sharded step keeps one copy of the parameters; a set_value on
    # one worker is noticed at the next step, and rank 0's values win.
    folder, _ = jobs
    out = tmp_path / 'replaced.npz'
    replaced = run([str(out), '--batch-size', '16', '--parallel',
                    '--replace-at', '5', '--replace-rank', str(rank)],
                   workers=2)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    digests = {(tmp_path / 'replaced.npz.rank{}'.format(worker)).read_text()
               for worker in range(2)}
    assert len(digests) == 1
    straight = (folder / 'parallel.npz.rank0').read_text()
    # Rank 1's change is overwritten by rank 0's values; rank 0's is kept.
    assert (digests == {straight}) == (rank == 1)


@pytest.mark.parametrize('workers', [2, 3])
def test_the_shared_memory_reduction(workers):
    # The reduce-scatter (3 unequal chunks with 3 workers), the sum fused
    # into its reader, the refusal of unequal nodes; see shared_job.
    checked = run([], workers=workers,
                  command=[sys.executable, '-m', 'tests.distributed.shared_job'])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(': ok') == workers


def test_workers_hold_identical_parameters(jobs):
    folder, _ = jobs
    digests = [(folder / 'parallel.npz.rank{}'.format(rank)).read_text()
               for rank in range(2)]
    assert len(digests[0]) == 64 and digests[0] == digests[1]


def test_writing_extensions_act_on_rank_zero_only(jobs):
    _, parallel = jobs
    # Printing (every 10 batches and at the end) prints on rank 0 alone.
    assert parallel.stdout.count('BEFORE FIRST EPOCH') == 1
    assert parallel.stdout.count('TRAINING HAS BEEN FINISHED') == 1


def test_sigkill_brings_the_job_down_and_resumes_bit_identical(jobs,
                                                               tmp_path):
    folder, _ = jobs
    checkpoint = str(tmp_path / 'resumed.tar')
    kill_at = int(numpy.random.RandomState(2026).randint(2, 19))
    killed = run([str(tmp_path / 'killed.npz'), '--batch-size', '16',
                  '--parallel', '--checkpoint', checkpoint,
                  '--kill-at', str(kill_at)],
                 workers=2, BLOCKS_TEST_KILL_RANK=str(kill_at % 2))
    # Hydra notices the killed worker and ends the other one (no hang).
    assert killed.returncode != 0
    assert 'BAD TERMINATION' in killed.stdout + killed.stderr
    assert not os.path.exists(tmp_path / 'killed.npz')
    shutil.copy(checkpoint, tmp_path / 'one_worker.tar')

    # Resumed as the documentation says, with the same number of workers.
    blocks_continue = shutil.which('blocks-continue',
                                   path=os.path.dirname(sys.executable))
    command = ([blocks_continue] if blocks_continue else
               [sys.executable, '-m', 'blocks.scripts.continue_training'])
    resumed = run([checkpoint], workers=2, command=command)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stdout.count('TRAINING HAS BEEN FINISHED') == 1
    straight = load(folder / 'parallel.npz')
    with open(checkpoint, 'rb') as source:
        result = checkpoint_values(source)
    assert sorted(result) == sorted(straight)
    for name, value in straight.items():
        assert numpy.array_equal(result[name], value), name

    # With another number of workers (one) training continues: the same
    # model up to the order of floating point sums.
    alone = run([str(tmp_path / 'alone.npz'), '--batch-size', '16',
                 '--parallel', '--checkpoint', str(tmp_path / 'one_worker.tar'),
                 '--resume'])
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert_close(straight, load(tmp_path / 'alone.npz'), TOLERANCE)


def test_a_failing_worker_aborts_the_job_with_a_clear_message(tmp_path):
    failed = run([str(tmp_path / 'failed.npz'), '--batch-size', '16',
                  '--parallel', '--kill-at', '4'], workers=2,
                 BLOCKS_TEST_FAIL_RANK='1')
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert 'training failed on rank 1 of 2; aborting the job' in output
    assert 'a deliberate failure on this worker' in output


def test_an_interrupt_on_one_worker_stops_all_after_the_same_batch(tmp_path):
    # SIGTERM reaches rank 1 alone after step 6: without agreement, rank 0
    # would wait forever in the next allreduce.
    stopped = run([str(tmp_path / 'stopped.npz'), '--batch-size', '16',
                   '--parallel', '--kill-at', '6'], workers=2,
                  BLOCKS_TEST_TERM_RANK='1')
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert stopped.stdout.count('TRAINING HAS BEEN FINISHED') == 1
    assert 'iterations_done: 6' in stopped.stdout
    digests = [(tmp_path / 'stopped.npz.rank{}'.format(rank)).read_text()
               for rank in range(2)]
    assert digests[0] == digests[1]
