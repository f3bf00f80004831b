"""`python -m reports ...`: the same commands as `post-session-reports ...`."""

from reports.cli import main

main()
