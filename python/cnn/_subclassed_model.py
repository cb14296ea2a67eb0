"""SubclassedModel: the base a user's `class MyModel(cnn.Model)` trains through.

When a class subclasses cnn.Model directly, `SubclassAPI.__init_subclass__` puts SubclassedModel in
place of Model among its bases (MyModel -> SubclassedModel -> GraphTraining -> Model): the traced
`call` is then fitted, evaluated and predicted as a Graph, exactly as a functional model is
(several inputs and outputs, merges, losses and metrics per output), and `isinstance(m, cnn.Model)`
still holds. What differs from a functional model: the Graph exists only once `call` was traced (on
first build, fit, evaluate or predict), so `compile` waits for it.
"""
import numpy as np

from cnn._graph_model import GraphTraining
from cnn.models import Model


class SubclassedModel(GraphTraining, Model):
    _subclass_mode = True
    _pending_compile = None

    def __call__(self, *args, **kwargs):
        return Model.__call__(self, *args, **kwargs)   # eager on arrays (or recorded on symbolic tensors)

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                **kwargs):
        """As Keras's compile. Before `call` was traced, the optimizer is set at once and the losses and
        metrics per output are resolved when the model is built (their output names come from it)."""
        args = dict(optimizer=optimizer, loss=loss, loss_weights=loss_weights, metrics=metrics,
                    weighted_metrics=weighted_metrics, **kwargs)
        if self._traced is not None:
            self._pending_compile = None
            return GraphTraining.compile(self, **args)
        from cnn import optimizers
        if optimizer is None:
            raise ValueError("compile() needs an optimizer, e.g. optimizer='adam'; got None")
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='mse' (training without a loss is not supported)")
        args["optimizer"] = optimizers.get(optimizer)
        self.optimizer = args["optimizer"]
        self._pending_compile = args
        self.compiled = True

    @property
    def output_names(self):
        """Keras's output names (of the traced call's output layers, or its dict's keys)."""
        return self._graph().output_names

    def _after_trace(self):
        if self._pending_compile is not None:
            args, self._pending_compile = self._pending_compile, None
            GraphTraining.compile(self, **args)

    def _features(self, x, name="x"):
        if self._traced is None:
            self._set_build_shape(_data_shape(x))
            self._trace()
        return GraphTraining._features(self, x, name)

    # ------------------------------------------------------------------ a call that branches on training
    def _get_plan(self, batch_max):
        """The training plan; when `call` branches on `training`, evaluation (evaluate, test_on_batch,
        validation in fit) runs another plan, of the graph traced for inference, on the same weights."""
        from cnn._subclass import graph_mode
        train = self._plans.get("train", batch_max, lambda: _in_mode(graph_mode, "train", self._describe_training),
                                self._new_training_plan)
        if not self._modes_differ():
            return train
        evaluation = self._plans.get("evaluate", batch_max, self._describe_training, self._new_training_plan)
        return _SplitPlan(train, evaluation)

    def _modes_differ(self):
        from cnn._subclass import graph_mode

        def layout(graph):
            return [(id(node.layer), node.sources) for node in graph.nodes], graph.outputs
        with graph_mode("train"):
            train = layout(self._graph())
        return train != layout(self._graph())

    def _targets(self, xa, y, name="y"):
        if self._pending_compile is not None:
            self._trace()
        return GraphTraining._targets(self, xa, y, name)


def _data_shape(x):
    """The input shape structure of data: one array, a list/tuple of arrays or a dict of them."""
    if isinstance(x, dict):
        return {k: _data_shape(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(hasattr(v, "shape") for v in x):
        return [_data_shape(v) for v in x]
    shape = np.shape(x)
    if len(shape) < 1:
        raise ValueError(f"x must be an array of samples (batch axis first), got shape {shape}")
    return (None,) + tuple(shape[1:]) if len(shape) > 1 else (None, 1)


def _in_mode(graph_mode, mode, describe):
    with graph_mode(mode):
        return describe()


class _SplitPlan:
    """A training plan whose `evaluate` runs another plan (the inference graph's)."""

    def __init__(self, train, evaluation):
        self._train, self._evaluation = train, evaluation

    def evaluate(self, *args, **kwargs):
        return self._evaluation.evaluate(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._train, name)
