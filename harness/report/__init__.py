"""Reports: the claims report document, its findings and its renderings (Markdown, HTML, JUnit)."""
