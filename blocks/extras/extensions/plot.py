"""Live plotting of log records in the browser with Bokeh."""
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import webbrowser
from urllib.parse import urlsplit

import blocks

from blocks.extensions import SimpleExtension
from blocks.extras.plotting import check_channels, row_points

logger = logging.getLogger(__name__)

#: Where the plots are served unless ``server_url`` says otherwise.
DEFAULT_SERVER_URL = 'http://localhost:5006'

#: How many ports after the requested one are tried when it is taken.
PORT_ATTEMPTS = 20


class Plot(SimpleExtension):
    r"""Plot log records live in the browser while training runs.

    The extension serves a page with one figure per group of channels,
    the iterations on the horizontal axis, and sends the records of the
    log to it each time it is called. Open the printed address (by default
    http://localhost:5006) to watch the curves grow; reloading the page or
    opening it late shows the whole run so far.

    Parameters
    ----------
    document : str
        The title of the page (in Theano-era Blocks, the name of the
        document on the Bokeh server).
    channels : list of lists of str
        The log records to plot, one inner list per figure: ``[['cost'],
        ['a']]`` draws two figures, ``[['cost', 'a']]`` one figure with
        two lines. Records that are not real scalars are skipped.
    open_browser : bool, optional
        Open the page in the default web browser when the server starts.
        ``False`` by default.
    start_server : bool, optional
        Accepted for compatibility and ignored: the extension always
        serves its plots itself (see the notes).
    server_url : str, optional
        The address to serve on, ``http://localhost:5006`` by default. If
        the port is taken (another run is plotting), the next free one is
        used and logged.
    \*\*kwargs
        Passed to :class:`.SimpleExtension`; by default the extension runs
        ``before_first_epoch`` and ``after_epoch`` (pass ``after_batch=True``
        for a point per batch).

    Notes
    -----
    Theano-era Blocks pushed the plots to a separately started
    ``bokeh-server``, which Bokeh no longer has. Here the extension starts
    a Bokeh 3 server in a child process of its own on the first call, on
    the loopback interface. Training never waits for it: points are put on
    a queue that the server reads, so a slow, closed or absent browser
    costs the main loop nothing, and a crash of the server does not stop
    training. The server lives as long as the training process (or until
    :meth:`close`); ``blocks-plot`` renders a finished run's log to a
    static page.

    The extension pickles with the main loop without its server; a resumed
    run starts a new one and plots the whole log, from the first
    iteration.

    Examples
    --------
    >>> plot = Plot('Plotting example', channels=[['cost'], ['a']],
    ...             after_batch=True)
    >>> plot.channels
    [('cost',), ('a',)]

    """
    def __init__(self, document, channels, open_browser=False,
                 start_server=False, server_url=None, **kwargs):
        if not isinstance(document, str):
            raise TypeError("document must be a string (the title of the "
                            "page), got {!r}".format(document))
        self.document = document
        self.channels = check_channels(channels)
        self.open_browser = open_browser
        self.start_server = start_server
        self.server_url = DEFAULT_SERVER_URL if server_url is None \
            else server_url
        self._host, self._port = _parse_server_url(self.server_url)
        self._process = self._outbox = self._feeder = None
        self._sent = (None, set())
        self.url = None
        kwargs.setdefault('before_first_epoch', True)
        kwargs.setdefault('after_epoch', True)
        super().__init__(**kwargs)

    @property
    def _all_channels(self):
        return [channel for group in self.channels for channel in group]

    def do(self, which_callback, *args):
        if self._process is None:
            self._start()
        elif self._process.poll() is not None:
            return
        log = self.main_loop.log
        iteration = log.status['iterations_done']
        # Called twice at one iteration (after a batch and after the epoch),
        # send only the records that are new.
        if self._sent[0] != iteration:
            self._sent = (iteration, set())
        points = {channel: value for channel, value in row_points(
            log.current_row, self._all_channels).items()
            if channel not in self._sent[1]}
        if points:
            self._sent[1].update(points)
            self._outbox.put((iteration, points))

    def _start(self):
        port = _free_port(self._host, self._port)
        # A plain child process (not multiprocessing, which would import
        # the training script again in the child) that reads the points
        # from its standard input; a thread feeds it, so that a stuck
        # server cannot block training.
        environment = dict(os.environ)
        package_root = os.path.dirname(os.path.dirname(blocks.__file__))
        environment['PYTHONPATH'] = os.pathsep.join(
            filter(None, [package_root, environment.get('PYTHONPATH')]))
        self._process = subprocess.Popen(
            [sys.executable, '-m', 'blocks.extras.server',
             '--title', self.document, '--channels', json.dumps(self.channels),
             '--port', str(port), '--address', _listen_address(self._host)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            env=environment, text=True)
        self._outbox = queue.Queue()
        self._feeder = threading.Thread(
            target=_feed, args=(self._outbox, self._process.stdin),
            name='blocks-plot-feeder', daemon=True)
        self._feeder.start()
        self.url = 'http://{}:{}/'.format(self._host, port)
        logger.info("Plot %r: %s", self.document, self.url)
        # Everything logged before this call, e.g. after a resumption; the
        # current row is sent by the caller.
        log = self.main_loop.log
        for time in sorted(log):
            if time < log.status['iterations_done']:
                points = row_points(log[time], self._all_channels)
                if points:
                    self._outbox.put((time, points))
        if self.open_browser:
            webbrowser.open(self.url)

    def close(self, timeout=5):
        """Stop the plot server, if it runs."""
        if self._process is None:
            return
        self._outbox.put(None)
        self._feeder.join(timeout)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout)
        self._process = self._outbox = self._feeder = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state.update(_process=None, _outbox=None, _feeder=None, url=None,
                     _sent=(None, set()))
        return state


def _feed(outbox, stream):
    """Write the points put on `outbox` to the server, one JSON line each.

    ``None`` closes the stream, which stops the server.

    """
    while True:
        message = outbox.get()
        try:
            if message is None:
                stream.close()
                return
            stream.write(json.dumps(message) + '\n')
            stream.flush()
        except (OSError, ValueError):
            # The server is gone: training goes on without it.
            return


def _parse_server_url(server_url):
    parts = urlsplit(server_url if '//' in server_url
                     else '//' + server_url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or (parts.scheme not in ('', 'http')):
        raise ValueError("server_url must look like 'http://localhost:5006', "
                         "got {!r}".format(server_url))
    return parts.hostname, 5006 if port is None else port


def _listen_address(host):
    return '127.0.0.1' if host == 'localhost' else host


def _free_port(host, port):
    """`port`, or the next free one when another process listens on it."""
    address = _listen_address(host)
    for candidate in range(port, port + PORT_ATTEMPTS):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, candidate))
            except OSError:
                continue
        if candidate != port:
            logger.warning("port %d is taken; plotting on port %d", port,
                           candidate)
        return candidate
    raise OSError("no free port to plot on among {}-{} of {}".format(
        port, port + PORT_ATTEMPTS - 1, host))
