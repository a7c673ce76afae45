"""The normalisation statistics of the datasets, as the reference code uses them.

Each value is a per-channel mean or standard deviation of the training pixels
scaled to [0, 1]; `larq_ber.study.data.load` subtracts the mean and divides by the
standard deviation. Plain numbers: nothing here imports numpy or TensorFlow.
"""

from __future__ import annotations

__all__ = [
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "CIFAR100_MEAN",
    "CIFAR100_STD",
    "FASHION_MNIST_MEAN",
    "FASHION_MNIST_STD",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MNIST_MEAN",
    "MNIST_STD",
    "SVHN_MEAN",
    "SVHN_STD",
]

#: Mean of MNIST training pixels scaled to [0, 1] (the reference normalisation).
MNIST_MEAN = 0.1307
#: Standard deviation of MNIST training pixels scaled to [0, 1].
MNIST_STD = 0.3081

# Fashion-MNIST's statistics are those of its 60,000 training images scaled to
# [0, 1], as installed by Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1
# (the IDX files TFDS downloads too). Measured (0.28604060, 0.35302424) with
#   python -c "from larq_ber.study.data import read_idx; x = read_idx('/usr/share/\
#   datasets/fashion-mnist', 'train')[0] / 255; print(x.mean(), x.std())"
#: Mean of Fashion-MNIST training pixels scaled to [0, 1].
FASHION_MNIST_MEAN = 0.2860
#: Standard deviation of Fashion-MNIST training pixels scaled to [0, 1].
FASHION_MNIST_STD = 0.3530

#: Per-channel (R, G, B) mean of CIFAR-10 training pixels.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
#: Per-channel standard deviation of CIFAR-10 training pixels.
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
#: Per-channel mean of CIFAR-100 training pixels.
CIFAR100_MEAN = (0.5071, 0.4865, 0.4409)
#: Per-channel standard deviation of CIFAR-100 training pixels.
CIFAR100_STD = (0.2673, 0.2564, 0.2762)
#: Per-channel mean of SVHN pixels.
SVHN_MEAN = (0.4377, 0.4438, 0.4728)
#: Per-channel standard deviation of SVHN pixels.
SVHN_STD = (0.1980, 0.2010, 0.1970)
#: Per-channel mean of ImageNet pixels (torchvision's reference values).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
#: Per-channel standard deviation of ImageNet pixels.
IMAGENET_STD = (0.229, 0.224, 0.225)
