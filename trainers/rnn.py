"""A simple recurrent network trained by back-propagation through time on the adding problem
(``trainers.data.adding_problem``), a sequence task with a known answer and a known trivial
baseline: always answering the mean scores a mean squared error of about 1/6.

``--bptt N`` truncates back-propagation through time to the last N steps. The loss sits at
the last step, so truncation means the gradient reaches back N steps only: the same
recurrent layer first reads the earlier steps forward, and its final state enters the last
N steps as a constant (``stop_gradient``). With N below half the sequence the first marked
value lies out of the gradient's reach, and the network cannot learn to remember it.

Beside the hook's logs, a run ``<run>/baseline`` holds the trivial baseline as a flat
``epoch/loss`` curve, so the loss card shows the learning curve against it, and
``samples/predictions`` tabulates a few validation sequences every epoch. Never imports
TensorFlow at module level.
"""

from dataclasses import dataclass

import numpy as np

from inspector.events import plugins as P
from trainers.common import OPTIMIZERS, RunDir, RunResult, TrainConfig, fit, load_dataset, option
from trainers.data import Dataset
from trainers.registry import register

SHOWN_SEQUENCES = 6  # validation sequences tabulated every epoch


@dataclass
class RnnConfig(TrainConfig):
    dataset: str = option("adding", "sequence task with a known answer", choices=("adding",))
    seq_len: int = option(30, "time steps per sequence", minimum=2, quick=10)
    size: int = option(10000, "sequences generated (70 % train, 10 % validation, 20 % test)",
                       minimum=10, quick=3000)
    units: int = option(64, "recurrent units", minimum=1, quick=32)
    activation: str = option("tanh", "activation of the recurrent units",
                             choices=("tanh", "relu", "sigmoid"))
    bptt: int | None = option(None, "truncate back-propagation through time to the last N "
                              "steps (none: through the whole sequence)", minimum=1)
    epochs: int = option(20, "passes over the training set", minimum=1, quick=4)
    batch_size: int = option(32, "examples per gradient step", minimum=1)
    optimizer: str = option("adam", "gradient descent variant", choices=OPTIMIZERS)
    lr: float = option(0.003, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)
    limit: int | None = option(None, "use at most N training examples (none: all)",
                               minimum=1)


def build(config: RnnConfig, dataset: Dataset):
    """sequence [b, T, 2] -> SimpleRNN(units) "rnn" (final state [b, units]) -> Dense(1)
    "sum"; with --bptt N < T the first T-N steps run forward only (their state a constant)."""
    import keras
    from keras import layers

    steps = dataset.input_shape[0]
    inputs = keras.Input(dataset.input_shape, name="sequence")                 # [b, T, 2]
    rnn = layers.SimpleRNN(config.units, activation=config.activation, name="rnn")
    if config.bptt is None or config.bptt >= steps:
        state = rnn(inputs)                                                     # [b, units]
    else:
        cut = steps - config.bptt
        early = rnn(inputs[:, :cut])                                            # [b, units]
        frozen = layers.Lambda(keras.ops.stop_gradient, name="truncate_bptt")(early)
        state = rnn(inputs[:, cut:], initial_state=frozen)                     # [b, units]
    outputs = layers.Dense(1, name="sum")(state)                               # [b, 1]
    return keras.Model(inputs, outputs, name="rnn_adding")


def prediction_table(dataset: Dataset):
    """``samples`` for the hook: a Markdown table of the first validation sequences, their
    two marked values, the answer and the network's prediction (``samples/predictions``)."""
    x = dataset.x_val[:SHOWN_SEQUENCES]
    marked = [np.flatnonzero(seq[:, 1]) for seq in x]

    def samples(model, step: int) -> dict:
        predicted = np.asarray(model(x, training=False))[:, 0]
        rows = ["| sequence | marked steps | marked values | answer | prediction |",
                "|---|---|---|---|---|"]
        for i, (seq, where) in enumerate(zip(x, marked, strict=True)):
            values = seq[where, 0]
            rows.append(f"| {i} | {', '.join(map(str, where))} | "
                        f"{', '.join(f'{v:.3f}' for v in values)} | {values.sum():.3f} | "
                        f"{predicted[i]:.3f} |")
        return {"predictions": "\n".join(rows)}

    return samples


def train(config: RnnConfig, run: RunDir) -> RunResult:
    from inspector.summary import SummaryWriter

    dataset = load_dataset(config, seq_len=config.seq_len, size=config.size)
    dataset.y_train, dataset.y_val, dataset.y_test = (
        y.reshape(-1, 1) for y in (dataset.y_train, dataset.y_val, dataset.y_test))
    result = fit(build(config, dataset), dataset, config, run,
                 samples=prediction_table(dataset))
    baseline = dataset.extras["baseline_mse"]
    with SummaryWriter(run.path / "baseline") as writer:
        for epoch in range(result.epochs + 1):
            writer.scalar(P.TAG_EPOCH + "loss", baseline, epoch,
                          description="always answering the training mean (trivial baseline)")
    with SummaryWriter(run.path) as writer:
        writer.scalar("test/baseline_loss", baseline, result.epochs)
    result.metrics["baseline_loss"] = baseline
    return result


register("rnn", family="sequence", config_cls=RnnConfig, build=build, train=train,
         summary="simple recurrent network, BPTT (--bptt N truncates) on the adding problem; "
         "beats the trivial baseline MSE of 1/6")
