"""compile's per-output forms for models of several outputs (Keras 3.15's rules) and the logs they give.

loss: one loss for every output, a list in output order, or a dict by output name. loss_weights: a
list or a dict (default 1 each). metrics / weighted_metrics: with one output, a list of metrics; with
several, a list with one entry per output (a metric, a list of them, or None) or a dict by output
name (a subset). Logs: "loss" (the weighted total plus regularization), "<output>_loss" (unweighted)
for each output when there are several, and each metric as "<output>_<name>" (just "<name>" with one
output); evaluate's list is [loss, the per-output losses, the metrics in order].
"""
import numbers


class OutputSpec:
    """One output's compile settings: its loss (as given), weight and metric specs."""

    def __init__(self, name, loss, weight, metrics, weighted):
        self.name, self.loss, self.weight = name, loss, weight
        self.metrics, self.weighted = metrics, weighted
        self.loss_obj = None        # resolved against the targets' shape on first use
        self.metric_objs = None
        self.metric_flags = None    # per metric object: weighted or not
        self.keys = None            # log keys of its metrics
        self.no_loss = loss is None  # Keras: an output given the loss None has no loss (its metrics still run)


def _per_output_losses(loss, names):
    if isinstance(loss, dict):
        if set(loss) != set(names):
            raise ValueError(f"Expected keys {list(names)} in loss dict, but found loss.keys()={list(loss)}")
        return [loss[n] for n in names]
    if isinstance(loss, (list, tuple)):
        if len(loss) != len(names):
            raise ValueError(f"loss must hold one loss per output ({len(names)}: {list(names)}), got {len(loss)}")
        return list(loss)
    return [loss] * len(names)


def _per_output_weights(loss_weights, names):
    if loss_weights is None:
        return [1.0] * len(names)
    if isinstance(loss_weights, dict):
        unknown = set(loss_weights) - set(names)
        if unknown:
            raise ValueError(f"loss_weights has keys {sorted(unknown)} that are not output names {list(names)}")
        weights = [loss_weights.get(n, 1.0) for n in names]
    elif isinstance(loss_weights, (list, tuple)):
        if len(loss_weights) != len(names):
            raise ValueError(f"`loss_weights` must match the number of losses, got {len(names)} losses and "
                             f"{len(loss_weights)} weights.")
        weights = list(loss_weights)
    elif len(names) == 1:
        weights = [loss_weights]
    else:
        raise ValueError(f"loss_weights must be a list or a dict for a model with {len(names)} outputs, "
                         f"got {loss_weights!r}")
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not w == w or abs(w) == float("inf"):
            raise ValueError(f"loss_weights must be finite numbers, got {loss_weights!r}")
    return [float(w) for w in weights]


def _per_output_metrics(metrics, names, what):
    """A list of metric specs per output."""
    if not metrics:
        return [[] for _ in names]
    if len(names) == 1:
        if isinstance(metrics, dict):
            metrics = [m for v in metrics.values() for m in (v if isinstance(v, (list, tuple)) else [v])]
        return [list(metrics)]
    if isinstance(metrics, (list, tuple)) and len(metrics) == len(names):
        flat = list(metrics)
    elif isinstance(metrics, dict) and set(metrics) <= set(names):
        flat = [metrics.get(n) for n in names]
    else:
        raise ValueError(f"Invalid `{what}`. `{what}` should contain metrics objects and either be a dict or a "
                         f"list matching the output names of the functional model {list(names)}. "
                         f"Received: {what}={metrics!r}")
    return [[] if m is None else list(m) if isinstance(m, (list, tuple)) else [m] for m in flat]


def resolve_compile(names, loss, loss_weights, metrics, weighted_metrics):
    """The OutputSpec of each output from compile's arguments."""
    if loss is None:
        raise ValueError("compile() needs a loss, e.g. loss='mse' (training without a loss is not supported)")
    for what, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
        if value is not None and not isinstance(value, (list, tuple, dict)):
            raise ValueError(f"Expected `{what}` argument to be a list, tuple, or dict. Received: {what}={value!r}")
    losses = _per_output_losses(loss, names)
    if all(x is None for x in losses):
        raise ValueError(f"at least one output needs a loss (training without a loss is not supported), got "
                         f"loss={loss!r}")
    weights = _per_output_weights(loss_weights, names)
    weights = [0.0 if x is None else w for x, w in zip(losses, weights)]   # the engine computes it, times 0
    ms = _per_output_metrics(metrics, names, "metrics")
    ws = _per_output_metrics(weighted_metrics, names, "weighted_metrics")
    return [OutputSpec(*args) for args in zip(names, losses, weights, ms, ws)]


def log_keys(specs):
    """(per-output loss keys, metric keys in compile order) as Keras 3 names them: `<output>_loss` for
    each output with a loss when there are several losses."""
    several = len(specs) > 1
    with_loss = [s for s in specs if not s.no_loss]
    loss_keys = [f"{s.name}_loss" for s in with_loss] if len(with_loss) > 1 else []
    metric_keys = [f"{s.name}_{k}" if several else k for s in specs for k in s.keys]
    return loss_keys, metric_keys


def per_output_sample_weights(sample_weight, names):
    """Keras's forms of sample_weight for outputs `names`: one array (for every output), a list/tuple of
    arrays in output order, or a dict by output name; a None entry is no weighting. Returns a list."""
    if isinstance(sample_weight, dict):
        unknown = sorted(set(sample_weight) - set(names), key=str)
        if unknown:
            raise ValueError(f"sample_weight has keys {unknown} that are not model outputs {list(names)}")
        return [sample_weight.get(name) for name in names]
    if isinstance(sample_weight, (list, tuple)) and sample_weight and \
            all(w is None or not _is_scalar(w) for w in sample_weight) and \
            (len(names) > 1 or len(sample_weight) == 1):
        if len(sample_weight) != len(names):
            raise ValueError(f"sample_weight is a list of {len(sample_weight)} arrays for {len(names)} model "
                             f"outputs {list(names)}")
        return list(sample_weight)
    return [sample_weight] * len(names)


def _is_scalar(value):
    import numpy as np
    return np.ndim(value) == 0
