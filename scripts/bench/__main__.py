"""`python -m scripts.bench` (what `make bench` runs)."""

import sys

from scripts.bench.run import main

sys.exit(main())
