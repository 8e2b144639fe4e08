"""Browser tests: sao and the mock KashFlow's pages in a real headless Chromium."""
