"""The one exception type for errors a user can cause; its message says what and how to fix."""


class InspectorError(Exception):
    """A user-facing error. The CLI prints ``str(err)`` on one line and exits 2."""
