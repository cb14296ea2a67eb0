"""A process-wide count of changes to the objects a C plan is made of (layers, variables, losses,
metrics, optimizers, regularizers, constraints), so a model can tell in one comparison whether its
cached plan may be stale."""

_changes = [0]


class Watched:
    """Mixin: setting any attribute, except the hot counters named in `_unwatched`, counts a change."""

    __slots__ = ()
    _unwatched = frozenset()

    def __setattr__(self, name, value):
        if name not in self._unwatched:
            _changes[0] += 1
        object.__setattr__(self, name, value)


def changes():
    """The number of changes so far; it only grows (a lost update between threads still moves it)."""
    return _changes[0]
