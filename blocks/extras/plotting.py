"""Log records as plot series, and the Bokeh figures that show them.

Both the live :class:`~blocks.extras.extensions.plot.Plot` extension and
the ``blocks-plot`` command draw through :func:`make_figures`, so a page
rendered after training looks like the one watched during it: one figure
per group of channels, iterations on the horizontal axis.

"""
import numpy

#: Colours of the lines within one figure (Bokeh's ``Category10``).
PALETTE = ('#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
           '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf')


def check_channels(channels):
    """Validate and normalize the ``channels`` argument of the plotters.

    Parameters
    ----------
    channels : list of lists of str
        One inner list of log record names per figure.

    Returns
    -------
    list of tuples of str

    Raises
    ------
    TypeError
        If `channels` is not a list of lists of strings.
    ValueError
        If `channels` or one of its groups is empty.

    Examples
    --------
    >>> check_channels([['cost'], ['a', 'b']])
    [('cost',), ('a', 'b')]
    >>> check_channels(['cost'])
    Traceback (most recent call last):
      ...
    TypeError: channels must be a list of lists of log record names, ...

    """
    if isinstance(channels, str) or not hasattr(channels, '__iter__'):
        raise TypeError(
            "channels must be a list of lists of log record names, one list "
            "per figure (for example [['cost'], ['a']]); got {!r}".format(
                channels))
    groups = []
    for group in channels:
        if isinstance(group, str) or not hasattr(group, '__iter__') or not all(
                isinstance(channel, str) for channel in group):
            raise TypeError(
                "channels must be a list of lists of log record names, one "
                "list per figure (for example [['cost'], ['a']]); got "
                "{!r}".format(channels))
        group = tuple(group)
        if not group:
            raise ValueError("channels has an empty group: {!r}; each figure "
                             "needs at least one channel".format(channels))
        groups.append(group)
    if not groups:
        raise ValueError("channels is empty: give at least one group of log "
                         "record names, for example [['cost']]")
    return groups


def plottable(value):
    """The log value as a float, or ``None`` if it is not a real scalar.

    Examples
    --------
    >>> plottable(numpy.float32(0.5)), plottable(3), plottable('text')
    (0.5, 3.0, None)
    >>> plottable(numpy.ones(2)) is None
    True

    """
    try:
        array = numpy.asarray(value)
    except Exception:
        return None
    if array.shape != () or array.dtype.kind not in 'biuf':
        return None
    return float(array)


def row_points(row, channels):
    """The plottable values of `channels` in one log row."""
    points = {}
    for channel in channels:
        if channel in row:
            value = plottable(row[channel])
            if value is not None:
                points[channel] = value
    return points


def log_series(log, channels):
    """Every plottable value of `channels` in a training log.

    Parameters
    ----------
    log : :class:`~blocks.log.log.TrainingLogBase`
        An in-memory or SQLite training log.
    channels : iterable of str
        The record names.

    Returns
    -------
    dict
        Maps each channel to a pair of lists ``(iterations, values)``, in
        the order of the iterations (empty lists for a channel never
        logged).

    Examples
    --------
    >>> from blocks.log import TrainingLog
    >>> log = TrainingLog()
    >>> log[0]['cost'] = 2.0
    >>> log[5].update({'cost': 1.5, 'note': 'text'})
    >>> log_series(log, ['cost', 'accuracy'])
    {'cost': ([0, 5], [2.0, 1.5]), 'accuracy': ([], [])}

    """
    series = {channel: ([], []) for channel in channels}
    for time in sorted(log):
        for channel, value in row_points(log[time], series).items():
            iterations, values = series[channel]
            iterations.append(time)
            values.append(value)
    return series


def make_figures(title, channels, series, width=700, height=300):
    """Bokeh figures for groups of channels, one figure per group.

    Parameters
    ----------
    title : str
        The title of the page; each figure is titled by its channels.
    channels : list of tuples of str
        As returned by :func:`check_channels`.
    series : dict
        Maps channels to ``(iterations, values)``, as returned by
        :func:`log_series`; missing channels start empty.
    width, height : int
        The size of each figure in pixels.

    Returns
    -------
    layout : Bokeh layout
        A column of the figures, below a title.
    sources : list of (str, ColumnDataSource)
        The data source of each line with its channel, in the order of
        `channels`. Each source has the columns ``iterations`` and
        ``value`` and is named ``channel:NAME`` (``channel:NAME:K`` for
        the K-th repetition of a channel shown in several figures), which
        is how a browser test finds it.

    """
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, Div
    from bokeh.plotting import figure

    sources = []
    names = set()
    figures = [Div(text='<h2>{}</h2>'.format(_escape(title)))]
    for group in channels:
        plot = figure(title=', '.join(group), width=width, height=height,
                      x_axis_label='iterations', tools='pan,wheel_zoom,'
                      'box_zoom,reset,save,hover')
        for index, channel in enumerate(group):
            iterations, values = series.get(channel, ([], []))
            name = 'channel:{}'.format(channel)
            repeat = 1
            while name in names:
                name = 'channel:{}:{}'.format(channel, repeat)
                repeat += 1
            names.add(name)
            source = ColumnDataSource(
                {'iterations': list(iterations), 'value': list(values)},
                name=name)
            color = PALETTE[index % len(PALETTE)]
            plot.line('iterations', 'value', source=source, color=color,
                      legend_label=channel, line_width=2)
            plot.scatter('iterations', 'value', source=source, color=color,
                         size=4)
            sources.append((channel, source))
        plot.legend.location = 'top_right'
        figures.append(plot)
    return column(*figures), sources


def _escape(text):
    return (str(text).replace('&', '&amp;').replace('<', '&lt;')
            .replace('>', '&gt;'))
