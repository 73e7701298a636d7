"""A light-weight hierarchical profiler for the main loop."""
import sys
import time
from collections import defaultdict


class Profile:
    """A profile of hierarchical sections.

    Attributes
    ----------
    total : dict
        A dictionary of total times, keyed by tuples of section names from
        the outermost to the innermost section (``('training', 'epoch',
        'train')``).
    current : list
        The sections entered but not left yet.
    order : dict
        The order in which sections were first entered, for the report.

    Examples
    --------
    >>> profile = Profile()
    >>> with Timer('training', profile):
    ...     with Timer('epoch', profile):
    ...         pass
    >>> sorted(profile.total)
    [('training',), ('training', 'epoch')]

    """
    def __init__(self):
        self.total = defaultdict(int)
        self.current = []
        self.order = {}

    def enter(self, name):
        self.current.append(name)
        # We record the order in which sections were first called
        self.order.setdefault(tuple(self.current), len(self.order))

    def exit(self, t):
        self.total[tuple(self.current)] += t
        self.current.pop()

    def report(self, f=sys.stderr):
        """Print a report of timing information to standard output.

        Parameters
        ----------
        f : object, optional
            An object with a ``write`` method that accepts string inputs.
            Can be a file object, ``sys.stdout``, etc. Defaults to
            ``sys.stderr``.

        """
        total = sum(v for k, v in self.total.items() if len(k) == 1)

        def print_report(keys, level=0):
            subtotal = 0
            for key in keys:
                if len(key) > level + 1:
                    continue
                subtotal += self.total[key]
                section = ' '.join(key[-1].split('_'))
                section = section[0].upper() + section[1:]
                print('{:30}{:15.2f}{:15.2%}'.format(
                    level * '  ' + section, self.total[key],
                    self.total[key] / total
                ), file=f)
                children = [k for k in keys
                            if k[level] == key[level] and
                            len(k) > level + 1]
                child_total = print_report(children, level + 1)
                if children:
                    print('{:30}{:15.2f}{:15.2%}'.format(
                        (level + 1) * '  ' + 'Other',
                        self.total[key] - child_total,
                        (self.total[key] - child_total) / total
                    ), file=f)
            return subtotal

        print('{:30}{:>15}{:>15}'.format('Section', 'Time', '% of total'),
              file=f)
        print('-' * 60, file=f)
        if total:
            print_report(sorted(self.total.keys(),
                                key=self.order.__getitem__))
        else:
            print('No profile information collected.', file=f)


class Timer:
    """A context manager to time the execution of a section of code.

    Parameters
    ----------
    name : str
        The name of this section. Expected to adhere to variable naming
        styles.
    profile : :class:`Profile`
        The profile of the main loop. This is the object this context
        manager will report the execution time to. The accumulation and
        processing of timing information is handled by this object.

    Notes
    -----
    Timings are reported using :func:`time.perf_counter`.

    """
    def __init__(self, name, profile):
        self.name = name
        self.profile = profile

    def __enter__(self):
        self.profile.enter(self.name)
        self.start = time.perf_counter()

    def __exit__(self, *args):
        self.profile.exit(time.perf_counter() - self.start)
