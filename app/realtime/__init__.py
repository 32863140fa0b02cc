"""Real-time ratings at service windows: public rating pages, posters, review and follow-up."""
