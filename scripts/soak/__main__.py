"""`python -m scripts.soak` (what `make soak` runs)."""

import sys

from scripts.soak.run import main

sys.exit(main())
