"""Compile the C modules of a graph in parallel, into PyTensor's cache.

PyTensor compiles the C module of each operation when the C VM links a
function, one after the other: it holds its compilation lock around every
compiler call. :func:`precompile_c_modules` does that work ahead, for all
the modules a function will need at once:

1. each node's module is generated as PyTensor would (the same key and the
   same source); modules already in the cache are skipped;
2. the missing ones are compiled by as many ``g++`` processes as there are
   CPUs, each into a scratch directory, without the lock;
3. they are handed, one by one and under the lock, to PyTensor's module
   cache, which files them as if it had compiled them itself.

A later process, with or without Blocks, finds them in the cache. A
module that fails here is left to PyTensor's usual path, which compiles it
when it links the function and reports errors as it always does: quietly
for what PyTensor handles itself (an operation without C code, C code that
does not compile), with a :class:`~blocks.compile.pytensor_internals.\
FastPathWarning` (once) for anything else, such as a PyTensor internal that
changed (see :mod:`blocks.compile.pytensor_internals`).

Two things make each compilation cheaper without changing the code that
is built (so the cache keys stay PyTensor's):

* no debugging information (``-g0``; PyTensor asks for ``-g``);
* a precompiled header: every module starts with the same block of
  ``#include`` lines (``Python.h``, NumPy's headers, ...), whose parsing is
  a third of a small module's compilation. The first time a block is seen
  with enough modules to build, it is precompiled (once per compilation
  directory and compiler flags) and then given to ``g++`` with ``-include``
  for the modules that start with exactly that block. Including a header
  twice is a no-op (they are guarded), so the modules mean the same thing;
  when the precompiled header is missing or rejected, ``g++`` reads the
  header text instead.

"""
import hashlib
import importlib
import logging
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

from pytensor.configdefaults import config as pytensor_config

from blocks.compile import pytensor_internals as internals

logger = logging.getLogger(__name__)

#: Modules sharing an ``#include`` block for which its precompiled header
#: is built when it does not exist yet.
MODULES_PER_HEADER = 4


def available_cpus():
    """The number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def precompile_c_modules(nodes, workers=None, warm_up_cvm=False):
    """Put the C modules of `nodes` in PyTensor's cache, compiling in parallel.

    Parameters
    ----------
    nodes : iterable of :class:`~pytensor.graph.basic.Apply`
        The nodes whose single-node C modules the C VM will need.
    workers : int, optional
        How many compiler processes run at once; by default, one per CPU.
    warm_up_cvm : bool, optional
        Also import the C VM's own module (compiling it on a cold cache)
        alongside.

    Returns
    -------
    int
        How many modules were compiled and added to the cache.

    Examples
    --------
    >>> from pytensor import tensor
    >>> x = tensor.matrix('x')
    >>> y = tensor.exp(x).sum(axis=0)
    >>> nodes = y.owner.inputs[0].owner, y.owner
    >>> precompile_c_modules(nodes) >= 0
    True
    >>> precompile_c_modules(nodes)  # all in the cache now
    0

    """
    cache = internals.get_module_cache()
    jobs = {}
    for node in nodes:
        job = _ModuleJob.for_node(node, cache)
        if job is not None:
            jobs.setdefault(job.module_hash, job)
    if not jobs:
        return 0
    jobs = list(jobs.values())
    headers = _PrecompiledHeaders(jobs)
    if workers is None:
        workers = available_cpus()
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        if warm_up_cvm:
            pool.submit(_import_cvm)
        headers.build_missing(pool)
        built = [job for job, ok in zip(
            jobs, pool.map(lambda job: job.build(headers), jobs)) if ok]
    added = 0
    for job in built:
        added += job.add_to(cache)
    return added


def _import_cvm():
    """Import the C VM, which compiles its module on a cold cache."""
    try:
        importlib.import_module('pytensor.link.c.cvm')
    except Exception:  # PyTensor reports it when it needs the module
        logger.debug("Could not import the C VM", exc_info=True)


class _ModuleJob(object):
    """The C module of one node: generated, built in a scratch directory,
    then moved into PyTensor's cache."""
    def __init__(self, linker, key, source, module_hash):
        self.linker = linker
        self.key = key
        self.source = source
        self.module_hash = module_hash
        self.scratch = None
        self.settings = internals.c_module_build_settings(linker)
        self.include_dirs = self.settings['all_include_dirs']
        # compile_str puts "-g" before these: the last one wins.
        self.flags = self.settings['flags'] + ['-g0', '-fvisibility=hidden']
        lines = source.splitlines(True)
        count = next((i for i, line in enumerate(lines)
                      if not line.startswith('#include')), len(lines))
        self.include_block = ''.join(lines[:count])
        # What a precompiled header for this module must match.
        signature = '\n'.join([self.include_block, pytensor_config.cxx] +
                              self.flags + self.include_dirs)
        self.header_id = hashlib.sha256(signature.encode()).hexdigest()[:32]

    @classmethod
    def for_node(cls, node, cache):
        """The job for `node`, or ``None`` when there is nothing to build."""
        if not internals.is_c_op(node.op):
            return None
        if any(getattr(variable.type, 'dtype', None) == 'float16'
               for variable in node.inputs + node.outputs):
            return None  # PyTensor runs float16 in Python
        try:
            linker, key = internals.c_module_key(node)
            if internals.module_known(cache, key):
                return None
            source = internals.c_module_source(linker)
            module_hash = internals.get_module_hash(source, key)
            if internals.module_known(cache, key, module_hash):
                return None
            return cls(linker, key, source, module_hash)
        except internals.no_c_code_errors():
            return None  # no C code: the VM uses the Python one
        except Exception as error:
            internals.warn_once(
                "Blocks could not generate the C module of {} ahead of "
                "linking".format(type(node.op).__name__), error)
            return None

    def build(self, headers):
        """Compile into a scratch directory; whether it worked."""
        self.scratch = tempfile.mkdtemp(prefix='blocks-cmodule-')
        settings = self.settings
        flags = self.flags + headers.include_flags(self)
        try:
            settings['compiler'].compile_str(
                module_name=settings['module_name'],
                src_code=self.source, location=self.scratch,
                include_dirs=settings['include_dirs'],
                lib_dirs=settings['lib_dirs'], libs=settings['libs'],
                preargs=flags, py_module=False)
        except internals.compile_errors():
            # PyTensor compiles it again when linking, and reports the error.
            logger.debug("Parallel compilation failed; PyTensor will "
                         "compile the module itself", exc_info=True)
            self.discard()
            return False
        except Exception as error:
            internals.warn_once("Blocks could not compile C modules in "
                                "parallel", error)
            self.discard()
            return False
        return True

    def add_to(self, cache):
        """Hand the built module to `cache`; whether it was added.

        A failure leaves the module to PyTensor, which compiles it itself
        when it links the function.

        """
        try:
            compiled_before = internals.compiled_module_count(cache)
            internals.file_module(cache, self.key, self)
            return internals.compiled_module_count(cache) - compiled_before
        except Exception as error:
            internals.warn_once("Blocks could not file a C module it "
                                "compiled into PyTensor's cache", error)
            return 0
        finally:
            self.discard()

    def discard(self):
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    # The two methods PyTensor's ModuleCache.module_from_key asks of a linker.

    def get_src_code(self):
        return self.source

    def compile_cmodule(self, location):
        for name in os.listdir(self.scratch):
            shutil.move(os.path.join(self.scratch, name), location)
        library = self.settings['module_name']
        names = [name for name in os.listdir(location)
                 if name.startswith(library + '.')]
        return internals.dlimport(os.path.join(location, names[0]))


class _PrecompiledHeaders(object):
    """The precompiled ``#include`` blocks of a batch of module jobs.

    Kept in ``<compiledir>/blocks_headers/<id>/``, one directory per
    include block, compiler and flags.

    """
    def __init__(self, jobs):
        self.root = os.path.join(pytensor_config.compiledir,
                                 'blocks_headers')
        self.jobs_by_header = {}
        for job in jobs:
            self.jobs_by_header.setdefault(job.header_id, []).append(job)
        self.pending = {}

    def paths(self, header_id):
        directory = os.path.join(self.root, header_id)
        header = os.path.join(directory, 'blocks_modules.h')
        return directory, header, header + '.gch'

    def build_missing(self, pool):
        """Start building the headers worth building, in `pool`."""
        for header_id, jobs in self.jobs_by_header.items():
            if (len(jobs) >= MODULES_PER_HEADER and
                    not os.path.exists(self.paths(header_id)[2])):
                self.pending[header_id] = pool.submit(self._build, jobs[0])

    def include_flags(self, job):
        """The flags that make `job` use its precompiled header, if ready."""
        header_id = job.header_id
        pending = self.pending.get(header_id)
        if pending is not None and not pending.done():
            return []
        _, header, compiled = self.paths(header_id)
        if not os.path.exists(compiled):
            return []
        return ['-include', header]

    def _build(self, job):
        directory, header, compiled = self.paths(job.header_id)
        try:
            os.makedirs(directory, exist_ok=True)
            _write_atomically(header, job.include_block.encode())
            scratch = compiled + '.{}.tmp'.format(os.getpid())
            command = ([pytensor_config.cxx, '-x', 'c++-header'] +
                       job.flags +
                       ['-I' + include_dir for include_dir in job.include_dirs] +
                       ['-o', scratch, header])
            subprocess.run(command, check=True, capture_output=True)
            os.replace(scratch, compiled)
        except (OSError, subprocess.CalledProcessError):
            logger.debug("Could not precompile the header %s", header,
                         exc_info=True)


def _write_atomically(path, content):
    scratch = '{}.{}.tmp'.format(path, os.getpid())
    with open(scratch, 'wb') as file_:
        file_.write(content)
    os.replace(scratch, path)
