"""The user interface: argv, terminals, prompt_toolkit, rich, XDG paths and exit codes.

Thin on logic: it parses process flags, builds the session and hands every line to
``commands.dispatch.Dispatcher``.
"""
