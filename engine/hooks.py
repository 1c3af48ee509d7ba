"""Removable hook handles, shaped like PyTorch's ``torch.utils.hooks.RemovableHandle``."""
import itertools

from i18n import domain

_, ngettext = domain("engine")


class RemovableHandle:
    """Handle returned by ``register_*_hook``; ``remove()`` or leaving a ``with`` block unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def __repr__(self):
        return f"RemovableHandle(id={self.id})"


def register(hooks, fn):
    """Store ``fn`` in ``hooks`` under a fresh handle's id and return the handle."""
    if not callable(fn):
        raise ValueError(_("a hook must be callable, got {type}").format(type=type(fn).__name__))
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle
