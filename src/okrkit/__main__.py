"""`python -m okrkit` runs the `okrkit` command."""

from okrkit.cli import main

main()
