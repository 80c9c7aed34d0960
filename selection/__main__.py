import sys

from selection.cli import main

sys.exit(main())
