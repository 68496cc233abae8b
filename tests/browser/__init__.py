"""Browser journeys: Playwright drives Chromium against the live test server."""
