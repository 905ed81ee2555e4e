"""composer's desktop app (PySide6). The library ``composer`` never imports this package."""
