"""Offline, a missing TFDS dataset fails within seconds with one line of advice.

No test here touches the network: the probe `offline.reachable` is replaced
(conftest makes every host "answer"; these tests make them silent), except for
two connections to this machine's loopback interface.
"""

import socket
import time

import pytest

from larq_ber.study.data import (
    DataError,
    available_offline,
    check_obtainable,
    load,
    offline,
)

#: The real probe, taken before conftest's fixture replaces it in each test.
REACHABLE = offline.reachable
ALTERNATIVES = ("'digits'", "dataset-fashion-mnist", "'idx:", "'npz:")


@pytest.fixture
def offline_machine(monkeypatch):
    """No host answers; the hosts asked are recorded."""
    asked = []

    def silent(host, port=443, timeout=3):
        asked.append((host, port))
        return False

    monkeypatch.setattr(offline, "reachable", silent)
    return asked


@pytest.fixture
def no_probe(monkeypatch):
    """A probe that fails the test if anything asks the network."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the network was probed")

    monkeypatch.setattr(offline, "reachable", forbidden)


def _prepare(root, tfds_name="mnist", version="3.0.1"):
    folder = root / tfds_name / version
    folder.mkdir(parents=True)
    (folder / "dataset_info.json").write_text("{}")


def test_load_fails_within_seconds_with_one_line_saying_what_to_do(
    tmp_path, offline_machine
):
    start = time.monotonic()
    with pytest.raises(DataError) as raised:
        load("mnist", split="train", batch_size=8, data_dir=tmp_path)
    assert time.monotonic() - start < 3
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"dataset 'mnist' is not prepared in {tmp_path}")
    assert "storage.googleapis.com cannot be reached" in message
    assert f"tfds build mnist --data_dir {tmp_path}" in message
    assert "run once with network access" in message
    assert all(alternative in message for alternative in ALTERNATIVES)
    assert offline_machine == [("storage.googleapis.com", 443)]
    assert not any(tmp_path.rglob("*.tfrecord*"))  # nothing was downloaded


def test_the_message_names_the_tfds_dataset_and_the_local_way_to_fashion_mnist(
    tmp_path, offline_machine
):
    with pytest.raises(DataError, match=r"'svhn_extra' \(TFDS 'svhn_cropped'\)"):
        load("svhn_extra", split="test", batch_size=8, data_dir=tmp_path)
    assert offline_machine[0] == ("ufldl.stanford.edu", 80)
    assert offline_machine[1] == ("storage.googleapis.com", 443)  # TFDS's mirror
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        check_obtainable("fashion_mnist", tmp_path)


def test_tfds_data_dir_from_the_environment_is_where_it_looks(
    tmp_path, monkeypatch, offline_machine
):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "env"))
    with pytest.raises(DataError, match=f"not prepared in {tmp_path / 'env'} "):
        check_obtainable("cifar10")


def test_what_is_here_passes_without_asking_the_network(tmp_path, no_probe):
    for name in ("digits", f"idx:{tmp_path}/none", f"npz:{tmp_path}/none.npz"):
        check_obtainable(name, tmp_path)  # local files: errors come when read
    _prepare(tmp_path)
    check_obtainable("mnist", tmp_path)
    assert available_offline("mnist", tmp_path)
    assert not available_offline("cifar10", tmp_path)
    assert available_offline("digits") and not available_offline(f"npz:{tmp_path}/x")


def test_a_reachable_host_lets_tfds_download(tmp_path):
    check_obtainable("cifar100", tmp_path)  # conftest: every host answers


def test_imagenet_needs_its_manual_files_not_the_network(tmp_path, no_probe):
    subset = "imagenet2012:classes=10,subset_seed=0"
    with pytest.raises(DataError) as raised:
        check_obtainable(subset, tmp_path)
    message = str(raised.value)
    assert "\n" not in message and "manual download" in message
    assert str(tmp_path / "downloads" / "manual") in message
    assert "'digits'" in message
    manual = tmp_path / "downloads" / "manual"
    manual.mkdir(parents=True)
    for name in ("ILSVRC2012_img_train.tar", "ILSVRC2012_img_val.tar"):
        (manual / name).write_bytes(b"")
    check_obtainable(subset, tmp_path)
    assert not available_offline(subset, tmp_path)
    _prepare(tmp_path, "imagenet2012", "5.1.0")
    assert available_offline(subset, tmp_path)


def test_a_local_fashion_mnist_copy_counts_as_offline(tmp_path, monkeypatch, no_probe):
    monkeypatch.setenv("LARQ_BER_FASHION_MNIST_DIR", str(tmp_path))
    assert available_offline("fashion_mnist", tmp_path / "tfds")
    check_obtainable("fashion_mnist", tmp_path / "tfds")


def test_the_probe_is_one_bounded_connection():
    """Loopback only: a listening port answers, a closed one does not."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert REACHABLE("127.0.0.1", port, timeout=2)
    start = time.monotonic()
    assert not REACHABLE("127.0.0.1", port, timeout=2)  # closed now
    assert time.monotonic() - start < 2.5
