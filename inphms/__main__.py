"""`python -m inphms [command] [options]`: the same as `python inphms-bin`."""
import sys

from inphms.cli import main

sys.exit(main())
