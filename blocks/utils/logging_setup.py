"""What Blocks prints through :mod:`logging` when the user configured nothing.

Blocks configures its own loggers only (the ``blocks`` hierarchy), never the
root logger and never PyTensor's: a main job shows the progress bar, the
epoch reports, warnings, and one line per compiled function
(``Compiling the training function... 4.5 s``), not PyTensor's
``INFO`` chatter nor compiler command lines.

:func:`configure_logging` is called by :meth:`blocks.main_loop.MainLoop.run`;
a script that configures logging itself (``logging.basicConfig``, handlers
on the root logger) before that is left alone.

"""
import logging
import sys
import threading

#: The logger whose ``INFO`` lines say what is compiled and how long it took.
COMPILE_LOGGER = 'blocks.compile.compilation'


class _Formatter(logging.Formatter):
    """Plain messages for ``INFO``; level and logger name for the others."""
    def format(self, record):
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            message = message + '\n' + record.exc_text
        if record.levelno == logging.INFO:
            return message
        return '{}:{}:{}'.format(record.levelname, record.name, message)


class BlocksHandler(logging.StreamHandler):
    """A stream handler that can finish a line it started.

    A record with ``blocks_line='open'`` (``Compiling the training
    function...``) is written without a line end; the next record with
    ``blocks_line='close'`` whose message continues it (``Compiling the
    training function... 4.5 s``) writes only the rest of the line. Any
    other output first ends the open line.

    Examples
    --------
    >>> import io
    >>> stream = io.StringIO()
    >>> logger = logging.getLogger('blocks.doctest_handler')
    >>> logger.addHandler(BlocksHandler(stream))
    >>> logger.setLevel(logging.INFO)
    >>> logger.propagate = False
    >>> logger.info('Compiling f...', extra={'blocks_line': 'open'})
    >>> logger.info('Compiling f... 0.1 s', extra={'blocks_line': 'close'})
    >>> print(stream.getvalue(), end='')
    Compiling f... 0.1 s

    """
    def __init__(self, stream=None):
        super().__init__(stream)
        self.setFormatter(_Formatter())
        self._open_line = None
        self._line_lock = threading.Lock()

    def emit(self, record):
        try:
            text = self.format(record)
            kind = getattr(record, 'blocks_line', None)
            with self._line_lock:
                stream = self.stream
                if (kind == 'close' and self._open_line is not None and
                        text.startswith(self._open_line)):
                    stream.write(text[len(self._open_line):] + '\n')
                    self._open_line = None
                else:
                    if self._open_line is not None:
                        stream.write('\n')
                        self._open_line = None
                    if kind == 'open':
                        stream.write(text)
                        self._open_line = text
                    else:
                        stream.write(text + '\n')
                self.flush()
        except Exception:
            self.handleError(record)


def configure_logging(level=logging.WARNING, stream=None):
    """Show Blocks' messages when nothing else was configured.

    Adds a :class:`BlocksHandler` (on `stream`, standard error by default)
    to the ``blocks`` logger, whose level becomes `level`, while the
    compile lines (the ``blocks.compile.compilation`` logger) show at
    ``INFO``. Nothing happens when the root logger or the ``blocks``
    logger already has handlers, or after the first call; levels the user
    set on these loggers are kept.

    Returns
    -------
    BlocksHandler or None
        The handler added, or ``None`` when nothing was done.

    """
    root = logging.getLogger()
    blocks_logger = logging.getLogger('blocks')
    if root.handlers or blocks_logger.handlers:
        return None
    handler = BlocksHandler(stream if stream is not None else sys.stderr)
    blocks_logger.addHandler(handler)
    if blocks_logger.level == logging.NOTSET:
        blocks_logger.setLevel(level)
    compile_logger = logging.getLogger(COMPILE_LOGGER)
    if compile_logger.level == logging.NOTSET:
        compile_logger.setLevel(logging.INFO)
    return handler
