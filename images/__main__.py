"""`python -m images`: build every image the e2e needs (see images/build.py)."""

import sys

from images.build import main

sys.exit(main())
