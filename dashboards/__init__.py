"""The Dash dashboard: ``create_app(logdir)`` and the pages that register themselves.

Pages read the store only through its query API (``dashboards.state.store()``); nothing
here knows a file format, and nothing here imports TensorFlow.
"""
