"""Output formats every command accepts; its own module so that the process flags can name
them without loading the command parser."""

FORMATS = ("table", "json", "yaml")
