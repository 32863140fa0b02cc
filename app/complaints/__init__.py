"""The business-environment complaints centre: public intake and tracking, back office, analysis."""
