"""Inspector: see how neural networks learn.

Reading never imports TensorFlow: the core (``inspector.events``, ``inspector.kinds``,
``inspector.logdir``, ``inspector.store``, ``inspector.summary``, ``inspector.graphs``,
``inspector.export``) and the dashboard run without it. The logging side does, and only it:
``inspector.hooks`` (the Keras callback) and the modules it drives (``model_logger``,
``logger_evaluation``, ``probes``, ``layer_summaries``, ``graph_trace``, ``fit_data``,
``feature_vis``), imported only when a hook or ``inspector visualize`` is used.
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
