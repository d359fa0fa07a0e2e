"""The contract between writers and readers: plugin names, tag conventions, metadata layouts.

Both ``inspector.summary`` (writing) and ``inspector.events.decode`` (reading) import these;
no plugin name or layout constant is spelled anywhere else.
"""

from inspector.kinds import Kind, activations, confusion, embeddings, kernels

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
# every one is written beside a standard image or histogram). Each kind is one module of
# ``inspector.kinds`` (metadata, write form, decode); these names are re-exported from there.
KERNELS = kernels.PLUGIN_NAME
ACTIVATIONS = activations.PLUGIN_NAME
CONFUSION = confusion.PLUGIN_NAME
EMBEDDINGS = embeddings.PLUGIN_NAME
# The int32 class ids written beside an embeddings tensor (its metadata's "labels_tag"); not
# a kind of its own (the store files it under tensors).
EMBEDDING_LABELS = embeddings.LABELS_PLUGIN_NAME

# hparams plugin: the tags its three summaries are written under (TensorBoard's metadata.py).
HPARAMS_EXPERIMENT_TAG = "_hparams_/experiment"
HPARAMS_SESSION_START_TAG = "_hparams_/session_start_info"
HPARAMS_SESSION_END_TAG = "_hparams_/session_end_info"

# Keras model JSON is logged as a text-like tensor under this tag (tf.summary.graph's keras form).
KERAS_MODEL_TAG = "keras"
# Keras writes this plugin content (a bare version number, not a protobuf) with the model JSON.
GRAPH_KERAS_MODEL_CONTENT = b"1"

# The kinds of series the store keeps (``inspector.kinds.Kind``; these names predate it).
KIND_SCALARS = Kind.SCALARS
KIND_HISTOGRAMS = Kind.HISTOGRAMS
KIND_IMAGES = Kind.IMAGES
KIND_AUDIO = Kind.AUDIO
KIND_TEXT = Kind.TEXT
KIND_TENSORS = Kind.TENSORS
KIND_PR_CURVES = Kind.PR_CURVES
KIND_HPARAMS = Kind.HPARAMS
KIND_GRAPHS = Kind.GRAPHS
KIND_KERAS_MODEL = Kind.KERAS_MODEL
KIND_RUN_METADATA = Kind.RUN_METADATA
KIND_KERNELS = Kind.KERNELS
KIND_ACTIVATIONS = Kind.ACTIVATIONS
KIND_CONFUSION = Kind.CONFUSION
KIND_EMBEDDINGS = Kind.EMBEDDINGS

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
}  # Inspector's own plugins are looked up in ``inspector.kinds`` instead.

# Metadata content of Inspector's own summaries is JSON (utf-8), laid out by the metadata
# dataclass of each module of ``inspector.kinds``.
METADATA_VERSION = 0

FILE_VERSION = "brain.Event:2"
FILE_PREFIX = "events.out.tfevents."

# ----- Tags the logging hook writes (inspector.hooks); the dashboard pages look them up here.
# Runs: <logdir>/train (curves, weights, kernels, activations, training-step op graph, layer
# graph), <logdir>/validation (curves, evaluation, inference op graph), <logdir> itself
# (hparams). Step axes: tags under TAG_BATCH count training batches (global step); every
# other tag counts completed epochs, so step 0 holds the state before training.
TAG_BATCH = "batch/"  # + metric: running mean over the epoch so far, as Keras reports it;
# also batch/learning_rate and batch/steps_per_second (since the previous batch write)
TAG_EPOCH = "epoch/"  # + metric, e.g. epoch/loss, epoch/accuracy (validation run: val_*)
TAG_LEARNING_RATE = "optimizer/learning_rate"
TAG_GRADIENT_NORM = "gradients/global_norm"  # on the probe batch
TAG_STEPS_PER_SECOND = "perf/steps_per_second"
TAG_HOOK_SECONDS = "perf/hook_seconds"  # time the hook itself took during the epoch
TAG_WEIGHTS = "weights/"  # + <layer path>/<variable>, histogram
TAG_GRADIENTS = "gradients/"  # + <layer path>/<variable>, histogram (probe batch)
TAG_ACTIVATIONS = "activations/"  # + <layer path>, histogram (probe batch)
TAG_KERNELS = kernels.TAG_PREFIX  # + <layer path>: KERNELS tensor (conv kernels, dense matrices)
TAG_FEATURE_MAPS = activations.TAG_PREFIX  # + <layer path>: ACTIVATIONS tensor [probes, ...]
TAG_GRID_SUFFIX = "/grid"  # the image written beside a kernels/ or feature_maps/ tensor
TAG_PROBE_INPUTS = "probe/inputs"  # image (image inputs) or text table (other inputs)
TAG_PROBE_LABELS = "probe/labels"  # text table: probe index, label
TAG_CONFUSION = "evaluation/confusion_matrix"  # CONFUSION tensor, rows true, columns predicted
TAG_CONFUSION_IMAGE = "evaluation/confusion_matrix/image"
TAG_ACCURACY = "evaluation/accuracy"
TAG_BASELINE_RANDOM = "evaluation/baseline_random"  # 1 / number of classes
TAG_BASELINE_MOST_FREQUENT = "evaluation/baseline_most_frequent"
TAG_PRECISION = "evaluation/precision/"  # + class name
TAG_RECALL = "evaluation/recall/"  # + class name
TAG_F1 = "evaluation/f1/"  # + class name
TAG_MACRO_F1 = "evaluation/macro_f1"
TAG_PR_CURVE = "evaluation/pr/"  # + class name (one class against the rest)
TAG_EMBEDDINGS = embeddings.TAG_PREFIX  # + <layer path>: EMBEDDINGS tensor [n, d]
TAG_EMBEDDING_LABELS_SUFFIX = embeddings.LABELS_SUFFIX  # int32 [n] beside embeddings/ tensors
TAG_SAMPLES = "samples/"  # + name: text or images a trainer provides (reconstructions, ...)
TAG_WARNINGS = "inspector/warnings"  # text (train run): what the hook could not log, and how to
# enable it; one markdown list item per line, rewritten whole when a line is added
# Keras model JSON (KERAS_MODEL_TAG) written by the hook carries, per layer, an extra key
# "inspector": {"output_shape": [...], "param_count": int, "trainable_param_count": int}.
LAYER_INFO_KEY = "inspector"
