"""Training algorithms: gradient descent and its composable step rules."""
from blocks.algorithms.gradient_descent import (  # noqa: F401 (messages)
    determinism_error, GradientDescent, source_missing_error,
    TrainingAlgorithm, UpdatesAlgorithm, variable_mismatch_error)
from blocks.algorithms.step_rules import (
    AdaDelta, AdaGrad, Adam, BasicMomentum, BasicRMSProp, CompositeRule,
    Momentum, RemoveNotFinite, Restrict, RMSProp, Scale, StepClipping,
    StepRule, VariableClipping)

__all__ = ['TrainingAlgorithm', 'UpdatesAlgorithm', 'GradientDescent',
           'StepRule', 'CompositeRule', 'Scale', 'BasicMomentum', 'Momentum',
           'AdaDelta', 'BasicRMSProp', 'RMSProp', 'StepClipping',
           'VariableClipping', 'AdaGrad', 'Adam', 'RemoveNotFinite',
           'Restrict']
