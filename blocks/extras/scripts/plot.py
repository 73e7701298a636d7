"""``blocks-plot``: render the log of a finished run to HTML (and PNG).

For runs that were not watched live: reads the training log from a
checkpoint (``Checkpoint``'s tar file) or from an SQLite log database and
writes a self-contained HTML page with the same figures the
:class:`~blocks.extras.extensions.plot.Plot` extension shows, and, with
``--png``, a picture of it taken by headless Chromium.

Examples
--------
::

    blocks-plot checkpoint.tar -c cost -c a -o plot.html
    blocks-plot log.sqlite -c train_cost,test_cost --png plot.png

"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile

from blocks.extras.plotting import check_channels, log_series, make_figures

SQLITE_HEADER = b'SQLite format 3\x00'

#: Chromium's executable names, tried in order for ``--png``.
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome')


def read_log(path, experiment=None):
    """The training log saved at `path`.

    Parameters
    ----------
    path : str
        A checkpoint (tar file written by ``Checkpoint``) or an SQLite
        database written by :class:`~blocks.log.sqlite.SQLiteLog`.
    experiment : str, optional
        For a database, the hexadecimal UUID of the log to read; the most
        recently written log by default.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If `path` is neither a checkpoint nor an SQLite database, or the
        database holds no log (or none with the UUID `experiment`).

    Notes
    -----
    Reading a checkpoint unpickles its main loop, which runs code chosen
    by whoever wrote the file: only read checkpoints you trust. SQLite
    databases are read without unpickling anything but the record values
    that were stored pickled.

    """
    if not os.path.exists(path):
        raise FileNotFoundError("no log at {!r}".format(path))
    with open(path, 'rb') as file:
        header = file.read(len(SQLITE_HEADER))
    if header == SQLITE_HEADER:
        return _read_sqlite_log(path, experiment)
    if tarfile.is_tarfile(path):
        from blocks.serialization import load
        with open(path, 'rb') as file:
            main_loop = load(file)
        return main_loop.log
    raise ValueError("{!r} is neither a checkpoint (a tar file) nor an SQLite "
                     "log database".format(path))


def _read_sqlite_log(path, experiment):
    from blocks.log.sqlite import SQLiteLog
    connection = sqlite3.connect(path)
    try:
        if experiment is None:
            row = connection.execute(
                'SELECT uuid FROM status ORDER BY rowid DESC LIMIT 1'
            ).fetchone()
            if row is None:
                raise ValueError("the database {!r} holds no training "
                                 "log".format(path))
            experiment = row[0]
        elif connection.execute('SELECT 1 FROM status WHERE uuid = ?',
                                (experiment,)).fetchone() is None:
            raise ValueError("the database {!r} holds no log with the UUID "
                             "{!r}".format(path, experiment))
    finally:
        connection.close()
    return SQLiteLog(path, uuid=experiment)


def render_html(log, channels, output, title='Training log'):
    """Write a self-contained HTML page plotting `channels` of `log`.

    The page embeds BokehJS, so it opens without a network connection.

    Examples
    --------
    >>> import os, tempfile
    >>> from blocks.log import TrainingLog
    >>> log = TrainingLog()
    >>> for iteration in range(3):
    ...     log[iteration]['cost'] = 1.0 / (iteration + 1)
    >>> page = os.path.join(tempfile.mkdtemp(), 'plot.html')
    >>> render_html(log, [['cost']], page)
    >>> 'channel:cost' in open(page).read()
    True

    """
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    channels = check_channels(channels)
    series = log_series(log, [channel for group in channels
                              for channel in group])
    layout, _ = make_figures(title, channels, series)
    with open(output, 'w', encoding='utf-8') as file:
        file.write(file_html(layout, INLINE, title))


def render_png(html, output, width=760, height=None, browser=None):
    """Take a picture of the page `html` with headless Chromium.

    Raises
    ------
    RuntimeError
        If no Chromium executable is found, or it fails.

    """
    browser = browser or next(filter(None, map(shutil.which,
                                               CHROMIUM_NAMES)), None)
    if browser is None:
        raise RuntimeError(
            "--png needs Chromium (on Debian: apt-get install chromium); "
            "none of {} is on the PATH".format(', '.join(CHROMIUM_NAMES)))
    with tempfile.TemporaryDirectory() as profile:
        command = [browser, '--headless', '--no-sandbox', '--disable-gpu',
                   '--hide-scrollbars', '--user-data-dir=' + profile,
                   '--virtual-time-budget=5000',
                   '--window-size={},{}'.format(width, height or 1000),
                   '--screenshot=' + os.path.abspath(output),
                   'file://' + os.path.abspath(html)]
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=120)
    if result.returncode != 0 or not os.path.exists(output):
        raise RuntimeError("{} could not take the picture ({}): {}".format(
            browser, result.returncode, result.stderr.strip()[-500:]))


def main(argv=None):
    """Run ``blocks-plot``."""
    parser = argparse.ArgumentParser(
        prog='blocks-plot',
        description="Render the training log of a checkpoint or SQLite "
                    "database to an HTML page (and a PNG picture).")
    parser.add_argument('log', help="a checkpoint (tar file) or an SQLite log "
                                    "database; a checkpoint is unpickled: "
                                    "only read files you trust")
    parser.add_argument('-c', '--channels', action='append', required=True,
                        metavar='NAME[,NAME...]',
                        help="log records drawn in one figure; repeat for "
                             "more figures")
    parser.add_argument('-o', '--output', default='plot.html',
                        help="the HTML page to write (default: plot.html)")
    parser.add_argument('--png', metavar='FILE',
                        help="also write a picture of the page (needs "
                             "Chromium)")
    parser.add_argument('--experiment', metavar='UUID',
                        help="the log to read from a database (default: the "
                             "most recent one)")
    parser.add_argument('--title', default=None,
                        help="the page title (default: the log's path)")
    args = parser.parse_args(argv)
    channels = [[name for name in group.split(',') if name]
                for group in args.channels]
    try:
        log = read_log(args.log, args.experiment)
        render_html(log, channels, args.output, args.title or args.log)
        if args.png:
            render_png(args.output, args.png,
                       height=120 + 320 * len(channels))
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        parser.exit(1, 'blocks-plot: error: {}\n'.format(error))
    print(args.output if not args.png else
          '{} {}'.format(args.output, args.png))


if __name__ == '__main__':
    sys.exit(main())
