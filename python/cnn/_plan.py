"""A model's compiled C plans (training and inference), when they must be rebuilt, and the lock that
keeps two threads from running kernels on one model's buffers at the same time.

A plan is reused while its stamp holds: the count of changes to watched objects (cnn._watched) and
the global seed (the dropout and noise streams) are unchanged. When the stamp moved, the model
describes itself again and the plan is rebuilt only if that description differs; the model calls
`invalidate()` for what the stamp cannot see (compile, add, pop, a new weights layout or slots).
"""
import os
import threading
import weakref

from cnn import _watched, utils

_live = weakref.WeakSet()  # every PlanCache, so a forked child can unlock them


def _unlock_after_fork():
    """In a child process only the forking thread survives: a lock another thread held at the fork
    would stay held forever, so each model gets a new lock (the forking thread's own `with` blocks
    still release the lock object they took)."""
    for cache in list(_live):
        cache.lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_unlock_after_fork)


def _stamp():
    return _watched.changes(), utils._global_seed()


class _Entry:
    __slots__ = ("batch_max", "key", "plan", "stamp")

    def __init__(self, plan, key, stamp, batch_max):
        self.plan, self.key, self.stamp, self.batch_max = plan, key, stamp, batch_max


class PlanCache:
    """One per model. Hold `lock` while a plan runs; it is an RLock, so a callback run under it (by
    evaluate, predict or fit) may call the same model again. Pickles and deep-copies as a new,
    empty cache, so no lock ever enters a saved state."""

    def __init__(self):
        self.lock = threading.RLock()
        self._entries = {}
        self.small = {}   # cnn._shortcuts.Memo by kind: what the last full call checked
        _live.add(self)

    def invalidate(self):
        self._entries.clear()
        self.small.clear()

    def get(self, kind, batch_max, describe, build):
        """The plan `kind` ("train" or "predict") for batches of up to `batch_max` rows.

        describe() -> (key, records): the model as the plan sees it; equal keys mean the same plan.
        build(records, batch_max) -> a new _core.Plan. Call with `lock` held.
        """
        entry = self._entries.get(kind)
        if entry is not None and entry.batch_max >= batch_max and entry.stamp == _stamp():
            return entry.plan
        key, records = describe()
        stamp = _stamp()  # after describe(): repacking the weights counts as a change
        if entry is not None and entry.key == key and entry.batch_max >= batch_max:
            entry.stamp = stamp
            return entry.plan
        if entry is not None:  # never shrink: predict and evaluate sizes alternate in a notebook
            batch_max = max(batch_max, entry.batch_max)
        plan = build(records, batch_max)
        self._entries[kind] = _Entry(plan, key, stamp, batch_max)
        return plan

    def __reduce__(self):
        return PlanCache, ()
