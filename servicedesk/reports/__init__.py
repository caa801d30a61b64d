"""Service-level reports (issue 12): compliance, breaches, supplier compliance, volumes, trend."""
