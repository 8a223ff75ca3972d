"""One module per subcommand, each with ``add_parser(subparsers)`` and ``run(args) -> exit code``.

``run`` returns the code of a result (0, or 1 for a failed gate, 2 for validate's problems) and raises a
``models.AvstandError`` for anything else; ``avstand.cli.main`` says it and exits with its code.
"""
