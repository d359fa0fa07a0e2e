"""``inspector train`` as a user meets it: the listing, per-architecture help, and every
mistake a user can make ending in one line and exit status 2 (run as subprocesses, none of
which gets as far as importing TensorFlow); sweep planning in process."""

import dataclasses
import os
import subprocess
import sys

import pytest

from inspector.errors import InspectorError
from trainers import registry
from trainers.cli import free_sweep_folder, plan_runs
from trainers.dense import MlpConfig
from trainers.tf_logging import filter_noise


def inspector(*args):
    return subprocess.run([sys.executable, "-m", "inspector", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "INSPECTOR_OFFLINE": "1"})


def test_list_gives_every_registered_architecture_one_line():
    result = inspector("train", "--list")
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("  ")]
    assert [words[0] for words in lines] == registry.names()
    assert all(len(words) > 2 for words in lines)  # a name and its summary


def test_architecture_help_lists_its_own_and_the_common_options():
    result = inspector("train", "mlp", "--help")
    assert result.returncode == 0
    for option in ("--activation", "--depth", "--width", "--dropout", "--epochs",
                   "--batch-size", "--optimizer", "--lr", "--lr-decay", "--l2",
                   "--early-stopping", "--seed", "--dataset", "--quick", "--no-progress",
                   "--logdir", "--run-name", "--sweep"):
        assert option in result.stdout
    assert "leaky_relu" in result.stdout


def test_registry_and_cli_import_without_tensorflow():
    code = ("import sys, trainers.cli, trainers.registry as r; r.names(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("args, says", [
    (["train", "mlpp"], "did you mean mlp"),
    (["train"], "name an architecture"),
    (["train", "mlp", "--activation", "swish"], "'swish' is not one of"),
    (["train", "mlp", "--epochs", "many"], "expected an integer"),
    (["train", "mlp", "--lr", "-1"], "--lr must be at least 0"),
    (["train", "mlp", "--optimizer", "adamw"], "'adamw' is not one of"),
    (["train", "mlp", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "mlp", "--sweep", "colour=red,blue"], "'colour' is not an option"),
    (["train", "mlp", "--sweep", "activation=relu,swish"], "'swish' is not one of"),
    (["train", "mlp", "--sweep", "activation"], "expected KEY=V1,V2"),
    (["train", "mlp", "--sweep", "lr=0.1,0.2", "--lr", "0.3"], "give one"),
    (["train", "playground", "--features", "x1,x3"], "'x3' is not one of"),
    (["train", "softmax", "--run-name", "../outside"], "relative name inside the logdir"),
])
def test_user_mistakes_end_in_one_line_and_exit_2(args, says):
    result = inspector(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr
    assert result.stdout == ""


def test_sweep_plans_one_run_per_value_under_one_folder():
    plan = plan_runs(MlpConfig, {"quick": True}, ["activation=sigmoid,tanh,relu"], "acts")
    assert [name for name, _ in plan] == [
        "acts/activation=sigmoid", "acts/activation=tanh", "acts/activation=relu"]
    assert [values["activation"] for _, values in plan] == ["sigmoid", "tanh", "relu"]
    assert all(values["quick"] for _, values in plan)


def test_sweeps_over_two_keys_cover_every_combination():
    plan = plan_runs(MlpConfig, {}, ["optimizer=sgd,adam", "lr=0.1,0.01"], None)
    names = [name.split("/", 1)[1] for name, _ in plan]
    assert names == ["optimizer=sgd,lr=0.1", "optimizer=sgd,lr=0.01",
                     "optimizer=adam,lr=0.1", "optimizer=adam,lr=0.01"]
    assert len({name.split("/")[0] for name, _ in plan}) == 1  # one experiment folder
    assert plan[1][1] == {"optimizer": "sgd", "lr": 0.01}


def test_every_config_field_has_help_and_a_valid_default():
    for spec in registry.specs():
        config = spec.config_cls()  # defaults pass their own checks
        for f in dataclasses.fields(config):
            assert f.metadata.get("help"), f"{spec.name}.{f.name} has no help"


def test_sweeping_a_list_option_is_refused():
    from trainers.dense import PlaygroundConfig

    with pytest.raises(InspectorError, match="cannot be swept"):
        plan_runs(PlaygroundConfig, {}, ["features=x1,x2"], None)


def test_unknown_architecture_is_one_line_with_the_registrys_suggestion():
    result = inspector("train", "lenet", "--quick")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "did you mean lenet5" in result.stderr
    assert "invalid choice" not in result.stderr


def test_sweep_runs_are_named_by_the_value_that_differs(tmp_path):
    plan = plan_runs(MlpConfig, {}, ["activation=sigmoid,relu"], None)
    assert [name for name, _ in plan] == ["sweep/activation=sigmoid", "sweep/activation=relu"]
    assert free_sweep_folder(tmp_path, "mlp") == "sweep"
    (tmp_path / "mlp" / "sweep").mkdir(parents=True)
    (tmp_path / "mlp" / "sweep-2").mkdir()
    assert free_sweep_folder(tmp_path, "mlp") == "sweep-3"  # a second sweep never merges


def test_start_up_noise_is_filtered_and_other_lines_kept():
    text = ("WARNING: All log messages before absl::InitializeLog() is called are written to "
            "STDERR\n"
            "I0000 00:00:1.5 1 port.cc:153] oneDNN custom operations are on. You may see\n"
            "I0000 00:00:1.5 1 cudart_stub.cc:31] Could not find cuda drivers on your machine\n"
            "E0000 00:00:1.7 1 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA\n"
            "something the user must see\n")
    assert filter_noise(text) == "something the user must see\n"


def test_sweep_is_quiet_the_data_notice_once_and_verbose_keeps_tensorflow_noise(tmp_path):
    args = ("train", "softmax", "--quick", "--epochs", "1", "--limit", "200", "--no-progress",
            "--logdir", str(tmp_path))
    result = inspector(*args, "--sweep", "lr=0.1,0.2,0.3")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("full MNIST not used") == 1, result.stderr
    for noise in ("oneDNN", "cuda drivers", "cuInit", "absl::InitializeLog", "retracing"):
        assert noise not in result.stderr, result.stderr
    assert sorted(p.name for p in (tmp_path / "softmax" / "sweep").iterdir()) == [
        "lr=0.1", "lr=0.2", "lr=0.3"]
    verbose = inspector(*args, "--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert "oneDNN" in verbose.stderr or "cuda" in verbose.stderr.lower(), verbose.stderr
