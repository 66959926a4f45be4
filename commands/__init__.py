"""The domain core: command declarations, the operations they call and the Weaviate REST client.

Nothing here touches a terminal: no printing, prompting, argv, environment or
config files, and no ``sys.exit``. Operations return data; ``shell/`` renders it.
"""
