"""``ls-backend`` commands, one module each (``cli.py`` wires the parser). New commands go here."""
