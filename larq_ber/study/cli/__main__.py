"""`python -m larq_ber.study.cli`: the `larq-ber` command line."""

import sys

from larq_ber.study.cli import main

sys.exit(main())
