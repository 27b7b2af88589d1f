"""`python -m pipeline.cli` runs the `pipeline` command."""

import sys

from pipeline.cli import main

sys.exit(main())
