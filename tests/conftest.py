"""Shared pytest configuration."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "book: builds the Jupyter Book and checks the rendered pages in headless "
        "Chromium (slow; deselect with -m 'not book')",
    )
