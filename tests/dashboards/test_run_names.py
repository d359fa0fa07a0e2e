"""Run names as the picker and the charts show them: trainings with their parts, labels
that keep what differs and never shorten to the same text."""

from __future__ import annotations

from dashboards.components.run_names import (
    distinct_ellipses,
    middle_ellipsis,
    run_labels,
    training_of,
    trainings,
)

SWEEP = [f"mlp/sweep/activation={a}{part}" for a in ("relu", "sigmoid", "tanh")
         for part in ("", "/train", "/validation")]


def test_a_training_is_one_entry_with_train_validation_and_test_parts():
    found = trainings(SWEEP + ["tfsum/seed0"])
    assert [t.name for t in found] == ["mlp/sweep/activation=relu", "mlp/sweep/activation=sigmoid",
                                       "mlp/sweep/activation=tanh", "tfsum/seed0"]
    relu = found[0]
    assert (relu.folder, relu.leaf) == ("mlp/sweep", "activation=relu")
    assert relu.parts == [("train", "mlp/sweep/activation=relu/train"),
                          ("validation", "mlp/sweep/activation=relu/validation"),
                          ("test", "mlp/sweep/activation=relu")]
    assert found[-1].parts == [("", "tfsum/seed0")]  # a plain run is its own training


def test_the_logdir_root_with_parts_is_a_training_and_parts_alone_still_group():
    assert training_of(".", {".", "train", "validation"}) == (".", "test")
    assert training_of("train", {".", "train"}) == (".", "train")
    only_parts = trainings(["lenet5/t1/train", "lenet5/t1/validation"])
    assert [t.name for t in only_parts] == ["lenet5/t1"]
    assert [p for p, _ in only_parts[0].parts] == ["train", "validation"]


def test_sweep_labels_name_the_value_that_differs():
    labels = run_labels([r for r in SWEEP if r.endswith("/train")], SWEEP)
    assert sorted(labels.values()) == ["activation=relu/train", "activation=sigmoid/train",
                                       "activation=tanh/train"]


def test_a_trainings_own_directory_is_labelled_as_its_test_results():
    roots = ["mlp/sweep/activation=relu", "mlp/sweep/activation=tanh"]
    assert run_labels(roots, SWEEP) == {"mlp/sweep/activation=relu": "activation=relu/test",
                                        "mlp/sweep/activation=tanh": "activation=tanh/test"}


def test_long_labels_are_middle_ellipsised_and_stay_distinct():
    assert middle_ellipsis("abcdefghij", 7) == "abc…hij"
    assert middle_ellipsis("short", 7) == "short"
    names = [f"experiment-with-a-long-name-{i}/2026-11-29T18-30-0{i}/train" for i in range(3)]
    short = distinct_ellipses(names, 12)
    assert len(set(short.values())) == 3
    twins = ["a" * 20 + "X" + "b" * 20, "a" * 20 + "Y" + "b" * 20]  # differ only in the middle
    short = distinct_ellipses(twins, 10)
    assert len(set(short.values())) == 2 and all(len(s) <= 12 for s in short.values())
    assert short[twins[0]].count("X") == 1  # the part that differs is the part kept
    labels = run_labels([f"runs/{'x' * 50}-{i}" for i in range(2)], width=20)
    assert len(set(labels.values())) == 2
