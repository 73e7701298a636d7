"""Fixtures of the Fuel tests.

Every Fuel test runs with ``FUEL_DATA_PATH`` pointing at a temporary
directory, so that the user's data path (``~/.local/share/fuel``) is never
touched; ``mnist.hdf5`` is built there once per session from the files that
Fuel ships.
"""
import os

import numpy
import pytest


@pytest.fixture(scope='session', autouse=True)
def fuel_data_path(tmp_path_factory):
    """A session-wide temporary data path."""
    path = tmp_path_factory.mktemp('fuel_data')
    saved = os.environ.get('FUEL_DATA_PATH')
    os.environ['FUEL_DATA_PATH'] = str(path)
    yield path
    if saved is None:
        os.environ.pop('FUEL_DATA_PATH', None)
    else:
        os.environ['FUEL_DATA_PATH'] = saved


@pytest.fixture(scope='session')
def mnist_train(fuel_data_path):
    from fuel.datasets import MNIST
    return MNIST(('train',))


@pytest.fixture(scope='session')
def mnist_test(fuel_data_path):
    from fuel.datasets import MNIST
    return MNIST(('test',))


@pytest.fixture
def rng():
    return numpy.random.default_rng(1234)


class LocalMirror:
    """A web server on 127.0.0.1 that answers for every remote host.

    While the fixture is active, ``urllib`` sends each ``http``/``https``
    request to this server instead of the internet (an opener whose handler
    rewrites the host), with the URL asked for in an ``X-Original-URL``
    header. ``files`` maps URL paths (with their query) to the bytes served;
    ``requests`` lists the ``(method, original URL)`` of every request.
    """
    def __init__(self):
        import http.server
        import threading
        mirror = self
        self.files = {}
        self.headers = {}
        self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, body):
                original = self.headers.get('X-Original-URL', self.path)
                mirror.requests.append((self.command, original))
                content = mirror.files.get(self.path)
                if content is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Length', str(len(content)))
                for key, value in mirror.headers.get(self.path, {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if body:
                    self.wfile.write(content)

            def do_GET(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={'poll_interval': 0.01},
                                       daemon=True)
        self.thread.start()

    def serve(self, url, content, headers=None):
        """Serve ``content`` for ``url`` (its path and query are what count)."""
        import urllib.parse
        parsed = urllib.parse.urlparse(url)
        path = parsed.path + ('?' + parsed.query if parsed.query else '')
        self.files[path] = content
        if headers:
            self.headers[path] = headers

    def requested(self, method='GET'):
        return [url for verb, url in self.requests if verb == method]

    def opener(self):
        import urllib.request
        port = self.port

        class ToMirror(urllib.request.BaseHandler):
            handler_order = 100

            def _open(self, request):
                if request.host.split(':')[0] == '127.0.0.1':
                    return None
                import urllib.parse
                parsed = urllib.parse.urlparse(request.full_url)
                local = 'http://127.0.0.1:{}{}{}'.format(
                    port, parsed.path, '?' + parsed.query if parsed.query else '')
                redirected = urllib.request.Request(
                    local, method=request.get_method(),
                    headers={'X-Original-URL': request.full_url})
                return self.parent.open(redirected, timeout=request.timeout)

            http_open = https_open = _open

        return urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                           ToMirror())

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def mirror(monkeypatch):
    """A :class:`LocalMirror` that every download goes to."""
    import urllib.request

    import fuel.downloaders.base
    local = LocalMirror()
    monkeypatch.setattr(urllib.request, '_opener', local.opener())
    # HTTP goes through requests when it is installed; send it to urllib here.
    monkeypatch.setattr(fuel.downloaders.base, 'requests', None)
    yield local
    local.close()
