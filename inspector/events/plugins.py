"""The contract between writers and readers: plugin names, tag conventions, metadata layouts.

Both ``inspector.summary`` (writing) and ``inspector.events.decode`` (reading) import these;
no plugin name or layout constant is spelled anywhere else.
"""

# TensorBoard's plugin names, as its own metadata.py modules define them.
SCALARS = "scalars"
HISTOGRAMS = "histograms"
IMAGES = "images"
AUDIO = "audio"
TEXT = "text"
PR_CURVES = "pr_curves"
HPARAMS = "hparams"
GRAPH_KERAS_MODEL = "graph_keras_model"
GRAPH_RUN_METADATA = "graph_run_metadata"
GRAPH_RUN_METADATA_GRAPH = "graph_run_metadata_graph"
PROJECTOR = "projector"

# Inspector's own summaries: plain tensors TensorBoard can load (it shows them nowhere, so
# every one is written beside a standard image or histogram).
KERNELS = "inspector_kernels"
ACTIVATIONS = "inspector_activations"
CONFUSION = "inspector_confusion"
EMBEDDINGS = "inspector_embeddings"
INSPECTOR_PLUGINS = (KERNELS, ACTIVATIONS, CONFUSION, EMBEDDINGS)

# hparams plugin: the tags its three summaries are written under (TensorBoard's metadata.py).
HPARAMS_EXPERIMENT_TAG = "_hparams_/experiment"
HPARAMS_SESSION_START_TAG = "_hparams_/session_start_info"
HPARAMS_SESSION_END_TAG = "_hparams_/session_end_info"

# Keras model JSON is logged as a text-like tensor under this tag (tf.summary.graph's keras form).
KERAS_MODEL_TAG = "keras"
# Keras writes this plugin content (a bare version number, not a protobuf) with the model JSON.
GRAPH_KERAS_MODEL_CONTENT = b"1"

# The kinds of series the store keeps. A decoded value is exactly one of them.
KIND_SCALARS = "scalars"
KIND_HISTOGRAMS = "histograms"
KIND_IMAGES = "images"
KIND_AUDIO = "audio"
KIND_TEXT = "text"
KIND_TENSORS = "tensors"
KIND_PR_CURVES = "pr_curves"
KIND_HPARAMS = "hparams"
KIND_GRAPHS = "graphs"
KIND_KERAS_MODEL = "keras_model"
KIND_RUN_METADATA = "run_metadata"
KIND_KERNELS = "kernels"
KIND_ACTIVATIONS = "activations"
KIND_CONFUSION = "confusion"
KIND_EMBEDDINGS = "embeddings"

PLUGIN_KIND = {
    SCALARS: KIND_SCALARS,
    HISTOGRAMS: KIND_HISTOGRAMS,
    IMAGES: KIND_IMAGES,
    AUDIO: KIND_AUDIO,
    TEXT: KIND_TEXT,
    PR_CURVES: KIND_PR_CURVES,
    HPARAMS: KIND_HPARAMS,
    GRAPH_KERAS_MODEL: KIND_KERAS_MODEL,
    GRAPH_RUN_METADATA: KIND_RUN_METADATA,
    GRAPH_RUN_METADATA_GRAPH: KIND_RUN_METADATA,
    KERNELS: KIND_KERNELS,
    ACTIVATIONS: KIND_ACTIVATIONS,
    CONFUSION: KIND_CONFUSION,
    EMBEDDINGS: KIND_EMBEDDINGS,
}

# Metadata content of Inspector's own summaries is JSON (utf-8), with these keys:
#   kernels:     {"layer": str, "shape": [kh, kw, in, out], "dtype": "float16"}
#   activations: {"layer": str, "shape": [...], "probe_index": int, "inputs_tag": str}
#   confusion:   {"labels": [str, ...]}
#   embeddings:  {"labels_tag": str, "label_names": [str, ...]}
METADATA_VERSION = 0

FILE_VERSION = "brain.Event:2"
FILE_PREFIX = "events.out.tfevents."
