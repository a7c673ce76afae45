"""The package as a whole: what imports TensorFlow, lazy names, public names."""

import subprocess
import sys

import pytest

TF_FREE = [
    "larq_ber",
    "larq_ber.tables",
    "larq_ber.storage",
    "larq_ber.study.results",
    "larq_ber.study.recipes",
    "larq_ber.study.plots",
    "larq_ber.palette",
    "larq_ber.mtj",
    "larq_ber.study.defaults",
    "larq_ber.rates",
    "larq_ber.study.progress",
    "larq_ber.study.sweeps.grid",
    "larq_ber.study.cli",
]


def _run(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("module", TF_FREE)
def test_tf_free_modules_import_no_tensorflow(module):
    out = _run(
        f"import sys, {module}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'larq', 'keras_tuner', 'larq_compute_engine')))"
    )
    assert out.strip() == "[]"


def test_a_recipe_loads_without_tensorflow(root):
    out = _run(
        "import sys\nfrom larq_ber.study.recipes import load_recipe\n"
        f"r = load_recipe({str(root / 'models/fig1_lenet4_mnist.toml')!r})\n"
        "print(r.model, 'tensorflow' in sys.modules)"
    )
    assert out.split() == ["lenet4", "False"]


def test_alias_is_registered_when_larq_comes_first_or_on_first_use():
    out = _run(
        "import larq as lq\nimport larq_ber\n"
        "print(type(lq.quantizers.get('ber_ste_sign')).__name__)"
    )
    assert out.strip() == "BerSteSign"
    out = _run(
        "import larq_ber\nimport larq as lq\nlarq_ber.BerSteSign\n"
        "print(type(lq.quantizers.get('ber_ste_sign')).__name__)"
    )
    assert out.strip() == "BerSteSign"


def test_no_import_hook_is_installed():
    out = _run(
        "import sys\nbefore = list(sys.meta_path)\nimport larq_ber, larq_ber.mtj\n"
        "print(sys.meta_path == before)"
    )
    assert out.strip() == "True"


def test_lazy_names_of_the_package():
    import larq_ber
    from larq_ber import quantizers

    assert larq_ber.BerSteSign is quantizers.BerSteSign
    assert larq_ber.set_ber is quantizers.set_ber
    assert larq_ber.quantizers is quantizers
    assert {"BerSteSign", "set_ber", "quantizers"} <= set(dir(larq_ber))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        larq_ber.nope  # noqa: B018


@pytest.mark.parametrize(
    "module", ["rates", "storage", "tables", "palette", "metrics", "flips", "kernel",
               "quantizers", "layers", "models", "callbacks", "errors", "export", "mtj",
               "study.results", "study.recipes", "study.plots", "study.defaults",
               "study.training", "study.runspec", "study.demo", "study.cli",
               "study.sweeps", "study.data"],
)  # fmt: skip
def test_every_module_declares_all(module):
    import importlib

    imported = importlib.import_module(f"larq_ber.{module}")
    assert imported.__all__, module
    for name in imported.__all__:
        assert getattr(imported, name) is not None, (module, name)
