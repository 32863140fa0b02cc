"""Assessment: weighted scores, rankings, dashboards and the HR export (issue #7)."""
