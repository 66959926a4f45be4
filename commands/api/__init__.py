"""The Weaviate REST client (the only module that imports httpx)."""
