"""The composition root of the command line: the `fieldcrew` command."""
