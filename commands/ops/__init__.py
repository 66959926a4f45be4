"""The operations core: typed functions ``(RestClient, ...) -> data``. They never print."""
