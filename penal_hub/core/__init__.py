"""The bottom layer: settings, warehouse connections, permissions, pseudonyms. Imports nothing else of the hub."""
