"""``python -m ls_backend.demo`` (``make demo``)."""
import sys

from ls_backend.demo import main

sys.exit(main())
