"""Third-party files shipped with the harness (see README.md): a package so that its data files install."""
