"""A run killed with SIGKILL and resumed with blocks-continue ends bit-identical."""
import os
import shutil
import subprocess
import sys

import numpy

from blocks.serialization import load, load_parameters

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = "from tests.resumption import main; main()"
#: Records that describe what happened to the run, not to the model.
RUN_RECORDS = {'resumed_from', 'saved_to', 'loaded_from'}


def run(arguments, kill=False, script=RUN):
    environment = dict(os.environ, PYTHONPATH=ROOT)
    environment.pop('BLOCKS_TEST_KILL', None)
    if kill:
        environment['BLOCKS_TEST_KILL'] = '1'
    return subprocess.run(arguments, cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=600)


def comparable(log):
    rows = {time: {key: value for key, value in row.items()
                   if key not in RUN_RECORDS and not key.startswith('time_')}
            for time, row in log.items()}
    return {time: row for time, row in rows.items() if row}


def test_sigkill_and_blocks_continue_is_bit_identical(tmp_path):
    straight = str(tmp_path / 'straight.tar')
    result = run([sys.executable, '-c', RUN, straight])
    assert result.returncode == 0, result.stderr

    resumed = str(tmp_path / 'resumed.tar')
    kill_at = int(numpy.random.RandomState(2026).randint(2, 19))
    result = run([sys.executable, '-c', RUN, resumed, str(kill_at)],
                 kill=True)
    assert result.returncode == -9, result.stderr
    with open(resumed, 'rb') as f:
        assert load(f).status['iterations_done'] == kill_at - 1

    blocks_continue = shutil.which('blocks-continue',
                                   path=os.path.dirname(sys.executable))
    command = ([blocks_continue] if blocks_continue else
               [sys.executable, '-m', 'blocks.scripts.continue_training'])
    result = run(command + [resumed])
    assert result.returncode == 0, result.stderr

    with open(straight, 'rb') as f:
        expected_parameters = load_parameters(f)
        expected_loop = load(f)
    with open(resumed, 'rb') as f:
        parameters = load_parameters(f)
        resumed_loop = load(f)
    assert sorted(parameters) == sorted(expected_parameters)
    for name, value in expected_parameters.items():
        assert numpy.array_equal(parameters[name], value), name
    for expected, actual in zip(expected_loop.algorithm.step_rule_updates,
                                resumed_loop.algorithm.step_rule_updates):
        assert numpy.array_equal(expected[0].get_value(),
                                 actual[0].get_value())
    assert resumed_loop.status['iterations_done'] == 20
    assert comparable(resumed_loop.log) == comparable(expected_loop.log)
    assert resumed_loop.log[kill_at - 1].get('resumed_from') is not None
