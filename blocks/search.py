"""Beam search over the graph of a sequence generator's ``generate``."""
from collections import OrderedDict

import numpy
import pytensor
from pytensor import tensor

from blocks.bricks.sequence_generators import BaseSequenceGenerator
from blocks.utils import compile_function
from blocks.filter import VariableFilter, get_application_call, get_brick
from blocks.graph import ComputationGraph
from blocks.roles import INPUT, OUTPUT


class BeamSearch(object):
    """Approximate search for the most likely sequence.

    Beam search is an approximate algorithm for finding :math:`y^* =
    argmax_y P(y|c)`, where :math:`y` is an output sequence, :math:`c` are
    the contexts, :math:`P` is the output distribution of a
    :class:`~blocks.bricks.sequence_generators.SequenceGenerator`. At each
    step it considers :math:`k` candidate sequence prefixes. :math:`k` is
    called the beam size, and the sequence are called the beam. The
    sequences are replaced with their :math:`k` most probable
    continuations, and this is repeated until the end-of-line symbol is
    met.

    The beam search compiles quite a few PyTensor functions under the hood.
    Normally those are compiled at the first :meth:`search` call, but you
    can also explicitly call :meth:`compile`; they are reused by every
    later search.

    Parameters
    ----------
    samples : :class:`~pytensor.graph.basic.Variable`
        An output of a sampling computation graph built by
        :meth:`~blocks.brick.SequenceGenerator.generate`, the one
        corresponding to sampled sequences. Its batch size (the
        ``batch_size`` given to ``generate``) is the beam size.

    See Also
    --------
    :class:`~blocks.bricks.sequence_generators.SequenceGenerator`

    Notes
    -----
    Sequence generator should use an emitter which has `probs` method
    e.g. :class:`~blocks.bricks.sequence_generators.SoftmaxEmitter`.

    Does not support dummy contexts so far (all the contexts must be used
    in the `generate` method of the sequence generator for the current code
    to work).

    """
    def __init__(self, samples):
        # Extracting information from the sampling computation graph
        self.cg = ComputationGraph(samples)
        self.inputs = self.cg.inputs
        self.generator = get_brick(samples)
        if not isinstance(self.generator, BaseSequenceGenerator):
            raise ValueError(
                "samples must be an output of the generate method of a "
                "sequence generator, got a variable made by {!r}".format(
                    self.generator))
        self.generate_call = get_application_call(samples)
        if (not self.generate_call.application ==
                self.generator.generate):
            raise ValueError(
                "samples must be an output of {}.generate, got one of "
                "{}".format(self.generator.name,
                            self.generate_call.application))
        if not hasattr(self.generate_call, 'inner_outputs'):
            raise ValueError(
                "samples must come from generate(..., iterate=True), whose "
                "scan holds the step graph the search evaluates")
        self.inner_cg = ComputationGraph(self.generate_call.inner_outputs)

        # Fetching names from the sequence generator
        self.context_names = self.generator.generate.contexts
        self.state_names = self.generator.generate.states

        # Parsing the inner computation graph of sampling scan
        self.contexts = []
        for name in self.context_names:
            found = VariableFilter(bricks=[self.generator], name=name,
                                   roles=[INPUT])(self.inner_cg)
            if not found:
                raise ValueError(
                    "the context {!r} of {}.generate is not used in the "
                    "sampling graph; pass it to generate (beam search "
                    "needs every context)".format(name, self.generator.name))
            self.contexts.append(found[0])
        self.input_states = []
        # Includes only those state names that were actually used
        # in 'generate'
        self.input_state_names = []
        for name in self.generator.generate.states:
            var = VariableFilter(
                bricks=[self.generator], name=name,
                roles=[INPUT])(self.inner_cg)
            if var:
                self.input_state_names.append(name)
                self.input_states.append(var[0])

        self.compiled = False

    def _compile_initial_state_and_context_computer(self):
        initial_states = VariableFilter(
            applications=[self.generator.initial_states],
            roles=[OUTPUT])(self.cg)
        outputs = OrderedDict([(v.tag.name, v) for v in initial_states])
        for name, context in zip(self.context_names, self.contexts):
            # PyTensor's scan hands the step the outer non-sequences
            # themselves, so the step's contexts are computable from the
            # outer inputs
            outputs[name] = context
        self._initial_names = list(outputs)
        self.initial_state_and_context_computer = compile_function(
            self.inputs, list(outputs.values()), on_unused_input='ignore')

    def _compile_next_state_computer(self):
        next_states = [VariableFilter(bricks=[self.generator],
                                      name=name,
                                      roles=[OUTPUT])(self.inner_cg)[-1]
                       for name in self.state_names]
        next_outputs = VariableFilter(
            applications=[self.generator.readout.emit], roles=[OUTPUT])(
                self.inner_cg.variables)
        self.next_state_computer = compile_function(
            self.contexts + self.input_states + next_outputs, next_states,
            on_unused_input='ignore')

    def _compile_logprobs_computer(self):
        # This filtering should return identical variables
        # (in terms of computations) variables, and we do not care
        # which to use.
        probs = VariableFilter(
            applications=[self.generator.readout.emitter.probs],
            roles=[OUTPUT])(self.inner_cg)[0]
        logprobs = -tensor.log(probs)
        self.logprobs_computer = compile_function(
            self.contexts + self.input_states, logprobs,
            on_unused_input='ignore')

    def compile(self):
        """Compile all PyTensor functions used."""
        self._compile_initial_state_and_context_computer()
        self._compile_next_state_computer()
        self._compile_logprobs_computer()
        self.compiled = True

    def compute_initial_states_and_contexts(self, inputs):
        """Computes initial states and contexts from inputs.

        Parameters
        ----------
        inputs : dict
            Dictionary of input arrays.

        Returns
        -------
        A tuple containing a {name: :class:`numpy.ndarray`} dictionary of
        contexts ordered like `self.context_names` and a
        {name: :class:`numpy.ndarray`} dictionary of states ordered like
        `self.state_names`.

        """
        missing = [var for var in self.inputs if var not in inputs]
        if missing:
            raise ValueError(
                "input_values lacks values for the inputs {} of the sampling "
                "graph".format([var.name for var in missing]))
        values = self.initial_state_and_context_computer(
            *[inputs[var] for var in self.inputs])
        outputs = OrderedDict(zip(self._initial_names, values))
        contexts = OrderedDict((n, outputs.pop(n)) for n in self.context_names)
        # States the step does not read (e.g. the previous glimpses) may be
        # missing from the sampling graph: PyTensor drops the scan of a
        # one-step generate and with it the unused initial values
        missing = [name for name in self.input_state_names + ['outputs']
                   if name not in outputs]
        if missing:
            raise ValueError(
                "the sampling graph has no initial values for the states {} "
                "of {}.generate".format(missing, self.generator.name))
        initial_states = OrderedDict((n, outputs[n]) for n in self.state_names
                                     if n in outputs)
        return contexts, initial_states

    def compute_logprobs(self, contexts, states):
        """Compute log probabilities of all possible outputs.

        Parameters
        ----------
        contexts : dict
            A {name: :class:`numpy.ndarray`} dictionary of contexts.
        states : dict
            A {name: :class:`numpy.ndarray`} dictionary of states.

        Returns
        -------
        A :class:`numpy.ndarray` of the (beam size, number of possible
        outputs) shape: the negated log probabilities.

        """
        input_states = [states[name] for name in self.input_state_names]
        return self.logprobs_computer(*(list(contexts.values()) +
                                        input_states))

    def compute_next_states(self, contexts, states, outputs):
        """Computes next states.

        Parameters
        ----------
        contexts : dict
            A {name: :class:`numpy.ndarray`} dictionary of contexts.
        states : dict
            A {name: :class:`numpy.ndarray`} dictionary of states.
        outputs : :class:`numpy.ndarray`
            A :class:`numpy.ndarray` of this step outputs.

        Returns
        -------
        A {name: numpy.array} dictionary of next states.

        """
        input_states = [states[name] for name in self.input_state_names]
        next_values = self.next_state_computer(*(list(contexts.values()) +
                                                 input_states + [outputs]))
        return OrderedDict(zip(self.state_names, next_values))

    @staticmethod
    def _smallest(matrix, k, only_first_row=False):
        """Find k smallest elements of a matrix.

        Parameters
        ----------
        matrix : :class:`numpy.ndarray`
            The matrix.
        k : int
            The number of smallest elements required.
        only_first_row : bool, optional
            Consider only elements of the first row.

        Returns
        -------
        Tuple of ((row numbers, column numbers), values).

        """
        if only_first_row:
            flatten = matrix[:1, :].flatten()
        else:
            flatten = matrix.flatten()
        k = min(k, flatten.size)
        if k < flatten.size:
            args = numpy.argpartition(flatten, k - 1)[:k]
        else:
            args = numpy.arange(flatten.size)
        # a stable sort keeps ties in index order, which makes beam 1
        # agree with an argmax
        args = args[numpy.argsort(flatten[args], kind='stable')]
        return numpy.unravel_index(args, matrix.shape), flatten[args]

    def search(self, input_values, eol_symbol, max_length,
               ignore_first_eol=False, as_arrays=False):
        """Performs beam search.

        If the beam search was not compiled, it also compiles it.

        Parameters
        ----------
        input_values : dict
            A {:class:`~pytensor.graph.basic.Variable`:
            :class:`~numpy.ndarray`} dictionary of input values. The shapes
            should be the same as if you ran sampling with batch size equal
            to `beam_size`. Put it differently, the user is responsible
            for duplicaling inputs necessary number of times, because
            this class has insufficient information to do it properly.
        eol_symbol : int
            End of sequence symbol, the search stops when the symbol is
            generated.
        max_length : int
            Maximum sequence length, the search stops when it is reached.
        ignore_first_eol : bool, optional
            When ``True``, the end if sequence symbol generated at the
            first iteration are ignored. This useful when the sequence
            generator was trained on data with identical symbols for
            sequence start and sequence end.
        as_arrays : bool, optional
            If ``True``, the internal representation of search results
            is returned, that is a (matrix of outputs, mask,
            costs of all generated outputs) tuple.

        Returns
        -------
        outputs : list of lists of ints
            A list of the `beam_size` best sequences found in the order
            of decreasing likelihood.
        costs : list of floats
            A list of the costs for the `outputs`, where cost is the
            negative log-likelihood.

        """
        if not isinstance(max_length, (int, numpy.integer)) or max_length < 1:
            raise ValueError("max_length must be a positive integer, got "
                             "{!r}".format(max_length))
        if not self.compiled:
            self.compile()

        contexts, states = self.compute_initial_states_and_contexts(
            input_values)
        beam_size = states['outputs'].shape[0]

        # This array will store all generated outputs, including those from
        # previous step and those from already finished sequences.
        all_outputs = states['outputs'][None, :]
        all_masks = numpy.ones_like(all_outputs, dtype=pytensor.config.floatX)
        all_costs = numpy.zeros_like(all_outputs, dtype=pytensor.config.floatX)

        for i in range(max_length):
            if all_masks[-1].sum() == 0:
                break

            # The `logprobs` of finished sequences are rigged so that they
            # are continued with `eol_symbol` at no cost
            logprobs = self.compute_logprobs(contexts, states)
            next_costs = (all_costs[-1, :, None] +
                          logprobs * all_masks[-1, :, None])
            (finished,) = numpy.where(all_masks[-1] == 0)
            next_costs[finished, :eol_symbol] = numpy.inf
            next_costs[finished, eol_symbol + 1:] = numpy.inf

            # The `i == 0` is required because at the first step the beam
            # size is effectively only 1.
            (indexes, outputs), chosen_costs = self._smallest(
                next_costs, beam_size, only_first_row=i == 0)
            if len(indexes) < beam_size:
                # A beam wider than the first step's symbols: the extra
                # entries repeat the last candidate at an infinite cost, so
                # that every later step ranks them last
                pad = beam_size - len(indexes)
                indexes = numpy.concatenate([indexes, indexes[-1:].repeat(pad)])
                outputs = numpy.concatenate([outputs, outputs[-1:].repeat(pad)])
                chosen_costs = numpy.concatenate(
                    [chosen_costs, numpy.full(pad, numpy.inf,
                                              dtype=chosen_costs.dtype)])

            # Rearrange everything
            for name in states:
                states[name] = states[name][indexes]
            all_outputs = all_outputs[:, indexes]
            all_masks = all_masks[:, indexes]
            all_costs = all_costs[:, indexes]

            # Record chosen output and compute new states
            outputs = outputs.astype(all_outputs.dtype)
            states.update(self.compute_next_states(contexts, states, outputs))
            all_outputs = numpy.vstack([all_outputs, outputs[None, :]])
            all_costs = numpy.vstack([all_costs, chosen_costs[None, :]])
            mask = outputs != eol_symbol
            if ignore_first_eol and i == 0:
                mask[:] = 1
            all_masks = numpy.vstack([all_masks, mask[None, :]])

        all_outputs = all_outputs[1:]
        all_masks = all_masks[:-1]
        with numpy.errstate(invalid='ignore'):
            all_costs = all_costs[1:] - all_costs[:-1]
        result = all_outputs, all_masks, all_costs
        if as_arrays:
            return result
        return self.result_to_lists(result)

    @staticmethod
    def result_to_lists(result):
        outputs, masks, costs = [array.T for array in result]
        outputs = [[int(symbol) for symbol in output[:int(mask.sum())]]
                   for output, mask in zip(outputs, masks)]
        costs = [float(cost) for cost in costs.T.sum(axis=0)]
        return outputs, costs
