"""`python -m bot` runs the review-forge CLI."""

import sys

from bot.cli import main

sys.exit(main())
