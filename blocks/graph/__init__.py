"""Annotated computation graphs and the transformations applied to them."""
from blocks.graph.annotations import add_annotation, Annotation
from blocks.graph.base import ComputationGraph

__all__ = ['add_annotation', 'Annotation', 'ComputationGraph']
