"""The questionnaire builder pages (designers)."""
