"""Annotated computation graphs and the transformations applied to them."""
from blocks.graph.annotations import add_annotation, Annotation
from blocks.graph.base import ComputationGraph
from blocks.graph.bn import (apply_batch_normalization, batch_normalization,
                             get_batch_normalization_updates)
from blocks.graph.transforms import (apply_dropout, apply_noise,
                                     collect_parameters)

__all__ = ['add_annotation', 'Annotation', 'ComputationGraph',
           'apply_dropout', 'apply_noise', 'collect_parameters',
           'apply_batch_normalization', 'batch_normalization',
           'get_batch_normalization_updates']
