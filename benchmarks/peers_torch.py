"""The PyTorch side of `benchmarks/peers.py`: the paper's networks in PyTorch.

Written as PyTorch users write them, with Bernoulli sign flips on a
`torch.rand_like` mask.

Run by `peers.py` in a Python that has PyTorch (a virtual environment outside the
repository: its wheel brings gigabytes of CUDA libraries); it imports neither
TensorFlow nor larq-ber. It builds one model in one configuration and then answers
commands on stdin, one JSON object per line, with one JSON line on stdout:

    {"task": "train"}            -> {"seconds": ...}   one epoch, Adam, flips at BER
    {"task": "draw", "seed": 3}  -> {"seconds": ..., "accuracy": ...}
                                    one evaluation with flips at inference
    {"task": "plain"}            -> {"seconds": ..., "accuracy": ...}
                                    one evaluation without flips

    python benchmarks/peers_torch.py --model lenet4 --config eager --threads 2

Configurations: `eager` (NCHW tensors), `channels_last` (NHWC memory layout, which
oneDNN's convolutions prefer), `compile` (`torch.compile` of the model, inductor).
With `--device cuda` the model and the data live on the GPU. The data are random
(`numpy.random.default_rng(0)`), the same arrays as larq-ber's side, read from
memory in shuffled batches by indexing (no `DataLoader` workers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SHAPES = {"lenet4": (28, 28, 1), "nin": (32, 32, 3)}


class SignWithFlips(torch.autograd.Function):
    """sign(x) (+1 at 0), each sign flipped with probability `ber`.

    The gradient is the clipped straight-through estimator of the un-flipped sign.
    """

    @staticmethod
    def forward(ctx, x, ber):  # noqa: D102
        ctx.save_for_backward(x)
        signs = torch.where(x >= 0, 1.0, -1.0)
        if ber > 0:
            signs = torch.where(torch.rand_like(x) < ber, -signs, signs)
        return signs

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype), None


class MagnitudeAwareSign(torch.autograd.Function):
    """XNOR-Net weights: sign(w) times the mean |w| per output channel.

    The gradient is the clipped straight-through estimator.
    """

    @staticmethod
    def forward(ctx, w):  # noqa: D102
        ctx.save_for_backward(w)
        scale = w.abs().mean(dim=tuple(range(1, w.dim())), keepdim=True)
        return torch.where(w >= 0, 1.0, -1.0) * scale

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        (w,) = ctx.saved_tensors
        return grad * (w.abs() <= 1).to(grad.dtype)


class BinaryConv(nn.Module):
    """BatchNorm -> sign with flips -> [dropout] -> binary conv (+1 padding) -> ReLU."""

    def __init__(self, cin, cout, kernel, *, same=False, dropout=0.0, ber=0.0):
        super().__init__()
        self.norm = nn.BatchNorm2d(cin, eps=1e-4, momentum=0.1)
        self.conv = nn.Conv2d(cin, cout, kernel)
        self.apply_weight = F.conv2d
        self.pad = (kernel - 1) // 2 if same else 0
        self.dropout = dropout
        self.ber = ber
        self.flip_at_inference = 0.0  # the rate at inference, set for robustness

    def forward(self, x):  # noqa: D102
        x = self.norm(x)
        ber = self.ber if self.training else self.flip_at_inference
        x = SignWithFlips.apply(x, ber)
        if self.dropout:
            x = F.dropout(x, self.dropout, self.training)
        if self.pad:
            x = F.pad(x, [self.pad] * 4, value=1.0)
        weight = MagnitudeAwareSign.apply(self.conv.weight)
        return F.relu(self.apply_weight(x, weight, self.conv.bias))


class BinaryLinear(BinaryConv):
    """The same block on a flat input (BatchNorm1d, linear layer)."""

    def __init__(self, cin, cout, *, ber=0.0):
        super().__init__(cin, cout, 1, ber=ber)
        self.norm = nn.BatchNorm1d(cin, eps=1e-4, momentum=0.1)
        self.conv = nn.Linear(cin, cout)
        self.apply_weight = F.linear


def real_conv(cin, cout, kernel, padding=0):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=padding),
        nn.BatchNorm2d(cout, eps=1e-4, momentum=0.1),
        nn.ReLU(),
    )


def lenet4(ber):
    """Binarized LeNet-4 (28x28x1), as larq_ber.models.LeNet4.

    conv 20 -> BatchNorm -> pool -> ReLU -> binary conv 50 -> pool -> binary dense
    500 -> dense 10. Like larq-ber's, it pools before the first ReLU (the same
    function as ReLU then pool, and 2 % faster here too).
    """
    return nn.Sequential(
        nn.Conv2d(1, 20, 5),
        nn.BatchNorm2d(20, eps=1e-4, momentum=0.1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        BinaryConv(20, 50, 5, ber=ber),
        nn.MaxPool2d(2),
        nn.Flatten(),
        BinaryLinear(800, 500, ber=ber),
        nn.Linear(500, 10),
    )


def nin(ber):
    """Binarized Network-in-Network (32x32x3), as larq_ber.models.NiN."""
    return nn.Sequential(
        real_conv(3, 192, 5, padding=2),
        BinaryConv(192, 160, 1, ber=ber),
        BinaryConv(160, 96, 1, ber=ber),
        nn.MaxPool2d(3, 2, padding=1),
        BinaryConv(96, 192, 5, same=True, dropout=0.5, ber=ber),
        BinaryConv(192, 192, 1, ber=ber),
        BinaryConv(192, 192, 1, ber=ber),
        nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
        BinaryConv(192, 192, 3, same=True, dropout=0.5, ber=ber),
        BinaryConv(192, 192, 1, ber=ber),
        nn.BatchNorm2d(192, eps=1e-4, momentum=0.1),
        nn.Conv2d(192, 10, 1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


class Bench:
    """One model in one configuration, with its data, answering the commands."""

    def __init__(self, args):
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        shape = SHAPES[args.model]
        rng = np.random.default_rng(0)
        x = rng.standard_normal((args.images, *shape)).astype("float32")
        y = rng.integers(0, 10, args.images)
        self.device = torch.device(args.device)
        self.x = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).to(self.device)
        self.y = torch.from_numpy(y).to(self.device)
        self.net = (lenet4 if args.model == "lenet4" else nin)(args.ber)
        self.net = self.net.to(self.device)
        self.binary = [m for m in self.net.modules() if isinstance(m, BinaryConv)]
        if args.config == "channels_last":
            self.net = self.net.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        self.model = torch.compile(self.net) if args.config == "compile" else self.net
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.batch = args.batch
        self.ber = args.ber

    def train(self, _command):
        """One epoch of Adam on shuffled batches, flips at the training BER."""
        self.model.train()
        order = torch.randperm(len(self.x), device=self.device)
        for start in range(0, len(self.x), self.batch):
            index = order[start : start + self.batch]
            loss = F.cross_entropy(self.model(self.x[index]), self.y[index])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            with torch.no_grad():  # larq's weight_clip
                for block in self.binary:
                    block.conv.weight.clamp_(-1.0, 1.0)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return {}

    def evaluate(self, ber):
        """Accuracy over the images with flips at `ber` at inference."""
        for block in self.binary:
            block.flip_at_inference = ber
        self.model.eval()
        correct = 0
        with torch.inference_mode():
            for start in range(0, len(self.x), self.batch):
                batch = slice(start, start + self.batch)
                logits = self.model(self.x[batch])
                correct += int((logits.argmax(1) == self.y[batch]).sum())
        for block in self.binary:
            block.flip_at_inference = 0.0
        return {"accuracy": correct / len(self.x)}

    def draw(self, command):
        """One robustness draw: the random stream seeded, flips at inference."""
        torch.manual_seed(command.get("seed", 0))
        return self.evaluate(self.ber)

    def plain(self, _command):
        """One evaluation without flips."""
        return self.evaluate(0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=SHAPES, default="lenet4")
    parser.add_argument("--config", choices=["eager", "channels_last", "compile"],
                        default="eager")  # fmt: skip
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--ber", type=float, default=0.04)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    bench = Bench(args)
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        start = time.perf_counter()
        result = getattr(bench, command["task"])(command)
        result["seconds"] = time.perf_counter() - start
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
