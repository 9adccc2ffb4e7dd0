"""`python -m ingest.cli`: the `naap` command, for where the console script is not on PATH."""

import sys

from ingest.cli.main import main

sys.exit(main())
