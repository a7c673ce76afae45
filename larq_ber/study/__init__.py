"""The paper's experiments as an app: recipes, sweeps, tables, figures, a CLI.

Built on the plugin (`larq_ber`), which never imports this package:

- `recipes` and `defaults`: what to train (TOML recipes, the paper's settings);
- `training`: optimizers, schedules, compiled models;
- `data`: datasets by name (TFDS, local files, the offline digits);
- `sweeps`: the BER grid × repeats, crash-safe and distributed (keras-tuner),
  with robustness evaluation of the trained runs;
- `runspec`: a run's `run.json` read back and its network rebuilt;
- `results` and `plots`: a sweep folder's tables and the paper's figures;
- `deployment`: a run exported to Larq Compute Engine;
- `demo`, `progress` and `cli`: the `larq-ber` command line.
"""
