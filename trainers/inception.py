"""GoogLeNet-style networks of inception modules, and Keras' InceptionV3 for graph inspection.

An inception module runs 1x1, 3x3 and 5x5 convolutions and a 3x3 max pooling side by side on
the same input and concatenates their outputs along the depth axis; 1x1 "reduce"
convolutions keep the 3x3 and 5x5 branches cheap. Two auxiliary softmax heads (after 4a and
4d, as in Szegedy et al. 2014) add 0.3 times their loss during training and are dropped at
inference. Every convolution is followed by batch normalization, as in BN-Inception
(Ioffe and Szegedy 2015); ``--no-batch-norm`` builds the 2014 original, which on a CPU's few
epochs stays at chance level. Never imports TensorFlow at module level.
"""

import functools
from dataclasses import dataclass

from inspector.errors import InspectorError
from trainers.common import RunDir, RunResult, fit, load_dataset, option
from trainers.conv import IMAGE_SETS, ConvTrainConfig
from trainers.data import Dataset
from trainers.registry import register

# GoogLeNet's modules (Table 1 of the paper): filters of the 1x1 branch, the 3x3 reduce and
# 3x3, the 5x5 reduce and 5x5, and the pooling projection. "poolN" is a 3x3/2 max pooling.
MODULES = (
    ("3a", 64, 96, 128, 16, 32, 32), ("3b", 128, 128, 192, 32, 96, 64), "pool3",
    ("4a", 192, 96, 208, 16, 48, 64), ("4b", 160, 112, 224, 24, 64, 64),
    ("4c", 128, 128, 256, 24, 64, 64), ("4d", 112, 144, 288, 32, 64, 64),
    ("4e", 256, 160, 320, 32, 128, 128), "pool4",
    ("5a", 256, 160, 320, 32, 128, 128), ("5b", 384, 192, 384, 48, 128, 128),
)
AUX_AFTER = ("4a", "4d")  # where the auxiliary heads branch off
INCEPTION_V3_MIN_SIZE = 75  # Keras' InceptionV3 refuses smaller images


@dataclass
class InceptionConfig(ConvTrainConfig):
    dataset: str = option("shapes", "data set: shapes (generated 32x32 colour, offline), "
                          "cifar10 or mnist", choices=IMAGE_SETS)
    epochs: int = option(10, "passes over the training set", minimum=1, quick=1)
    limit: int | None = option(None, "use at most N training examples (none: all)",
                               minimum=1, quick=300)
    modules: int = option(9, "inception modules, GoogLeNet's first N of 3a..5b", minimum=1,
                          quick=3)
    width: float = option(0.25, "multiplies every layer's filters (1: GoogLeNet's)",
                          minimum=0.01, quick=0.125)
    aux_weight: float = option(0.3, "loss weight of each auxiliary head (0: no heads)",
                               minimum=0)
    dropout: float = option(0.4, "dropout rate before the output layer", minimum=0)
    batch_norm: bool = option(True, "batch normalization after every convolution "
                              "(BN-Inception, 2015); without it, as in 2014, the net stays "
                              "at chance level for the first epochs")
    keras_inceptionv3: bool = option(False, "train Keras' InceptionV3 (weights=None, images "
                                     "resized to 75x75) instead, to inspect its big graph")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.modules > sum(isinstance(m, tuple) for m in MODULES):
            raise InspectorError("inception: --modules is at most 9 (3a, 3b, 4a..4e, 5a, 5b)")


def build(config: InceptionConfig, dataset: Dataset):
    """conv1 3x3 -> pool1 -> 3a 3b -> pool3 -> 4a..4e -> pool4 -> 5a 5b -> pool -> softmax.

    GoogLeNet's filter numbers times ``--width``; for 32x32 images one 3x3 convolution and a
    pooling replace its stem (7x7/2, pool, 1x1, 3x3, pool), which is made for 224 pixels."""
    if config.keras_inceptionv3:
        return build_keras_inceptionv3(dataset)
    import keras
    from keras import layers

    w, bn = config.width, config.batch_norm
    x = inputs = keras.Input(dataset.input_shape, name="image")                 # 32x32x3
    x = _conv(x, _scaled(64, w), 3, "conv1", bn)                                 # 32x32x16
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)      # 16x16
    aux, left = [], config.modules
    for spec in MODULES:
        if left == 0:
            break
        if isinstance(spec, str):                                               # 8x8, 4x4
            x = layers.MaxPooling2D(3, strides=2, padding="same", name=spec)(x)
            continue
        name, *filters = spec
        x = inception_module(x, f"inception_{name}", [_scaled(f, w) for f in filters], bn)
        left -= 1
        if name in AUX_AFTER and config.aux_weight:
            aux.append(auxiliary_head(x, f"aux{len(aux) + 1}", w, dataset.num_classes, bn))
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(config.dropout, name="dropout")(x)
    outputs = layers.Dense(dataset.num_classes, activation="softmax", name="output")(x)
    if not aux:
        return keras.Model(inputs, outputs, name="googlenet")
    return _with_auxiliary_heads()(inputs, outputs, aux, aux_weight=config.aux_weight,
                                   name="googlenet")


def inception_module(x, name: str, filters: list[int], batch_norm: bool = True):
    """Parallel 1x1, 3x3, 5x5 convolutions and 3x3 max pooling, depth-concatenated; one
    nested model, so the graph shows ``inception_3a`` opening into its four branches."""
    import keras
    from keras import layers

    f1, f3r, f3, f5r, f5, fp = filters
    inputs = keras.Input(x.shape[1:], name="input")
    bn = batch_norm
    b1 = _conv(inputs, f1, 1, "branch_1x1", bn)
    b3 = _conv(_conv(inputs, f3r, 1, "branch_3x3_reduce", bn), f3, 3, "branch_3x3", bn)
    b5 = _conv(_conv(inputs, f5r, 1, "branch_5x5_reduce", bn), f5, 5, "branch_5x5", bn)
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name="branch_pool")(inputs)
    bp = _conv(bp, fp, 1, "branch_pool_proj", bn)
    outputs = layers.Concatenate(name="concat")([b1, b3, b5, bp])  # f1+f3+f5+fp deep
    return keras.Model(inputs, outputs, name=name)(x)


def auxiliary_head(x, name: str, width: float, num_classes: int, batch_norm: bool = True):
    """avg pool 5x5/3 -> conv 1x1 (128) -> fc (1024) -> dropout 0.7 -> softmax (paper's sizes
    times ``width``), as one nested model."""
    import keras
    from keras import layers

    h = inputs = keras.Input(x.shape[1:], name="input")
    h = layers.AveragePooling2D(5, strides=3, padding="same", name="pool")(h)
    h = _conv(h, _scaled(128, width), 1, "conv", batch_norm)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(_scaled(1024, width), activation="relu", name="fc")(h)
    h = layers.Dropout(0.7, name="dropout")(h)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(h)
    return keras.Model(inputs, outputs, name=name)(x)


def _scaled(filters: int, width: float) -> int:
    return max(1, round(filters * width))


def _conv(x, filters: int, kernel: int, name: str, batch_norm: bool):
    """Convolution and ReLU; with ``batch_norm`` a batch normalization between them."""
    from keras import layers

    if not batch_norm:
        return layers.Conv2D(filters, kernel, padding="same", activation="relu", name=name)(x)
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=name)(x)
    # Momentum 0.9 (PyTorch's 0.1) rather than Keras' 0.99: in runs of a few dozen steps
    # the moving statistics must catch up, or validation sits at chance level.
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


@functools.cache
def _with_auxiliary_heads():
    """A functional model of the prediction path that, while training, runs a twin sharing
    its layers with the auxiliary heads as extra outputs and adds their loss."""
    import keras

    class WithAuxiliaryHeads(keras.Model):
        def __init__(self, inputs, outputs, aux_outputs, aux_weight: float, **kwargs):
            super().__init__(inputs, outputs, **kwargs)
            self.aux_weight = aux_weight
            self.with_heads = keras.Model(inputs, [outputs, *aux_outputs], name="with_aux_heads")
            main = {id(layer) for layer in super().layers}
            self._heads = [layer for layer in self.with_heads.layers if id(layer) not in main]
            self._aux_predictions = ()

        @property
        def layers(self):
            # The heads too, so their kernels and weights are logged under their own names.
            return super().layers + getattr(self, "_heads", [])

        def call(self, inputs, training=None, mask=None):
            if not training:
                self._aux_predictions = ()
                return super().call(inputs, training=training, mask=mask)
            main, *aux = self.with_heads(inputs, training=training)
            # Kept for compute_loss, which Keras calls next in the same training step.
            self._aux_predictions = tuple(aux)
            return main

        def get_config(self):
            # The twin's graph: the conceptual graph then shows where the heads branch off.
            return {**self.with_heads.get_config(), "name": self.name,
                    "aux_weight": self.aux_weight}

        @classmethod
        def from_config(cls, config, custom_objects=None):
            config = dict(config)
            aux_weight, name = config.pop("aux_weight"), config["name"]
            twin = keras.Model.from_config(config, custom_objects)
            main, *aux = twin.outputs
            return cls(twin.inputs, main, aux, aux_weight, name=name)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            if training:
                for p in self._aux_predictions:
                    aux = keras.losses.sparse_categorical_crossentropy(y, p)
                    loss = loss + self.aux_weight * keras.ops.mean(aux)
            return loss

    return WithAuxiliaryHeads


def build_keras_inceptionv3(dataset: Dataset):
    """Keras' own InceptionV3 (weights=None), fed images resized to at least 75x75."""
    import keras
    from keras import layers

    x = inputs = keras.Input(dataset.input_shape, name="image")
    h, w, channels = dataset.input_shape
    size = max(h, w, INCEPTION_V3_MIN_SIZE)
    if (h, w) != (size, size):
        x = layers.Resizing(size, size, name="resize")(x)
    if channels == 1:
        x = layers.Concatenate(name="grey_to_rgb")([x] * 3)
    model = keras.applications.InceptionV3(weights=None, input_tensor=x,
                                           classes=dataset.num_classes)
    return keras.Model(inputs, model.output, name="inception_v3")


def train(config: InceptionConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    return fit(build(config, dataset), dataset, config, run)


register("inception", summary="GoogLeNet-style inception modules (1x1, 3x3, 5x5, pool; "
         "concatenated) with auxiliary heads; --keras-inceptionv3 for Keras' InceptionV3",
         family="convolutional", config_cls=InceptionConfig, build=build, train=train)
