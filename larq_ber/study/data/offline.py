"""Whether a dataset can be had here: prepared on disk, or its download host reachable.

A TFDS dataset that is not prepared in the data directory is downloaded on first
use; on a machine without network TFDS would retry that download for many minutes.
`check_obtainable(name, data_dir)` fails within seconds instead, with one line
saying which dataset, where it was looked for, how to get it and which datasets
work offline. `reachable` is the one network probe (a single TCP connect with a
timeout); tests replace it. `available_offline` says whether a name loads with no
network at all (what `larq-ber recipes` shows). No TensorFlow here.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from larq_ber.study.data.contracts import DataError
from larq_ber.study.data.registry import (
    _TFDS,
    FASHION_MNIST_DIR,
    _local_copy,
    _parse_name,
)

__all__ = [
    "DOWNLOAD_HOSTS",
    "PROBE_TIMEOUT",
    "available_offline",
    "check_download",
    "check_obtainable",
    "reachable",
    "tfds_root",
]

#: Seconds the probe waits for a connection (name lookup included).
PROBE_TIMEOUT = 3.0

#: The host and port each TFDS dataset is downloaded from (TFDS's URLs; MNIST's is
#: Google's CVDF mirror on storage.googleapis.com, which also serves TFDS's files).
DOWNLOAD_HOSTS = {
    "mnist": ("storage.googleapis.com", 443),
    "fashion_mnist": ("fashion-mnist.s3-website.eu-central-1.amazonaws.com", 80),
    "cifar10": ("www.cs.toronto.edu", 443),
    "cifar100": ("www.cs.toronto.edu", 443),
    "svhn_cropped": ("ufldl.stanford.edu", 80),
}
_GCS = ("storage.googleapis.com", 443)
#: The files TFDS's ImageNet builder reads from `<data_dir>/downloads/manual`.
_IMAGENET_FILES = ("ILSVRC2012_img_train.tar", "ILSVRC2012_img_val.tar")

_OFFLINE = (
    "offline alternatives: 'digits' (bundled with scikit-learn), 'fashion_mnist' "
    f"from Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist; "
    f"read from {FASHION_MNIST_DIR}), 'idx:<folder of MNIST-format IDX files>', "
    "'npz:<file saved by numpy.savez>'"
)


def reachable(host: str, port: int = 443, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether a TCP connection to `host:port` opens within `timeout` seconds.

    The name lookup and the connect run in a background thread, so a resolver
    that hangs cannot hold the caller past `timeout`.

    Args:
        host: Host name or address.
        port: TCP port.
        timeout: Seconds to wait at most.

    Returns:
        `True` if the connection opened (it is closed at once), else `False`.
    """
    opened = threading.Event()

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                opened.set()
        except OSError:
            pass

    threading.Thread(target=connect, daemon=True).start()
    return opened.wait(timeout)


def tfds_root(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The TFDS data directory: `data_dir`, else `$TFDS_DATA_DIR`, else TFDS's default.

    Args:
        data_dir: The directory given to `load`, if any.

    Returns:
        The folder TFDS reads prepared datasets from.

    Example:
        >>> str(tfds_root("/data/tfds"))
        '/data/tfds'
    """
    if data_dir is not None:
        return Path(data_dir)
    default = os.path.expanduser("~/tensorflow_datasets")
    return Path(os.environ.get("TFDS_DATA_DIR", default))


def _prepared(tfds_name: str, root: Path) -> bool:
    """Whether some version of a TFDS dataset is prepared under `root`."""
    return any((root / tfds_name).glob("**/dataset_info.json"))


def available_offline(
    name: str, data_dir: str | os.PathLike[str] | None = None
) -> bool:
    """Whether a dataset loads here without any network access.

    Local sources (`digits`, `idx:`, `npz:`, a local copy of `fashion_mnist`)
    count when their files exist; a TFDS dataset when some version of it is
    prepared in the data directory (ImageNet subsets: `imagenet2012`).

    Args:
        name: A dataset name (see `larq_ber.study.data`).
        data_dir: TFDS data directory; TFDS's default when `None`.

    Returns:
        `True` if nothing has to be downloaded.

    Raises:
        ValueError: For an unknown or malformed name.

    Example:
        >>> available_offline("digits")
        True
    """
    kind, detail = _parse_name(name)
    if kind == "digits":
        return True
    if kind in ("idx", "npz"):
        return Path(detail).exists()
    tfds_name = "imagenet2012" if kind == "subset" else _TFDS[detail].tfds_name
    if kind == "tfds" and _local_copy(detail) is not None:
        return True
    return _prepared(tfds_name, tfds_root(data_dir))


def check_download(name: str, tfds_name: str, root: Path) -> None:
    """Raises a one-line `DataError` if a TFDS dataset cannot be downloaded now.

    Called before TFDS downloads a dataset that is not prepared under `root`:
    ImageNet needs its files in `<root>/downloads/manual`; the others need their
    download host (or TFDS's mirror) to answer `reachable`.

    Args:
        name: The dataset's name as given to `load` (for the message).
        tfds_name: Its TFDS name.
        root: The TFDS data directory it was looked for in.

    Raises:
        DataError: Naming the dataset, `root`, how to get the data and the
            datasets that need no network.
    """
    what = f"dataset {name!r}" + (f" (TFDS {tfds_name!r})" if tfds_name != name else "")
    if tfds_name == "imagenet2012":
        manual = root / "downloads" / "manual"
        if all((manual / file).is_file() for file in _IMAGENET_FILES):
            return
        raise DataError(
            f"{what} is not prepared in {root} and needs a manual download: put "
            f"{' and '.join(_IMAGENET_FILES)} (from image-net.org) into {manual}, "
            f"or pass the --data-dir that holds it prepared; {_OFFLINE}."
        )
    host, port = DOWNLOAD_HOSTS.get(tfds_name, _GCS)
    if reachable(host, port) or ((host, port) != _GCS and reachable(*_GCS)):
        return
    how = (
        "apt-get install dataset-fashion-mnist (read offline), or "
        if tfds_name == "fashion_mnist"
        else ""
    )
    raise DataError(
        f"{what} is not prepared in {root} and {host} cannot be reached (no network?): "
        f"{how}run once with network access, or `tfds build {tfds_name} --data_dir "
        f"{root}` where there is network and copy {root / tfds_name} here, or pass the "
        f"--data-dir that holds it; {_OFFLINE}."
    )


def check_obtainable(name: str, data_dir: str | os.PathLike[str] | None = None) -> None:
    """Raises a one-line `DataError` if a dataset is neither here nor downloadable.

    Nothing is downloaded: a dataset that loads offline passes at once, a TFDS
    dataset that is missing passes if its download host answers within
    `PROBE_TIMEOUT` seconds (`check_download`).

    Args:
        name: A dataset name (see `larq_ber.study.data`).
        data_dir: TFDS data directory; TFDS's default when `None`.

    Raises:
        DataError: If the data is missing and cannot be downloaded now; the
            message says where it was looked for and what to do.
        ValueError: For an unknown or malformed name.

    Example:
        >>> check_obtainable("digits")  # offline: no probe, no error
    """
    kind, detail = _parse_name(name)
    if kind in ("digits", "idx", "npz") or available_offline(name, data_dir):
        return  # local files: a missing one is reported when read
    tfds_name = "imagenet2012" if kind == "subset" else _TFDS[detail].tfds_name
    check_download(name, tfds_name, tfds_root(data_dir))
