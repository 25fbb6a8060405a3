"""`python -m review_forge.bot` runs the review-forge CLI."""

import sys

from review_forge.bot.cli import main

sys.exit(main())
