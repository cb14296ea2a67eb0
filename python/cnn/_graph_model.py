"""GraphTraining: what fit/evaluate/predict need for a model whose `_graph()` is a cnn._graph.Graph of
several inputs, outputs or branches. Mixed in before the model class (it overrides the Sequential
methods that assume one input and one output); the C plan is built from the Graph's records, each
layer record with its `inputs`, and a chain Graph gives the Sequential's plan itself (same speed, same
bits).
"""
import numpy as np

from cnn import _core, _inputs, _outputs


def _f32(v):
    return float(np.float32(v))


class GraphTraining:
    """Model mixin: data, compile, logs and plans for a Graph (see cnn/_graph.py)."""

    _output_specs = None
    _targets_key = None

    # ------------------------------------------------------------------ shapes
    def _output_shapes(self):
        """Each output's shape, batch axis included."""
        g = self._graph()
        return [(None,) + tuple(g.nodes[j].layer.output_shape[1:]) for j in g.outputs]

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                **kwargs):
        """As Keras: `loss`, `loss_weights`, `metrics` and `weighted_metrics` per output (one value for
        all, a list in output order, or a dict by output name); see cnn/_outputs.py."""
        from cnn import losses
        from cnn import metrics as metrics_module
        g = self._graph()
        specs = _outputs.resolve_compile(g.output_names, loss, loss_weights, metrics, weighted_metrics)
        super().compile(optimizer=optimizer, loss=next(s.loss for s in specs if not s.no_loss), **kwargs)
        for spec in specs:
            if not spec.no_loss and not isinstance(losses.get(spec.loss), losses.AutoCrossentropy):
                self._check_loss(losses.resolve(spec.loss))
            for m in spec.metrics + spec.weighted:   # fail early on unknown names
                if not (isinstance(m, str) and m.lower() in ("accuracy", "acc")):
                    metrics_module.get(m).c_records()
        self._output_specs = specs
        self._targets_key = None
        self._compile_args.update(loss=loss, loss_weights=loss_weights, metrics=metrics,
                                  weighted_metrics=weighted_metrics)

    def _prepare_outputs(self, y_shapes):
        """Resolves each output's loss and metrics against its targets' shape (Keras picks 'accuracy'
        and 'crossentropy' by shape)."""
        from cnn import losses
        from cnn import metrics as metrics_module
        if not self.compiled or self._output_specs is None:
            raise ValueError("You must call `compile()` before using the model.")
        key = tuple((len(s), s[-1] if len(s) > 1 else 1) for s in y_shapes)
        if key == self._targets_key:
            return
        for spec, ys, shape in zip(self._output_specs, y_shapes, self._output_shapes()):
            spec.loss_obj = self._check_loss(losses.resolve("mse" if spec.no_loss else spec.loss, ys, shape))
            spec.target_tail = tuple(ys[1:])   # what a loss or metric written in Python receives
            objs = [metrics_module.get(m, ys, shape) for m in spec.metrics + spec.weighted]
            flags = [False] * len(spec.metrics) + [True] * len(spec.weighted)
            sparse = bool(self._spec_kind(spec, shape)[0])
            for m in objs:
                if m._sparse != sparse and not any(r.get("kind") == "python" for r in m.c_records()):
                    raise ValueError(f"metric '{m.name}' of output '{spec.name}' cannot be computed with the loss "
                                     f"{type(spec.loss_obj).__name__}")
            spec.metric_objs, spec.metric_flags = objs, flags
            spec.keys = metrics_module.result_keys(objs, flags)
        self._targets_key = key
        self._plans.invalidate()

    def _spec_kind(self, spec, shape):
        """(sparse targets, one target per sample broadcast) for an output's resolved loss. sparse is
        "values" for a loss written in Python given one target per sample for a multi-column output
        (a student's own sparse crossentropy gets the class ids as given; one output only, see
        _hooks.graph_training_host), as models.Model._is_sparse."""
        from cnn.losses import LossKind
        kind = (spec.loss_obj.c_record() or {"kind": "python"})["kind"]   # None: a loss written in Python
        if (kind == "python" and len(self._output_specs) == 1 and getattr(spec, "target_tail", None) in ((), (1,))
                and len(shape) == 2 and shape[-1] > 1):
            return "values", False
        return kind == LossKind.SCCE, kind not in (LossKind.CCE, LossKind.SCCE)

    def _is_sparse(self):
        specs = self._output_specs
        if not (specs and len(specs) == 1 and specs[0].loss_obj is not None):
            return False
        return self._spec_kind(specs[0], self._output_shapes()[0])[0]

    def _broadcasts(self):
        return False

    @property
    def metrics_names(self):
        names = ["loss"]
        if self._output_specs and self._output_specs[0].keys is not None:
            loss_keys, metric_keys = _outputs.log_keys(self._output_specs)
            names += loss_keys + metric_keys
        return names

    # ------------------------------------------------------------------ data
    def _features(self, x, name="x"):
        g = self._graph()
        return _inputs.as_inputs(x, g.inputs, g.input_names, name)

    def _targets(self, xa, y, name="y"):
        if y is None:
            raise ValueError(f"{name} is required to train or evaluate: the model needs targets")
        g = self._graph()
        self._prepare_outputs(_inputs.target_shapes(y, g.output_names))
        outs = [(shape,) + self._spec_kind(spec, shape)
                for spec, shape in zip(self._output_specs, self._output_shapes())]
        return _inputs.as_targets(y, len(xa), outs, g.output_names, name)

    def _weights(self, n, y, sample_weight, class_weight):
        """Per-sample weights: (n,) for one output, else (n, outputs) (the C plan's layout), from one array
        (every output), a list in output order or a dict by output name (None: weight 1), as Keras."""
        names = self._graph().output_names
        per = _outputs.per_output_sample_weights(sample_weight, names)
        if len(names) == 1:
            return super()._weights(n, y, per[0], class_weight)
        if class_weight is not None:
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        if all(w is None for w in per):
            return None
        from cnn import _data
        arrays = [np.ones(n, np.float32) if w is None else _data.as_sample_weight(w, n, f"sample_weight[{name!r}]")
                  for w, name in zip(per, names)]
        return np.ascontiguousarray(np.stack(arrays, axis=1))

    def _validation_arrays(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val)")
        xv = self._features(validation_data[0], "validation_data x")
        yv = self._targets(xv, validation_data[1], "validation_data y")
        swv = self._weights(len(xv), yv, validation_data[2], None) if len(validation_data) == 3 else None
        return xv, yv, swv

    def _shape_outputs(self, out, n):
        return _inputs.split_outputs(out.reshape(n, -1), [s[1:] for s in self._output_shapes()])

    def __call__(self, x, training=False):
        from cnn import _eager
        training = _eager.check_training(training)
        if not training:
            return self.predict_on_batch(x)
        with self._plans.lock:
            xa = self._features(x)
            out = self._inference_plan(len(xa)).forward(xa, True, _eager._state_of(self).next_step())
        return self._shape_outputs(out, len(xa))

    # ------------------------------------------------------------------ logs
    def _logs(self, sums, prefix=""):
        count = sums[1]
        logs = {prefix + "loss": _f32(sums[0] / count) if count else 0.0}
        state, at = np.asarray(sums[2:], np.float64), 0
        loss_keys, metric_keys = _outputs.log_keys(self._output_specs)
        keys = iter(metric_keys)
        for spec, shape in zip(self._output_specs, self._output_shapes()):
            cols = shape[-1]
            for m in spec.metric_objs:
                size = m.state_size(cols)
                logs[prefix + next(keys)] = m.result_from_state(state[at:at + size], cols)
                at += size
        heads = [k for k, spec in enumerate(self._output_specs) if not spec.no_loss]
        for k, key in zip(heads, loss_keys):   # the C state holds every output's loss
            logs[prefix + key] = _f32(state[at + k] / count) if count else 0.0
        return dict(sorted(logs.items()))

    def _results(self, logs, return_dict):
        if return_dict:
            return dict(logs)
        loss_keys, metric_keys = _outputs.log_keys(self._output_specs)
        values = [logs["loss"]] + [logs[k] for k in loss_keys + metric_keys]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ plans
    def _graph_records(self):
        """(graph, layer records, input shapes, whether it runs as a chain)."""
        from cnn.layers.base import _c_shape
        g = self._graph()
        g.validate()
        specs = self._output_specs
        chain = g.is_chain() and (not specs or specs[0].weight == 1.0)
        descs = []
        for node in g.nodes:
            record = node.layer._c_layer(self._offsets)
            if not chain:
                record = dict(record, inputs=list(node.sources))
                if node.training is not None:
                    record["call_mode"] = "training" if node.training else "inference"
            descs.append(record)
        return g, descs, [_c_shape((None,) + tuple(s)) for s in g.inputs], chain

    def _describe_training(self):
        self._pack_weights()
        opt_rec = self.optimizer._c_record()
        g, descs, inputs, chain = self._graph_records()
        if self._slots is None or self._slots_layout != (self._layout, opt_rec):
            size = _core.opt_slot_count(opt_rec) * self._n_trainable + _core.opt_state_count(opt_rec)
            self._slots = np.zeros(max(size, 1), np.float32)
            _core.opt_init_slots(opt_rec, self._slots, self._n_trainable)
            self._slots_layout = (self._layout, opt_rec)
        from cnn import _hooks  # the parts written in Python run through a host the plan calls
        host, loss_recs, metric_recs_of = _hooks.graph_training_host(self, g, opt_rec)
        metric_recs, outputs = [], []
        for spec, j, loss_rec, recs in zip(self._output_specs, g.outputs, loss_recs, metric_recs_of):
            metric_recs += recs
            outputs.append({"layer": j, "loss": loss_rec, "weight": spec.weight, "metrics": len(recs)})
        records = (descs, loss_recs[0], metric_recs, opt_rec)
        options = {**self._clipping(), **self._ema_args()}
        graph = {} if chain else {"inputs": inputs, "outputs": outputs}
        key = (repr(records), repr(graph),
               tuple((k, id(v) if isinstance(v, np.ndarray) else v) for k, v in options.items()),
               host.key() if host is not None else None, id(self._params), id(self._slots))
        return key, (records, {**options, **graph, "host": host})

    def _describe_inference(self):
        self._pack_weights()
        g, descs, inputs, chain = self._graph_records()
        graph = {} if chain else {"inputs": inputs,
                                  "outputs": [{"layer": j, "loss": {"kind": "mse"}} for j in g.outputs]}
        from cnn import _hooks
        host = _hooks.graph_layers_host(g)
        return (repr(descs), repr(graph), id(self._params), host.key() if host is not None else None), \
            (descs, graph, host)

    def _new_inference_plan(self, described, batch_max):
        descs, graph, host = described
        return _core.Plan(descs, {"kind": "mse"}, [], {"kind": "sgd"}, self._params, 0, np.zeros(1, np.float32),
                          int(batch_max), host=host, **graph)
