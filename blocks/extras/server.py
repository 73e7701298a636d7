"""The plot server: a Bokeh server in a process of its own.

:class:`~blocks.extras.extensions.plot.Plot` runs this module as a child
process (``python -m blocks.extras.server``) and writes it one JSON line
``[iteration, {channel: value}]`` per call to its standard input. The
server keeps every point it received; each browser page that connects is
drawn from all of them and then streams the new ones, so a page opened
late, reloaded or closed changes nothing for training. The server stops at
the end of its input: when the extension closes it or the training process
is gone.

A child started with :mod:`subprocess` rather than :mod:`multiprocessing`
does not import the training script again, so scripts need no
``if __name__ == '__main__'`` guard.

"""
import argparse
import json
import queue as queue_module
import sys
import threading

#: How often (milliseconds) the server reads the queue, and how often each
#: page asks for new points.
DRAIN_PERIOD = 100
PAGE_PERIOD = 250


def serve(messages, title, channels, port, address='127.0.0.1'):
    """Serve live plots of `channels` on `port` until told to stop.

    Parameters
    ----------
    messages : :class:`queue.Queue`
        Receives ``(iteration, points)`` pairs, ``points`` a dictionary of
        channel values; ``None`` stops the server.
    title : str
        The title of the page.
    channels : list of tuples of str
        One group of channels per figure.
    port : int
        The port to listen on.
    address : str
        The address to listen on (the loopback interface by default).

    """
    from bokeh.application import Application
    from bokeh.application.handlers.function import FunctionHandler
    from bokeh.server.server import Server
    from tornado.ioloop import PeriodicCallback

    from blocks.extras.plotting import make_figures

    store = {channel: ([], []) for group in channels for channel in group}

    def drain():
        while True:
            try:
                message = messages.get_nowait()
            except queue_module.Empty:
                return
            if message is None:
                server.io_loop.stop()
                return
            iteration, points = message
            for channel, value in points.items():
                if channel in store:
                    store[channel][0].append(iteration)
                    store[channel][1].append(value)

    def make_document(document):
        layout, sources = make_figures(title, channels, store)
        shown = [len(store[channel][0]) for channel, _ in sources]

        def update():
            for index, (channel, source) in enumerate(sources):
                iterations, values = store[channel]
                if len(iterations) > shown[index]:
                    source.stream({'iterations': iterations[shown[index]:],
                                   'value': values[shown[index]:]})
                    shown[index] = len(iterations)

        document.title = title
        document.add_root(layout)
        document.add_periodic_callback(update, PAGE_PERIOD)

    origins = ['localhost:{}'.format(port), '127.0.0.1:{}'.format(port),
               '{}:{}'.format(address, port)]
    server = Server({'/': Application(FunctionHandler(make_document))},
                    port=port, address=address,
                    allow_websocket_origin=origins)
    server.start()
    PeriodicCallback(drain, DRAIN_PERIOD).start()
    server.io_loop.start()
    server.stop()


def read_messages(lines, messages):
    """Put each JSON line of `lines` on `messages`, then ``None``."""
    for line in lines:
        line = line.strip()
        if line:
            iteration, points = json.loads(line)
            messages.put((iteration, points))
    messages.put(None)


def main(argv=None):
    """Serve the plots whose points arrive on standard input."""
    parser = argparse.ArgumentParser(prog='python -m blocks.extras.server')
    parser.add_argument('--title', required=True)
    parser.add_argument('--channels', required=True,
                        help="JSON: a list of lists of channel names")
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--address', default='127.0.0.1')
    args = parser.parse_args(argv)
    channels = [tuple(group) for group in json.loads(args.channels)]
    messages = queue_module.Queue()
    threading.Thread(target=read_messages, args=(sys.stdin, messages),
                     daemon=True).start()
    serve(messages, args.title, channels, args.port, args.address)


if __name__ == '__main__':
    main()
