"""Inspector: see how neural networks learn.

The core (``inspector.events``, ``inspector.logdir``, ``inspector.store``,
``inspector.summary``) never imports TensorFlow; only ``inspector.hooks`` does.
"""

from inspector.errors import InspectorError

__version__ = "0.1.0"

__all__ = ["InspectorError", "Inspector", "read_scalars", "show", "__version__"]


def __getattr__(name: str):
    # Lazy so that `import inspector` stays free of TensorFlow and pandas.
    if name == "Inspector":
        from inspector.hooks import Inspector

        return Inspector
    if name == "show":
        from inspector.notebook import show

        return show
    if name == "read_scalars":
        from inspector.export import read_scalars

        return read_scalars
    raise AttributeError(f"module 'inspector' has no attribute {name!r}")
