"""One module per ``ls-backend`` command: ``add_parser(sub)`` declares its options, ``run(args)`` does it
and returns the exit status, or raises; :mod:`ls_backend.cli` turns the exception's type into the exit
status (:data:`ls_backend.commands.errors.EXIT_CODES`)."""
