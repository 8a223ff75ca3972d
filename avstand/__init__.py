"""The ``avstand`` command-line program: one entry point, a subcommand per job."""

__all__ = ["__version__"]

__version__ = "0.1.0"
