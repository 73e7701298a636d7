"""Live plotting: the Plot extension, its server, and ``blocks-plot``."""
import os
import pickle
import shutil
import socket
import threading
import time

import numpy
import pytest
import pytensor
from numpy.testing import assert_allclose
from pytensor import tensor

from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter, SimpleExtension
from blocks.extensions.monitoring import TrainingDataMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.extras.extensions.plot import Plot, _free_port
from blocks.extras.plotting import check_channels, log_series, plottable
from blocks.extras.scripts.plot import main as blocks_plot, read_log
from blocks.log import TrainingLog
from blocks.log.sqlite import SQLiteLog
from blocks.main_loop import MainLoop
from fuel.datasets import IterableDataset
from fuel.streams import DataStream

pytest.importorskip('bokeh')

CHANNELS = [['cost'], ['a']]


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Hold(SimpleExtension):
    """Holds training after a batch until `release` is set."""
    def __init__(self, after_batches, release, **kwargs):
        kwargs.setdefault('after_batch', True)
        super().__init__(**kwargs)
        self.after_batches = after_batches
        self.release = release

    def do(self, which_callback, *args):
        if self.main_loop.log.status['iterations_done'] == self.after_batches:
            assert self.release.wait(120), 'the test never released training'


def exponent_main_loop(plot, examples=20, extensions=()):
    """The seeds' example: fit f(x) = x ** a to f(x) = x ** 2."""
    a = pytensor.shared(numpy.asarray(3., dtype=pytensor.config.floatX),
                        name='a')
    x = tensor.scalar('data')
    cost = abs(x ** 2 - x ** a)
    cost.name = 'cost'
    data = numpy.random.RandomState(1).rand(examples).astype(
        pytensor.config.floatX)
    return MainLoop(
        model=None, data_stream=DataStream(IterableDataset(data)),
        algorithm=GradientDescent(cost=cost, parameters=[a],
                                  step_rule=Scale(learning_rate=0.1)),
        extensions=[FinishAfter(after_n_epochs=1),
                    TrainingDataMonitoring([cost, a], after_batch=True),
                    plot] + list(extensions))


def served_points(url, timeout=60):
    """The points each source of the served document holds."""
    from bokeh.client import pull_session
    deadline = time.time() + timeout
    while True:
        try:
            with pull_session(url=url) as session:
                return {source.name: (list(source.data['iterations']),
                                      list(source.data['value']))
                        for source in session.document.select(
                            {'type': _column_data_source()})}
        except (OSError, IOError):
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def _column_data_source():
    from bokeh.models import ColumnDataSource
    return ColumnDataSource


def wait_for(condition, timeout=60, message='condition'):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError('timed out waiting for ' + message)
        time.sleep(0.5)


def test_channels_must_be_lists_of_names():
    assert check_channels([['cost', 'a'], ('b',)]) == [('cost', 'a'), ('b',)]
    with pytest.raises(TypeError, match=r"list of lists .*\[\['cost'\]"):
        Plot('doc', channels=['cost'])
    with pytest.raises(TypeError, match='list of lists'):
        Plot('doc', channels=[['cost', 3]])
    with pytest.raises(ValueError, match='empty group'):
        Plot('doc', channels=[['cost'], []])
    with pytest.raises(ValueError, match='channels is empty'):
        Plot('doc', channels=[])
    with pytest.raises(TypeError, match='document must be a string'):
        Plot(None, channels=CHANNELS)
    with pytest.raises(ValueError, match="server_url must look like"):
        Plot('doc', channels=CHANNELS, server_url='ftp://host:21')


def test_plottable_values_and_series_of_an_sqlite_log(tmp_path):
    assert plottable(numpy.array(2, dtype='int8')) == 2.0
    assert plottable(numpy.zeros(3)) is None
    assert plottable(None) is None
    assert numpy.isnan(plottable(float('nan')))
    log = SQLiteLog(str(tmp_path / 'log.sqlite'))
    for iteration in range(4):
        log.current_row['cost'] = numpy.float32(1. / 2 ** iteration)
        if iteration % 2:
            log.current_row['a'] = iteration
        log.status['iterations_done'] += 1
    assert log_series(log, ['cost', 'a', 'b']) == {
        'cost': ([0, 1, 2, 3], [1.0, 0.5, 0.25, 0.125]),
        'a': ([1, 3], [1.0, 3.0]), 'b': ([], [])}


def test_a_taken_port_moves_to_the_next_free_one():
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert _free_port('localhost', port) != port


def test_plot_serves_every_logged_point_and_pickles_without_its_server():
    port = free_port()
    plot = Plot('Plotting example', channels=CHANNELS, after_batch=True,
                server_url='http://localhost:{}'.format(port))
    main_loop = exponent_main_loop(plot)
    try:
        main_loop.run()
        assert plot.url == 'http://localhost:{}/'.format(port)
        expected = log_series(main_loop.log, ['cost', 'a'])
        assert len(expected['cost'][0]) == 20
        wait_for(lambda: len(served_points(plot.url)['channel:cost'][0])
                 == 20, message='the server to receive 20 points')
        served = served_points(plot.url)
        for channel in ('cost', 'a'):
            iterations, values = served['channel:' + channel]
            assert iterations == expected[channel][0]
            assert_allclose(values, expected[channel][1])
        copy = pickle.loads(pickle.dumps(main_loop))
        plot_copy = [extension for extension in copy.extensions
                     if isinstance(extension, Plot)][0]
        assert plot_copy._process is None and plot_copy.url is None
        assert plot_copy.channels == plot.channels
    finally:
        plot.close()
    assert plot._process is None


def test_a_resumed_plot_shows_the_whole_log():
    port = free_port()
    plot = Plot('resumed', channels=[['cost', 'a']],
                server_url='localhost:{}'.format(port))
    main_loop = exponent_main_loop(plot)
    main_loop.log[0]['cost'] = 5.0
    main_loop.log[3].update({'cost': 4.0, 'a': 2.5})
    main_loop.log.status['iterations_done'] = 7
    main_loop.log.current_row['cost'] = 3.0
    plot.main_loop = main_loop
    try:
        plot.do('after_batch')
        wait_for(lambda: len(served_points(plot.url)['channel:cost'][0]) == 3,
                 message='the history to be plotted')
        served = served_points(plot.url)
        assert served['channel:cost'] == ([0, 3, 7], [5.0, 4.0, 3.0])
        assert served['channel:a'] == ([3], [2.5])
    finally:
        plot.close()


def test_training_goes_on_when_the_server_is_gone():
    plot = Plot('gone', channels=CHANNELS, after_batch=True,
                server_url='localhost:{}'.format(free_port()))
    main_loop = exponent_main_loop(plot)
    plot.main_loop = main_loop
    plot.do('before_first_epoch')
    plot._process.kill()
    plot._process.wait()
    main_loop.run()
    assert main_loop.log.status['iterations_done'] == 20
    plot.close()


def test_blocks_plot_renders_a_checkpoint_and_a_database(tmp_path, capsys):
    checkpoint = str(tmp_path / 'run.tar')
    plot = Plot('doc', channels=CHANNELS,
                server_url='localhost:{}'.format(free_port()))
    main_loop = exponent_main_loop(
        plot, extensions=[Checkpoint(checkpoint, after_training=True)])
    try:
        main_loop.run()
    finally:
        plot.close()
    assert read_log(checkpoint).status['iterations_done'] == 20
    page = str(tmp_path / 'plot.html')
    blocks_plot([checkpoint, '-c', 'cost', '-c', 'a', '-o', page])
    html = open(page, encoding='utf-8').read()
    assert 'channel:cost' in html and 'channel:a' in html
    assert 'cdn.bokeh.org' not in html  # readable offline

    database = str(tmp_path / 'log.sqlite')
    log = SQLiteLog(database)
    log.current_row['cost'] = 0.5
    blocks_plot([database, '-c', 'cost', '-o', page])
    assert 'channel:cost' in open(page, encoding='utf-8').read()
    with pytest.raises(SystemExit):
        blocks_plot([database, '-c', 'cost', '--experiment', 'f' * 32])
    assert 'holds no log with the UUID' in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match='no log at'):
        read_log(str(tmp_path / 'missing.tar'))
    (tmp_path / 'text.txt').write_text('not a log')
    with pytest.raises(ValueError, match='neither a checkpoint'):
        read_log(str(tmp_path / 'text.txt'))


@pytest.mark.skipif(shutil.which('chromium') is None,
                    reason='needs Chromium (apt-get install chromium)')
def test_blocks_plot_writes_a_png(tmp_path):
    log = TrainingLog()
    for iteration in range(10):
        log[iteration]['cost'] = 1. / (iteration + 1)
    from blocks.extras.scripts.plot import render_html, render_png
    page, picture = str(tmp_path / 'p.html'), str(tmp_path / 'p.png')
    render_html(log, [['cost']], page)
    render_png(page, picture, height=400)
    with open(picture, 'rb') as file:
        assert file.read(8) == b'\x89PNG\r\n\x1a\n'


def browser():
    """Headless Chromium driven by Selenium, or skip."""
    webdriver = pytest.importorskip('selenium.webdriver')
    if shutil.which('chromedriver') is None or shutil.which('chromium') is None:
        pytest.skip('needs chromium and chromium-driver')
    options = webdriver.ChromeOptions()
    for argument in ('--headless', '--no-sandbox', '--disable-gpu',
                     '--window-size=800,800'):
        options.add_argument(argument)
    options.binary_location = shutil.which('chromium')
    service = webdriver.ChromeService(executable_path=shutil.which(
        'chromedriver'))
    return webdriver.Chrome(options=options, service=service)


BROWSER_POINTS = """
const documents = window.Bokeh ? Bokeh.documents : [];
if (!documents.length) { return null; }
const source = documents[0].get_model_by_name(arguments[0]);
if (!source) { return null; }
const data = source.data;
const column = (name) => Array.from(
    data instanceof Map ? data.get(name) : data[name]);
return [column('iterations'), column('value')];
"""


def test_live_plot_in_a_real_browser(tmp_path):
    driver = browser()
    port = free_port()
    plot = Plot('Live test', channels=CHANNELS, after_batch=True,
                server_url='http://localhost:{}'.format(port))
    release = threading.Event()
    main_loop = exponent_main_loop(plot, examples=30,
                                   extensions=[Hold(10, release)])
    training = threading.Thread(target=main_loop.run)
    try:
        training.start()
        wait_for(lambda: plot.url is not None, message='the server to start')
        # The page is opened while training runs: the curves must grow.
        deadline = time.time() + 60
        while True:
            try:
                driver.get(plot.url)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

        def points(channel):
            return driver.execute_script(BROWSER_POINTS, 'channel:' + channel)

        # Training holds at iteration 10 until the page shows those points.
        wait_for(lambda: points('cost') is not None and
                 len(points('cost')[0]) == 10, message='the first 10 points')
        release.set()
        training.join(120)
        assert not training.is_alive()
        expected = log_series(main_loop.log, ['cost', 'a'])
        wait_for(lambda: len(points('cost')[0]) == 30 and
                 len(points('a')[0]) == 30, message='all 30 points')
        for channel in ('cost', 'a'):
            iterations, values = points(channel)
            assert iterations == expected[channel][0]
            assert_allclose(values, expected[channel][1])
        screenshot = os.path.join(
            os.environ.get('BLOCKS_SCREENSHOT_DIR', str(tmp_path)),
            'live_plot.png')
        assert driver.save_screenshot(screenshot)
        assert os.path.getsize(screenshot) > 1000
    finally:
        release.set()
        driver.quit()
        training.join(120)
        plot.close()
