"""cnn.Sequential: the model's structure, weights and compile step. Training lives in trainer.py."""
import warnings

import numpy as np

from cnn import _core
from cnn.layers.base import Layer, _unique_name
from cnn.layers.core import InputLayer
from cnn.trainer import Trainer
from cnn.variables import assign_all

_warned_input_shape = [False]


class Sequential(Trainer):
    """A linear stack of layers (keras.Sequential)."""

    def __init__(self, layers=None, trainable=True, name=None):
        self.name = name or _unique_name("sequential")
        self._input = None
        self._layers = []
        self.built = False
        self.compiled = False
        self.optimizer = self.loss = None
        self._compile_args = None
        self.stop_training = False
        self.history = None
        self._params = np.zeros(0, np.float32)
        self._layout = ()
        self._offsets = {}
        self._n_trainable = 0
        self._slots = None
        self._slots_layout = None
        self._plan = None
        self._plan_key = None
        self._trainable = bool(trainable)
        if layers is not None:
            if isinstance(layers, Layer):
                layers = [layers]
            for layer in layers:
                self.add(layer, rebuild=False)
        self._maybe_build()

    # ------------------------------------------------------------------ structure
    def add(self, layer, rebuild=True):
        if isinstance(layer, InputLayer):
            if self._input is not None or self._layers:
                raise ValueError("An Input can only be the first layer of a Sequential model")
            self._input = layer
        elif not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `cnn.layers.Layer` can be added to a Sequential model. "
                             f"Received: {layer!r} (of type {type(layer).__name__})")
        else:
            if any(layer.name == other.name for other in self._layers):
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
        self._plan = None
        if rebuild:
            self._maybe_build()

    def pop(self, rebuild=True):
        if not self._layers:
            raise ValueError("There are no layers in the model to pop")
        layer = self._layers.pop()
        self._plan = None
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

    def _pack_weights(self):
        """One flat float32 buffer: every trainable weight first (the optimizer's range), then the rest.
        Layer weights become views into it, so a training step is one pass over memory."""
        variables = [v for layer in self._layers for v in layer._variables]
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
        self._plan = None

    # ------------------------------------------------------------------ weights
    def _require_built(self, what):
        if not self.built:
            raise ValueError(f"This model has not yet been built, so {what} is not available. Build it by "
                             "calling model.build((None, n_features)), by starting it with cnn.Input(shape=...), "
                             "or by calling fit/predict on data.")

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self):
        return [v for layer in self._layers for v in layer.weights]

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [v for layer in self._layers for v in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        return [v for layer in self._layers for v in layer.non_trainable_weights]

    @property
    def variables(self):
        return self.weights

    def get_weights(self):
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        self._require_built("set_weights")
        assign_all(self.weights, weights, f"model '{self.name}'")

    def count_params(self):
        self._require_built("count_params()")
        return int(sum(np.prod(v.shape) for v in self.weights))

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self._layers]}")

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        from cnn import losses, optimizers
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='mse' (training without a loss is not supported)")
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(f"Expected `metrics` argument to be a list, tuple, or dict. Received: metrics={metrics!r}")
        if isinstance(metrics, dict):
            metrics = list(metrics.values())
        if weighted_metrics:
            raise ValueError("weighted_metrics are not supported yet; pass them as metrics=")
        if loss_weights not in (None, 1, 1.0):
            raise ValueError("loss_weights only makes sense for models with several outputs")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        if not isinstance(self.loss, losses.AutoCrossentropy):
            self._check_loss(losses.resolve(loss))
        self._metric_specs = list(metrics or [])
        for m in self._metric_specs:  # fail early on unknown names
            if not (isinstance(m, str) and m in ("accuracy", "acc")):
                from cnn import metrics as metrics_module
                metrics_module.get(m)
        self._compile_args = {"optimizer": optimizer, "loss": loss, "metrics": metrics}
        self.compiled = True
        self._metric_objects = None
        self._metrics_key = None
        self._plan = None
        self._slots = None
        self._slots_layout = None

    @property
    def metrics_names(self):
        names = ["loss"]
        if getattr(self, "_metric_objects", None):
            names += [m.name for m in self._metric_objects]
        elif self.compiled:
            names += [m if isinstance(m, str) else getattr(m, "name", str(m)) for m in self._metric_specs]
        return names

    # ------------------------------------------------------------------ the C plan
    @staticmethod
    def _check_loss(loss_obj):
        if loss_obj.c_record() is None:
            raise ValueError(f"the loss {loss_obj!r} is written in Python; the C training step runs the built-in "
                             "Keras losses only (use one of cnn.losses)")
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
        return self._loss_obj.c_record()["kind"] not in (LossKind.CCE, LossKind.SCCE)

    def _is_sparse(self):
        from cnn.losses import LossKind
        return self._loss_obj.c_record()["kind"] == LossKind.SCCE

    def _prepare_compiled(self, y_shape):
        """Resolves loss and metrics against the target shape (Keras chooses 'accuracy' by shape)."""
        from cnn import metrics as metrics_module
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model for training or evaluation.")
        y_key = (len(y_shape), y_shape[-1] if len(y_shape) > 1 else 1)
        if self._metrics_key == y_key and self._metric_objects is not None:
            return
        self._loss_obj = self._resolve_loss(y_shape)
        objs = [metrics_module.get(m, y_shape, self.output_shape) for m in self._metric_specs]
        sparse = self._is_sparse()
        for m in objs:  # the targets are either class ids or one row per output: metrics must agree
            if (m._kind == metrics_module.SPARSE_CATEGORICAL_ACCURACY) != sparse:
                raise ValueError(f"metric '{m.name}' cannot be computed with the loss "
                                 f"{type(self._loss_obj).__name__}: " + ("with integer class labels use "
                                 "'accuracy' or 'sparse_categorical_accuracy'" if sparse else
                                 "'sparse_categorical_accuracy' needs integer labels and a sparse loss"))
        self._metric_objects = objs
        self._metrics_key = y_key
        self._plan = None

    def _get_plan(self, batch_max):
        """The C plan for the current weights layout, loss, metrics and optimizer (rebuilt only on change)."""
        self._pack_weights()
        opt_rec = self.optimizer._c_record()
        descs = [layer._c_layer(self._offsets) for layer in self._layers]
        # the layer descriptions carry the dropout seeds too, so set_random_seed takes effect
        key = (repr(descs), opt_rec, tuple(self._clipping().items()), getattr(self.optimizer, "use_ema", False))
        if self._plan is not None and self._plan_key == key and self._plan.batch_max() >= batch_max:
            return self._plan
        if self._slots is None or self._slots_layout != (self._layout, opt_rec):
            size = _core.opt_slot_count(opt_rec) * self._n_trainable + _core.opt_state_count(opt_rec)
            self._slots = np.zeros(max(size, 1), np.float32)
            _core.opt_init_slots(opt_rec, self._slots, self._n_trainable)
            self._slots_layout = (self._layout, opt_rec)
        if self._plan is not None:
            batch_max = max(batch_max, self._plan.batch_max())
        self._plan = _core.Plan(descs, self._loss_obj.c_record(), [m.c_record() for m in self._metric_objects],
                                opt_rec, self._params, self._n_trainable, self._slots, int(batch_max),
                                **self._clipping(), **self._ema_args())
        self._plan_key = key
        return self._plan

    def _ema_args(self):
        """Keras's use_ema: a moving average of the trainable weights, swapped in at the end of fit."""
        opt = self.optimizer
        if not getattr(opt, "use_ema", False):
            self._ema = None
            return {}
        if getattr(self, "_ema", None) is None or len(self._ema) != max(self._n_trainable, 1):
            self._ema = np.zeros(max(self._n_trainable, 1), np.float32)
        return {"ema": self._ema, "ema_momentum": float(opt.ema_momentum),
                "ema_overwrite_frequency": int(opt.ema_overwrite_frequency or 0)}

    def _finalize_ema(self):
        if getattr(self.optimizer, "use_ema", False) and getattr(self, "_ema", None) is not None \
                and self.optimizer.iterations > 0:
            self._params[:self._n_trainable] = self._ema[:self._n_trainable]

    def _clipping(self):
        opt = self.optimizer
        return {name: float(getattr(opt, name, None) or 0.0) for name in ("clipnorm", "clipvalue", "global_clipnorm")}

    def _inference_plan(self, batch_max):
        """A plan for predict: no loss needed, so a placeholder MSE and SGD (never stepped)."""
        from cnn.losses import LossKind
        from cnn.optimizers import KIND_SGD
        self._pack_weights()
        key = ("predict", self._layout, tuple(l.trainable for l in self._layers))
        plan = getattr(self, "_predict_plan", None)
        if plan is not None and self._predict_key == key and plan.batch_max() >= batch_max:
            return plan
        descs = [layer._c_layer(self._offsets) for layer in self._layers]
        self._predict_plan = _core.Plan(descs, {"kind": LossKind.MSE}, [], {"kind": KIND_SGD}, self._params, 0,
                                        np.zeros(1, np.float32), int(batch_max))
        self._predict_key = key
        return self._predict_plan

    # ------------------------------------------------------------------ display
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        from cnn.summary import print_summary
        rows = []
        for layer in self._layers:
            built = layer.built and self.built
            rows.append((layer.name, type(layer).__name__, layer.output_shape if built else None,
                         layer.count_params() if built else None))
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
                      print_fn=print_fn)

    def get_config(self):
        layers = []
        if self._input is not None:
            layers.append({"module": "keras.layers", "class_name": "InputLayer",
                           "config": self._input.get_config(), "registered_name": None})
        for layer in self._layers:
            layers.append({"module": "keras.layers", "class_name": type(layer).__name__,
                           "config": layer.get_config(), "registered_name": None})
        return {"name": self.name, "trainable": self._trainable, "dtype": "float32", "layers": layers}

    def __repr__(self):
        return f"<Sequential name={self.name}, built={self.built}>"

    # ------------------------------------------------------------------ saving, pickle, copy (cnn/saving.py)
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        from cnn import saving
        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        from cnn import saving
        saving.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        from cnn import saving
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cnn import saving
        return saving.sequential_from_config(config, custom_objects, cls=cls)

    def __getstate__(self):
        from cnn import saving
        return saving.model_getstate(self)

    def __setstate__(self, state):
        from cnn import saving
        saving.model_setstate(self, state)

    def __deepcopy__(self, memo):
        from cnn import saving
        return saving.model_deepcopy(self, memo)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with model.save() (or Keras 3's .keras files of the layers cnn runs)."""
    from cnn import saving
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """keras.models.save_model: the same as model.save(filepath)."""
    return model.save(filepath, overwrite=overwrite, **kwargs)
