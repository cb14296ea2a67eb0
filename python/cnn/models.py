"""cnn.Model (the base: weights, compile, plans, saving) and cnn.Sequential (the chain special case).
The functional model is cnn._functional.Functional; training lives in trainer.py."""
import warnings

import numpy as np

from cnn import _core
from cnn._plan import PlanCache
from cnn._subclass import SubclassAPI
from cnn.layers.base import Layer, _unique_name
from cnn.layers.core import InputLayer
from cnn.trainer import Trainer, _locked
from cnn.variables import assign_all

_warned_input_shape = [False]



class Model(SubclassAPI, Trainer, Layer):
    """A model: layers, their weights, compile, fit, evaluate, predict and save (`keras.Model`).

    `cnn.Model(inputs, outputs)` builds a functional model from symbolic tensors: `cnn.Input(...)` and
    what layers return when called on them (see `cnn._functional.Functional`). `cnn.Sequential` is the
    special case of a chain. A model is also a layer: it can be called on symbolic tensors (or be a
    layer of a Sequential) inside another model, sharing its weights.

    Args:
        inputs: the model's input tensor(s): one, a list, or a dict by name.
        outputs: the model's output tensor(s): one, a list, or a dict by name.
        name: the model's name (default "functional", numbered).
        trainable: whether `fit` may update the weights.

    Example:

    >>> import cnn
    >>> inputs = cnn.Input(shape=(4,))
    >>> hidden = cnn.layers.Dense(8, activation="relu")(inputs)
    >>> model = cnn.Model(inputs, cnn.layers.Dense(3)(hidden))
    >>> model.output_shape
    (None, 3)
    """

    # __setattr__ is SubclassAPI's: not Watched (as Layer is), models invalidate their plans themselves
    _subclass_mode = True              # a user's subclass (cnn._subclass); Sequential and Functional are not
    name = None                        # a plain attribute, not Layer's property
    _input_shape_arg = None

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):   # keras.Model(inputs, outputs)
            from cnn._functional import Functional
            cls = Functional
        instance = object.__new__(cls)
        if cls._subclass_mode and cls is not Model:   # a user subclass: its default config (Keras's rule)
            from cnn._subclass import capture_config
            capture_config(instance, cls, args, kwargs)
        return instance

    def __init__(self, *args, trainable=True, name=None, dtype=None, **kwargs):
        if args:
            raise TypeError(f"Model() got unexpected arguments {args}: give inputs and outputs, as "
                            "cnn.Model(inputs, outputs), or subclass cnn.Model")
        self._init_subclassed(name, trainable, dtype, kwargs)

    def _init_model(self, name, trainable):
        """The state every model has: name, weights buffer, compile state, plans."""
        self.name = name

        self._plans = PlanCache()
        self._input = None
        self._layers = []
        self.built = False
        self.compiled = False
        self.optimizer = self.loss = None
        self._compile_args = None
        self._metric_specs = []
        self._weighted_specs = []
        self._metric_objects = None     # resolved against the targets' shape on first use
        self._metrics_key = None
        self._loss_obj = None
        self._ema = None
        self._warned_step = False
        self.stop_training = False
        self.history = None
        self._params = np.zeros(0, np.float32)
        self._layout = ()
        self._offsets = {}
        self._n_trainable = 0
        self._slots = None
        self._slots_layout = None
        self._trainable = bool(trainable)

    # ------------------------------------------------------------------ as a layer of another model
    @property
    def layers(self):
        if self._subclass_mode:
            self._refresh_layers()
        return list(self._layers)

    @property
    def _variables(self):
        """Every variable of the model's layers, each once (a nested model is a layer of its parent)."""
        seen, out = set(), []
        for layer in self._layers:
            for v in layer._variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    def _build_for(self, input_shape):
        """Used as a layer: builds (an unbuilt Sequential) for input_shape and returns the output shape."""
        input_shape = tuple(input_shape)
        if not self.built:
            self.build(input_shape)
        if tuple(self.input_shape)[1:] != input_shape[1:]:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape='
                             f"{tuple(self.input_shape)}, found shape={input_shape}")
        return self.output_shape

    def compute_output_shape(self, input_shape):
        return self._build_for(input_shape)

    def __call__(self, inputs, training=None, **kwargs):
        """On symbolic tensors: records the model as a layer of a bigger model (its weights shared).
        On arrays: `model(x)`, the outputs as one batch (see Trainer.__call__)."""
        from cnn import _symbolic
        if _symbolic.is_symbolic(inputs):
            if kwargs:
                raise TypeError(f"Model() call got unexpected keyword arguments: {sorted(kwargs)}")
            return _symbolic.call(self, inputs, {} if training is None else {"training": training})
        if self._subclass_mode:   # a subclassed model runs its call eagerly, each layer on its kernels
            from cnn._subclass import eager_call
            return eager_call(self, inputs, training, **kwargs)
        return Trainer.__call__(self, inputs, training=False if training is None else training, **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its get_config() dict: Keras's functional config (layers, input_layers,
        output_layers) rebuilds a functional model."""
        if isinstance(config, dict) and "input_layers" in config and "output_layers" in config:
            from cnn.saving.functional import functional_from_config
            return functional_from_config(config, custom_objects, cls=None if cls is Model else cls)
        return cls(**config)

    def _saving_layers(self):
        """The layers Keras's saver walks (a functional model lists its InputLayers too)."""
        return self._layers

    def _saved_variables(self):
        return []   # a nested model's variables are saved under its layers' groups

    def _plan_layers(self):
        """The layers the C plan runs, in order: nested models inlined (cnn._graph.Graph's nodes)."""
        return [node.layer for node in self._graph().nodes]


    def _pack_weights(self):
        """One flat float32 buffer: every trainable weight first (the optimizer's range), then the rest.
        Layer weights become views into it, so a training step is one pass over memory."""
        variables = self._variables
        trainable = [v for v in variables if v.trainable and self._trainable]
        frozen = [v for v in variables if not (v.trainable and self._trainable)]
        layout = tuple((id(v), v.shape) for v in trainable + frozen)
        if layout == self._layout and all(v._value.base is self._params for v in variables):
            return
        total = sum(int(np.prod(v.shape)) for v in variables)
        params = np.zeros(total, np.float32)
        offset = 0
        self._offsets = {}
        for v in trainable + frozen:
            size = int(np.prod(v.shape))
            v._rebind(params[offset:offset + size].reshape(v.shape))
            self._offsets[id(v)] = offset
            offset += size
        self._params = params
        self._layout = layout
        self._n_trainable = sum(int(np.prod(v.shape)) for v in trainable)
        self._plans.invalidate()

    # ------------------------------------------------------------------ weights
    def _require_built(self, what):
        if not self.built:
            raise ValueError(f"This model has not yet been built, so {what} is not available. Build it by "
                             "calling model.build((None, n_features)), by starting it with cnn.Input(shape=...), "
                             "or by calling fit/predict on data.")

    @property
    def optimizer(self):
        return self._optimizer

    @optimizer.setter
    def optimizer(self, value):
        self._optimizer = value
        self._plans.invalidate()  # the plan holds the optimizer's record

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self._plans.invalidate()
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self):
        return _unique(v for layer in self._layers for v in layer.weights)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return _unique(v for layer in self._layers for v in layer.trainable_weights)

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        return _unique(v for layer in self._layers for v in layer.non_trainable_weights)

    @property
    def variables(self):
        return self.weights

    @_locked  # a whole snapshot: never half of a step another thread is running
    def get_weights(self):
        return [v.numpy() for v in self.weights]

    @_locked
    def set_weights(self, weights):
        self._require_built("set_weights")
        assign_all(self.weights, weights, f"model '{self.name}'")

    def count_params(self):
        self._require_built("count_params()")
        return int(sum(np.prod(v.shape) for v in self.weights))

    def get_layer(self, name=None, index=None):
        """Returns a layer by its name or its position in `model.layers` (Keras's errors otherwise).

        Args:
            name: the layer's name.
            index: its position (negative counts from the end).
        """
        layers = self.layers     # Keras's list: a functional model's InputLayers count too
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise TypeError(f"index must be an integer, got {index!r}")
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(layers)} layers.")
            return layers[index]
        if name is None:
            raise ValueError("Provide either a layer name or layer index at `get_layer`.")
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}.")

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configures the model for training: its optimizer, loss and metrics.

        Compiling again replaces all three (and the optimizer's state); the weights stay.

        Args:
            optimizer: a name ("adam", "sgd", "rmsprop", ...) or a `cnn.optimizers` instance.
            loss: a name ("mse", "sparse_categorical_crossentropy", "crossentropy", ...) or a
                `cnn.losses` instance. Required.
            loss_weights: only `None` or 1 (a Sequential model has one output).
            metrics: a list of names ("accuracy", "mae", ...) or `cnn.metrics` instances.
                "accuracy" picks binary, categorical or sparse accuracy from the targets' shape,
                as Keras does.
            weighted_metrics: metrics that take `sample_weight` / `class_weight` into account (those in
                `metrics` do not), as in Keras; a name already taken logs as "weighted_<name>".
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: accepted for Keras
                compatibility; they change nothing here.

        Example:

        >>> import cnn
        >>> model = cnn.Sequential([cnn.Input(shape=(4,)), cnn.layers.Dense(3, activation="softmax")])
        >>> model.compile(optimizer=cnn.optimizers.Adam(learning_rate=1e-3),
        ...               loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> model.metrics_names
        ['loss', 'accuracy']
        """
        from cnn import losses, optimizers
        if optimizer is None:
            raise ValueError("compile() needs an optimizer, e.g. optimizer='adam'; got None")
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='mse' (training without a loss is not supported)")
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(f"Expected `metrics` argument to be a list, tuple, or dict. Received: metrics={metrics!r}")
        if isinstance(metrics, dict):
            metrics = list(metrics.values())
        if weighted_metrics is not None and not isinstance(weighted_metrics, (list, tuple, dict)):
            raise ValueError("Expected `weighted_metrics` argument to be a list, tuple, or dict. Received: "
                             f"weighted_metrics={weighted_metrics!r}")
        if isinstance(weighted_metrics, dict):
            weighted_metrics = list(weighted_metrics.values())
        if loss_weights not in (None, 1, 1.0):
            raise ValueError("loss_weights only makes sense for models with several outputs")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        if not isinstance(self.loss, losses.AutoCrossentropy):
            resolved = self._check_loss(losses.resolve(loss))
            if resolved.c_record() is None and self.built and isinstance(self.output_shape, tuple):
                # a NumPy function: say so before fit (several outputs: checked per output at fit)
                from cnn import _hooks
                _hooks.check_loss(resolved, self.output_shape[-1])
        self._metric_specs = list(metrics or [])
        self._weighted_specs = list(weighted_metrics or [])
        for m in self._metric_specs + self._weighted_specs:  # fail early on unknown names
            if not (isinstance(m, str) and m.lower() in ("accuracy", "acc")):
                from cnn import metrics as metrics_module
                metrics_module.get(m).c_records()
        self._compile_args = {"optimizer": optimizer, "loss": loss, "metrics": metrics,
                              "weighted_metrics": weighted_metrics}
        self.compiled = True
        self._metric_objects = None
        self._metrics_key = None
        self._plans.invalidate()
        self._slots = None
        self._slots_layout = None

    @property
    def metrics_names(self):
        names = ["loss"]
        if self._metric_objects:
            names += self._metric_keys
        elif self.compiled:
            from cnn import metrics as metrics_module
            specs = self._metric_specs + self._weighted_specs
            named = [m if not isinstance(m, str) else metrics_module.Mean(name=m) for m in specs]
            names += metrics_module.result_keys(named, [False] * len(self._metric_specs)
                                                + [True] * len(self._weighted_specs))
        return names

    # ------------------------------------------------------------------ the C plan
    @staticmethod
    def _check_loss(loss_obj):
        if loss_obj.reduction not in ("sum_over_batch_size", "mean"):
            raise ValueError(f"training supports the default reduction 'sum_over_batch_size', got "
                             f"{loss_obj.reduction!r}")
        return loss_obj

    def _resolve_loss(self, y_shape):
        """The loss object, resolving 'crossentropy' by shape as Keras does."""
        from cnn import losses
        return self._check_loss(losses.resolve(self._compile_args["loss"], y_shape, self.output_shape))

    def _broadcasts(self):
        """Element-wise losses broadcast one target per sample over the outputs; crossentropy does not."""
        from cnn.losses import LossKind
        return (self._loss_obj.c_record() or {"kind": "python"})["kind"] not in (LossKind.CCE, LossKind.SCCE)

    def _is_sparse(self):
        """True when the targets are class ids (sparse categorical crossentropy); "values" when a loss
        written in Python gets one target per sample for a multi-column output (class ids for a student's
        own sparse crossentropy, given to it as the user passed them); False for one row per output."""
        from cnn.losses import LossKind
        kind = (self._loss_obj.c_record() or {"kind": "python"})["kind"]
        if kind == LossKind.SCCE:
            return True
        tail, out = getattr(self, "_target_tail", None), self.output_shape
        one_per_sample = tail in ((), (1,)) and len(out) == 2 and out[-1] > 1
        return "values" if kind == "python" and one_per_sample else False

    def _prepare_compiled(self, y_shape, with_metrics=True):
        """Resolves loss and metrics against the target shape (Keras chooses 'accuracy' by shape)."""
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")
        y_key = (len(y_shape), y_shape[-1] if len(y_shape) > 1 else 1)
        self._target_tail = tuple(y_shape[1:])   # what a loss or metric written in Python receives
        if self._metrics_key == y_key and self._metric_objects is not None:
            return
        from cnn import metrics as metrics_module
        self._loss_obj = self._resolve_loss(y_shape)
        if not with_metrics:
            return
        specs = self._metric_specs + self._weighted_specs
        objs = [metrics_module.get(m, y_shape, self.output_shape) for m in specs]
        weighted = [False] * len(self._metric_specs) + [True] * len(self._weighted_specs)
        sparse = bool(self._is_sparse())
        for m in objs:  # the targets are either class ids or one row per output: metrics must agree
            if m._sparse != sparse and not any(r.get("kind") == "python" for r in m.c_records()):
                raise ValueError(f"metric '{m.name}' cannot be computed with the loss "
                                 f"{type(self._loss_obj).__name__}: " + ("with integer class labels use "
                                 "'accuracy' or 'sparse_categorical_accuracy'" if sparse else
                                 "'sparse_categorical_accuracy' needs integer labels and a sparse loss"))
        self._metric_objects = objs
        self._metric_weighted = weighted
        self._metric_keys = metrics_module.result_keys(objs, weighted)
        self._metrics_key = y_key
        self._plans.invalidate()

    def _get_plan(self, batch_max):
        """The C plan for training and evaluation (cached, see cnn/_plan.py); hold self._plans.lock."""
        return self._plans.get("train", batch_max, self._describe_training, self._new_training_plan)

    def _describe_training(self):
        """The training plan's inputs as the core takes them, and a key that changes when they do."""
        self._pack_weights()
        opt_rec = self.optimizer._c_record()
        descs = [layer._c_layer(self._offsets) for layer in self._plan_layers()]
        if self._slots is None or self._slots_layout != (self._layout, opt_rec):
            size = _core.opt_slot_count(opt_rec) * self._n_trainable + _core.opt_state_count(opt_rec)
            self._slots = np.zeros(max(size, 1), np.float32)
            _core.opt_init_slots(opt_rec, self._slots, self._n_trainable)
            self._slots_layout = (self._layout, opt_rec)
        from cnn import _hooks  # the parts written in Python run through a host the plan calls
        host, loss_rec, metric_recs = _hooks.training_host(self, opt_rec)
        records = (descs, loss_rec, metric_recs, opt_rec)
        options = {**self._clipping(), **self._ema_args(), "host": host}
        # buffers by identity (the cached plan holds them, so an id is not reused while it lives);
        # the layer descriptions carry the dropout seeds too, so set_random_seed takes effect
        key = (repr(records), tuple((k, id(v) if isinstance(v, np.ndarray) else v) for k, v in options.items()
                                    if k != "host"), host.key() if host is not None else None,
               id(self._params), id(self._slots))
        return key, (records, options)

    def _new_training_plan(self, described, batch_max):
        (descs, loss_rec, metric_recs, opt_rec), options = described
        return _core.Plan(descs, loss_rec, metric_recs, opt_rec, self._params, self._n_trainable, self._slots,
                          int(batch_max), **options)

    def _ema_args(self):
        """Keras's use_ema: a moving average of the trainable weights, swapped in at the end of fit."""
        opt = self.optimizer
        if not getattr(opt, "use_ema", False):
            self._ema = None
            return {}
        if self._ema is None or len(self._ema) != max(self._n_trainable, 1):
            self._ema = np.zeros(max(self._n_trainable, 1), np.float32)
        return {"ema": self._ema, "ema_momentum": float(opt.ema_momentum),
                "ema_overwrite_frequency": int(opt.ema_overwrite_frequency or 0)}

    def _finalize_ema(self):
        if getattr(self.optimizer, "use_ema", False) and self._ema is not None \
                and self.optimizer.iterations > 0:
            self._params[:self._n_trainable] = self._ema[:self._n_trainable]

    def _clipping(self):
        opt = self.optimizer
        return {name: float(getattr(opt, name, None) or 0.0) for name in ("clipnorm", "clipvalue", "global_clipnorm")}

    def _inference_plan(self, batch_max):
        """The C plan for predict (cached, see cnn/_plan.py); hold self._plans.lock."""
        return self._plans.get("predict", batch_max, self._describe_inference, self._new_inference_plan)

    def _describe_inference(self):
        self._pack_weights()
        layers = self._plan_layers()
        descs = [layer._c_layer(self._offsets) for layer in layers]
        from cnn import _hooks
        host = _hooks.layers_host(layers)
        return (repr(descs), id(self._params), host.key() if host is not None else None), (descs, host)

    def _new_inference_plan(self, described, batch_max):
        """No loss needed, so a placeholder MSE and SGD (never stepped)."""
        descs, host = described
        return _core.Plan(descs, {"kind": "mse"}, [], {"kind": "sgd"}, self._params, 0,
                          np.zeros(1, np.float32), int(batch_max), host=host)

    @property
    def _plan(self):
        return None

    @_plan.setter
    def _plan(self, value):
        """saving.py says `model._plan = None` when it replaced the optimizer slots: rebuild."""
        if value is None:
            self._plans.invalidate()

    # ------------------------------------------------------------------ display
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints a table of the layers, their output shapes and parameter counts (Keras 3's layout).

        Args:
            line_length: total width of the table (default 88, less on a narrow terminal, as Keras).
            print_fn: called with the table's text instead of printing it.
            positions: the columns' right edges as fractions of line_length (Keras's default
                [0.45, 0.80, 1.0]).
            expand_nested: also list the layers of nested models, indented ("└ "), as Keras.
            show_trainable: add Keras's "Trainable" column (Y, N, or - for a layer without weights).
            layer_range: two name patterns (regular expressions): list only the layers from the first
                match of one to the last match of the other, as Keras.

        Returns:
            None.
        """
        from cnn._functional_summary import layer_bounds, nested_rows, trainable_mark
        from cnn.summary import print_summary
        rows = []
        first, last = layer_bounds(self._layers, layer_range)
        for layer in self._layers[first:last]:
            built = layer.built and self.built
            row = (layer.name, type(layer).__name__, layer.output_shape if built else None,
                   layer.count_params() if built else None)
            rows.append(row + ((trainable_mark(layer),) if show_trainable else ()))
            if expand_nested and built:
                rows += nested_rows(layer, 1, False, set(), show_trainable)
        if self.built:
            trainable = int(sum(np.prod(v.shape) for v in self.trainable_weights))
            frozen = int(sum(np.prod(v.shape) for v in self.non_trainable_weights))
        else:
            trainable = frozen = 0
        opt_count = None
        if self.compiled and self._slots is not None and self.optimizer is not None:
            opt_count = int(_core.opt_slot_count(self.optimizer._c_record())
                            * self._n_trainable) + 2
        print_summary(self.name, rows, trainable, frozen, optimizer_count=opt_count, line_length=line_length,
                      print_fn=print_fn, positions=positions, show_trainable=show_trainable)

    def to_json(self, **kwargs):
        """Returns the model's configuration as a JSON string, in Keras 3's layout.

        `cnn.models.model_from_json` (or Keras's) rebuilds the model from it, with new weights.

        Args:
            **kwargs: passed to `json.dumps` (e.g. `indent=2`).
        """
        import json

        from cnn import saving
        from cnn.saving._common import _json_default
        kwargs.setdefault("default", _json_default)
        return json.dumps(saving.model_config(self), **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ------------------------------------------------------------------ saving, pickle, copy (cnn/saving.py)
    @_locked
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        from cnn import saving
        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    @_locked
    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        from cnn import saving
        saving.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    @_locked
    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        from cnn import saving
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def __getstate__(self):
        from cnn import saving
        return saving.model_getstate(self)

    def __setstate__(self, state):
        from cnn import saving
        state = dict(state)
        state.setdefault("_plans", PlanCache())  # pickled before the plan cache existed
        if "optimizer" in state:                 # ... or before `optimizer` became a property
            state["_optimizer"] = state.pop("optimizer")
        saving.model_setstate(self, state)
        self._drop_stale_plan_fields()

    def __deepcopy__(self, memo):
        from cnn import saving
        new = saving.model_deepcopy(self, memo)
        new._drop_stale_plan_fields()
        return new

    def _drop_stale_plan_fields(self):
        """saving.model_setstate resets fields the plan cache replaced; they mean nothing now."""
        for name in ("_predict_plan", "_plan_key", "_predict_key"):
            self.__dict__.pop(name, None)
        if isinstance(self, Sequential) and self.built:   # a copy's layers get its symbolic graph on use
            from cnn import _symbolic
            _symbolic._sequentials.add(self)


class Sequential(Model):
    """A linear stack of layers, each feeding the next (`keras.Sequential`).

    Start with `cnn.Input(shape=...)` and the model is built at once; without it, the weights are
    created by the first `fit`, `predict` or `build((None, n_features))`. Training runs in the C
    core. One model may be used from several threads: calls that run it take turns.

    Args:
        layers: optional list of layers (an `Input` first, then layers) to add in order.
        trainable: whether `fit` may update the weights.
        name: the model's name (default "sequential", "sequential_1", ...).

    Example:

    >>> import cnn
    >>> model = cnn.Sequential([cnn.Input(shape=(4,)), cnn.layers.Dense(8, activation="relu")])
    >>> model.add(cnn.layers.Dense(3, activation="softmax"))
    >>> model.output_shape
    (None, 3)
    >>> [w.shape for w in model.weights]
    [(4, 8), (8,), (8, 3), (3,)]
    """

    def __init__(self, layers=None, trainable=True, name=None):
        self._init_model(name or _unique_name("sequential"), trainable)
        self._input = None
        self._layers = []
        if layers is not None:
            if isinstance(layers, Layer):
                layers = [layers]
            for layer in layers:
                self.add(layer, rebuild=False)
        self._maybe_build()

    # ------------------------------------------------------------------ structure
    def add(self, layer, rebuild=True):
        layer = _input_layer_of(layer)
        if isinstance(layer, InputLayer):
            if self._input is not None or self._layers:
                raise ValueError("An Input can only be the first layer of a Sequential model")
            self._input = layer
        elif not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `cnn.layers.Layer` can be added to a Sequential model. "
                             f"Received: {layer!r} (of type {type(layer).__name__})")
        else:
            if self._has_layer_named(layer.name):
                raise ValueError(f"All layers added to a Sequential model should have unique names. "
                                 f"Name '{layer.name}' is already the name of a layer in this model.")
            if not self._layers and self._input is None and layer._input_shape_arg is not None:
                if not _warned_input_shape[0]:
                    _warned_input_shape[0] = True
                    warnings.warn("input_shape=/input_dim= on the first layer is the tf.keras 2 spelling; "
                                  "it works, but prefer cnn.Input(shape=...) as the first layer.",
                                  UserWarning, stacklevel=3)
                self._input = InputLayer(shape=layer._input_shape_arg)
            self._layers.append(layer)
        self._plans.invalidate()
        if rebuild:
            self._maybe_build()

    def _has_layer_named(self, name):
        """Whether a layer of the model is called `name`, in O(1) per call: the names of the layers are
        indexed, and re-indexed only after a pop or a rename (so adding N layers costs O(N))."""
        from cnn.layers import base
        index = getattr(self, "_name_index", None)   # (renames seen, the list, how many indexed, names)
        if (index is None or index[0] != base._renames[0] or index[1] is not self._layers
                or index[2] > len(self._layers)):
            index = (base._renames[0], self._layers, 0, set())
        names = index[3]
        names.update(other.name for other in self._layers[index[2]:])
        self._name_index = (index[0], self._layers, len(self._layers), names)
        return name in names

    def pop(self, rebuild=True):
        if not self._layers:
            raise ValueError("There are no layers in the model to pop")
        layer = self._layers.pop()
        self._plans.invalidate()
        self.built = False
        if rebuild:
            self._maybe_build()
        return layer

    @property
    def layers(self):
        return list(self._layers)

    @layers.setter
    def layers(self, _):
        raise AttributeError("`Sequential.layers` is read-only: use add() and pop()")

    @property
    def input_shape(self):
        return self._input.shape if self._input is not None else None

    @property
    def output_shape(self):
        return self._layers[-1].output_shape if self.built else None

    def _maybe_build(self):
        first = self._layers[0] if self._layers else None
        if self._input is None and isinstance(first, Model) and first.built and len(self._layers) > 1 \
                and len(getattr(first, "_inputs", [None])) == 1:   # Keras: a model first gives its input shape
            self._input = InputLayer(batch_shape=first.input_shape)
        if self._input is not None and self._layers:
            self._build_chain(self._input.shape)

    def build(self, input_shape=None):
        """Builds the weights for inputs of input_shape (batch axis included, e.g. (None, 11))."""
        if input_shape is None:
            if self._input is None:
                raise ValueError("build() needs input_shape, e.g. model.build((None, 11))")
        else:
            shape = tuple(input_shape)
            if len(shape) < 2:
                raise ValueError(f"input_shape must include the batch axis, e.g. (None, 11); got {input_shape}")
            if self._input is None:
                self._input = InputLayer(batch_shape=shape)
            elif self._input.shape[1:] != shape[1:]:
                raise ValueError(f"The model's input shape is {self._input.shape}; cannot build for {shape}")
        if not self._layers:
            raise ValueError("The model has no layers to build")
        self._build_chain(self._input.shape)

    def _build_chain(self, shape):
        for i, layer in enumerate(self._layers):
            layer._position = i
            shape = layer._build_for(shape)
        self.built = True
        self._pack_weights()
        from cnn import _symbolic
        _symbolic._sequentials.add(self)    # its symbolic graph is made on first use (_symbolic_io)

    def _symbolic_io(self):
        """As in Keras, a built Sequential is also a functional graph: its layers called on its input's
        symbolic tensor, so model.inputs/outputs and layer.input/output exist (feature extraction:
        cnn.Model(model.inputs, model.layers[1].output)). Made on first use (model.inputs, layer.output),
        once per input and list of layers: building a Sequential costs no more than before."""
        from cnn import _symbolic
        key = (id(self._input), tuple(id(layer) for layer in self._layers))
        if getattr(self, "_symbolic_key", None) == key:
            return self._symbolic_tensors
        self._symbolic_key, self._symbolic_tensors = key, None
        nodes = _symbolic.inbound_nodes(self._input)
        tensor = first = nodes[0].outputs[0] if nodes else _symbolic.input_tensor(self._input)
        try:
            for layer in self._layers:
                tensor = _symbolic.call(layer, tensor)
        except (TypeError, ValueError, NotImplementedError):   # only for introspection: never stop a model
            return None
        self._symbolic_tensors = ([first], [tensor])
        return self._symbolic_tensors

    def _io(self, k, what):
        if not self.built or self._symbolic_io() is None:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        return self._symbolic_tensors[k]

    @property
    def inputs(self):
        return list(self._io(0, "input"))

    @property
    def outputs(self):
        return list(self._io(1, "output"))

    @property
    def input(self):
        return self._io(0, "input")[0]

    @property
    def output(self):
        return self._io(1, "output")[0]

    def _graph(self):
        """The model as a cnn._graph.Graph: the chain of its layers (the engine runs it on the chain path);
        nested models are inlined."""
        from cnn._graph import Graph
        self._require_built("its graph")
        if any(isinstance(layer, Model) for layer in self._layers):
            from cnn._functional import chain_graph
            return chain_graph(self)
        return Graph.chain(self._layers, self._input.shape, self._input.name)

    def _plan_layers(self):
        if any(isinstance(layer, Model) for layer in self._layers):
            return super()._plan_layers()
        return self._layers

    def get_config(self):
        layers = []
        if self._input is not None:
            layers.append({"module": "keras.layers", "class_name": "InputLayer",
                           "config": self._input.get_config(), "registered_name": None})
        for layer in self._layers:
            if isinstance(layer, Model):   # a nested model: its whole entry, as Keras writes it
                from cnn.saving.functional import layer_entry
                layers.append(layer_entry(layer))
                continue
            layers.append({"module": "keras.layers", "class_name": type(layer).__name__,
                           "config": layer.get_config(), "registered_name": None})
        return {"name": self.name, "trainable": self._trainable, "dtype": "float32", "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cnn import saving
        return saving.sequential_from_config(config, custom_objects, cls=cls)


def _unique(variables):
    """Each variable once, in order (a layer shared by a nested model and its parent holds them once)."""
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _input_layer_of(layer):
    """cnn.Input(...) is a symbolic tensor: a Sequential starts with the InputLayer that made it."""
    from cnn._symbolic import KerasTensor
    if isinstance(layer, KerasTensor):
        op = layer._history.operation
        if isinstance(op, InputLayer):
            return op
        raise ValueError(f"A Sequential model takes layers (and cnn.Input(...) first); got the symbolic tensor "
                         f"{layer!r}, the output of layer '{op.name}'. Use cnn.Model(inputs, outputs) for it.")
    return layer


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with `model.save()`, or a Keras 3 `.keras` file of the layers cnn runs.

    Args:
        filepath: path (or binary file object) of a `.keras` file.
        custom_objects: dict of name -> class or function for objects that are not built in.
        compile: also restore the optimizer (with its state), loss and metrics, when saved.
        safe_mode: accepted for Keras compatibility; cnn never runs code from a file.

    Returns:
        A `cnn.Sequential` model with the saved weights.

    Example:

    >>> import os, tempfile, cnn
    >>> model = cnn.Sequential([cnn.Input(shape=(4,)), cnn.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> model.save(path)
    >>> restored = cnn.models.load_model(path)
    >>> all((a == b).all() for a, b in zip(model.get_weights(), restored.get_weights()))
    True
    """
    from cnn import saving
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """Builds a model from the JSON string of `model.to_json()` (cnn's or Keras 3's), with new weights.

    As in Keras, a model that was compiled comes back compiled with the same arguments.

    Args:
        json_string: the JSON configuration.
        custom_objects: dict of name -> class or function for objects that are not built in.

    Returns:
        A `cnn.Sequential` model.

    Example:

    >>> import cnn
    >>> model = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(5), cnn.layers.Softmax()])
    >>> cnn.models.model_from_json(model.to_json()).output_shape
    (None, 5)
    """
    import json

    from cnn.saving.config import model_from_file_config
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError(f"json_string must be a JSON string, got {type(json_string).__name__}")
    try:
        config = json.loads(json_string)
    except ValueError as e:
        raise ValueError(f"json_string is not valid JSON: {e}") from None
    return model_from_file_config(config, custom_objects or {}, True, "json_string", None)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model with the same layers' configuration and new weights (`keras.models.clone_model`).

    Args:
        model: the `cnn.Sequential` or functional `cnn.Model` to clone.
        input_tensors: optional `cnn.Input(...)` tensor(s) to use as the clone's input(s).
        clone_function: called on each layer to make its copy (default: the layer class rebuilt
            from `layer.get_config()`, so new weights); e.g. to copy weights too, or change a layer.
        call_function: for a functional model, called as `call_function(layer, inputs, **kwargs)`
            instead of `layer(inputs, **kwargs)` to rebuild each call (e.g. to insert a layer).
        recursive: accepted for Keras compatibility (a nested model is cloned by clone_function).

    Returns:
        A model of the same kind, compiled as the original is (with a new optimizer) if it is compiled.

    Example:

    >>> import cnn
    >>> model = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(2)])
    >>> clone = cnn.models.clone_model(model)
    >>> [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    True
    """
    from cnn._cloning import clone_model as clone
    return clone(model, input_tensors, clone_function, call_function, recursive, **kwargs)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Saves a model to a `.keras` file (Keras 3's format); the same as `model.save(filepath)`.

    The file holds the architecture, the weights and, when compiled, the compile arguments and
    the optimizer's state, so `load_model` gives back a model that continues training exactly.

    Args:
        model: the `cnn.Sequential` model to save.
        filepath: a path ending in `.keras`, or a binary file object.
        overwrite: whether to replace an existing file without asking.
        **kwargs: `zipped=True` and, as in Keras, `include_optimizer`, `save_format`.

    Returns:
        None.
    """
    return model.save(filepath, overwrite=overwrite, **kwargs)
