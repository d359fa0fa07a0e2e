"""A character-level LSTM language model that learns to write Python from this package's own
source code (the "code" data set), as Karpathy's char-rnn learned to write C.

Each training window of ``seq_len`` characters is paired with the same window shifted by one
character, so every position predicts its next character. Every epoch the hook logs, beside
the curves (``loss``, ``accuracy``, ``perplexity`` = exp(cross-entropy per character)),
text generated from a fixed prompt at several temperatures (``samples/text/t=0.5``: low
temperatures repeat the likeliest characters, high ones invent) and, on the probe
sequences, the LSTM's hidden states and its input, forget and output gates. Never imports
TensorFlow at module level.
"""

import functools
from dataclasses import dataclass, replace

import numpy as np

from inspector.errors import InspectorError
from trainers import data
from trainers.common import OPTIMIZERS, RunDir, RunResult, TrainConfig, fit, load_dataset, option
from trainers.data import Dataset
from trainers.registry import register

PROBE_TEXTS = 4  # the hook records hidden states and gates of its first 4 probe sequences


@dataclass
class LstmConfig(TrainConfig):
    dataset: str = option("code", "text corpus: this package's own Python source",
                          choices=("code",))
    seq_len: int = option(64, "characters per training window", minimum=2, quick=32)
    embedding: int = option(32, "size of each character's learned vector", minimum=1,
                            quick=16)
    units: int = option(256, "LSTM units", minimum=1, quick=64)
    epochs: int = option(10, "passes over the training windows", minimum=1, quick=3)
    batch_size: int = option(64, "windows per gradient step", minimum=1, quick=32)
    optimizer: str = option("adam", "gradient descent variant", choices=OPTIMIZERS)
    lr: float = option(0.003, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)
    limit: int | None = option(20000, "use at most N training windows (none: all)", minimum=1,
                               quick=1000)
    temperatures: tuple[str, ...] = option(("0.2", "0.5", "1.0"), "sampling temperatures of "
                                           "the text logged every epoch")
    sample_length: int = option(400, "characters generated per sample", minimum=1, quick=120)
    prompt: str = option("def ", "text every sample starts from")


def temperatures(config: LstmConfig) -> list[float]:
    """``--temperatures`` as numbers; InspectorError unless each is a positive number."""
    try:
        values = [float(t) for t in config.temperatures]
    except ValueError:
        values = []
    if not values or min(values) <= 0:
        raise InspectorError(f"--temperatures takes positive numbers separated by commas, "
                             f"e.g. 0.5,1.0; got {','.join(config.temperatures)!r}")
    return values


@functools.cache
def perplexity_class() -> type:
    """``Perplexity``: a Keras metric, exp of the mean sparse cross-entropy per character."""
    import keras

    class Perplexity(keras.metrics.Mean):
        def __init__(self, name: str = "perplexity", **kwargs):
            super().__init__(name=name, **kwargs)

        def update_state(self, y_true, y_pred, sample_weight=None):
            cross_entropy = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
            return super().update_state(cross_entropy, sample_weight)

        def result(self):
            return keras.ops.exp(super().result())

    return Perplexity


def next_character_task(dataset: Dataset) -> Dataset:
    """Targets ``[n, seq_len]``: each window shifted by one character (the window's next
    character appended), so every position predicts the character after it."""
    def targets(x, y):
        return np.concatenate([x[:, 1:], y[:, None]], axis=1)

    return replace(dataset, y_train=targets(dataset.x_train, dataset.y_train),
                   y_val=targets(dataset.x_val, dataset.y_val),
                   y_test=targets(dataset.x_test, dataset.y_test))


def build(config: LstmConfig, dataset: Dataset):
    """ids [b, T] -> Embedding(vocab, embedding) -> LSTM(units, every step) ->
    Dense(vocab, softmax): the next character's probabilities at every position [b, T, vocab]."""
    import keras
    from keras import layers

    vocab = dataset.num_classes
    inputs = keras.Input((None,), dtype="int64", name="characters")            # [b, T]
    x = layers.Embedding(vocab, config.embedding, name="embedding")(inputs)     # [b, T, 32]
    x = layers.LSTM(config.units, return_sequences=True, name="lstm")(x)       # [b, T, 256]
    outputs = layers.Dense(vocab, activation="softmax", name="next_character")(x)  # [b, T, V]
    return keras.Model(inputs, outputs, name="char_lstm")


def text_samples(config: LstmConfig, vocab: list[str], probes: np.ndarray):
    """``samples`` for the hook: one text per temperature, ``samples/text/t=<T>``, each
    ``--prompt`` followed by ``--sample-length`` characters drawn one at a time from the
    model's next-character distribution sharpened (T < 1) or flattened (T > 1) as p^(1/T);
    at the first epoch also ``samples/probe_text``, the ``probes`` (the first validation
    windows, whose hidden states and gates the hook records) as text, one per line."""
    import tensorflow as tf

    temps = temperatures(config)
    prompt = data.encode_text(config.prompt, vocab) if config.prompt else np.zeros(1, np.int64)
    step_fn = None

    def make_step(model):
        embedding, cell = model.get_layer("embedding"), model.get_layer("lstm").cell
        head = model.get_layer("next_character")

        @tf.function
        def step(ids, h, c):  # one character for every temperature at once
            out, (h, c) = cell(embedding(ids), [h, c])
            return head(out), h, c

        return step

    def samples(model, epoch: int) -> dict:
        nonlocal step_fn
        step_fn = step_fn or make_step(model)
        rng = np.random.default_rng(config.seed + epoch)
        n = len(temps)
        h = c = tf.zeros([n, config.units])
        for char in prompt[:-1]:
            _, h, c = step_fn(tf.fill([n], char), h, c)
        ids, written = np.full(n, prompt[-1]), []
        for _ in range(config.sample_length):
            probs, h, c = step_fn(tf.constant(ids), h, c)
            logp = np.log(np.maximum(np.asarray(probs, np.float64), 1e-12))
            for row, t in enumerate(temps):
                p = np.exp((logp[row] - logp[row].max()) / t)
                ids[row] = rng.choice(len(p), p=p / p.sum())
            written.append(ids.copy())
        texts = np.stack(written, axis=1) if written else np.zeros((n, 0), np.int64)
        out = {f"text/t={config.temperatures[row]}":
               "```python\n" + config.prompt + data.decode_text(texts[row], vocab) + "\n```"
               for row in range(n)}
        if epoch <= 1:
            lines = [f"probe {i}: " + data.decode_text(p, vocab).replace("\n", "\u23ce")
                     for i, p in enumerate(probes)]
            out["probe_text"] = "```\n" + "\n".join(lines) + "\n```"
        return out

    return samples


def train(config: LstmConfig, run: RunDir) -> RunResult:
    dataset = next_character_task(load_dataset(config, seq_len=config.seq_len))
    temperatures(config)  # a bad --temperatures fails before training, not after an epoch
    missing = sorted(set(config.prompt) - set(dataset.class_names))
    if missing:
        raise InspectorError(f"--prompt has characters the corpus never uses: "
                             f"{''.join(missing)!r}")
    return fit(build(config, dataset), dataset, config, run,
               metrics=["accuracy", perplexity_class()()],
               samples=text_samples(config, dataset.class_names, dataset.x_val[:PROBE_TEXTS]))


register("lstm", family="sequence", config_cls=LstmConfig, build=build, train=train,
         summary="character-level LSTM language model learning to write this package's own "
         "Python; samples text at several temperatures every epoch, perplexity")
