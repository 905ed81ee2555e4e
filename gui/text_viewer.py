"""Help › Read me and Help › Model card: a Markdown file in a read-only viewer, offline.

The README and the model card are Markdown files on disk (the card next to the model's
weights). Qt renders Markdown itself, pictures included (relative to the file's folder), so
nothing needs a browser or the network; links to other Markdown files next to it open in the
same viewer, web links are shown but not followed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget


def readme_path() -> Path | None:
    """The project's README (a source checkout has it next to the packages)."""
    candidate = Path(__file__).resolve().parent.parent / "README.md"
    return candidate if candidate.is_file() else None


class TextViewer(QDialog):
    def __init__(self, title: str, path: Path | None, missing: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setReadOnly(True)
        self.browser.setOpenLinks(False)  # offline: nothing leaves the app
        self.browser.anchorClicked.connect(self._link)
        self.where = QLabel()
        self.where.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.where)
        layout.addWidget(buttons)
        self.resize(820, 680)
        self.path: Path | None = None
        self.show_file(path, missing)

    def show_file(self, path: Path | None, missing: str = "") -> None:
        try:
            text = path.read_text(encoding="utf-8") if path is not None else None
        except (OSError, UnicodeDecodeError) as exc:
            text, missing = None, f"{path}: cannot be read ({exc})"
        if text is None:
            self.path = None
            self.browser.setPlainText(missing)
            self.where.setText("")
            return
        self.path = path
        self.browser.setSearchPaths([str(path.parent)])
        self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
        self.browser.setMarkdown(text)
        self.where.setText(str(path))

    def _link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            self.where.setText(f"{url.toString()} (a web link: open it in your browser)")
            return
        if self.path is None:
            return
        target = (self.path.parent / url.path()).resolve() if not url.isLocalFile() else \
            Path(url.toLocalFile())
        if target.suffix.lower() == ".md" and target.is_file():
            self.show_file(target)
        elif url.fragment():
            self.browser.scrollToAnchor(url.fragment())
        else:
            self.where.setText(f"{target} (open it from your file manager)")
