import sys

from nlpsuite.cli import main

sys.exit(main())
