"""Real-browser tests (Playwright + Chromium): the walks of issue 8, accessibility, hostile text."""
