"""Application services: turn requests' intentions into database changes, one place each."""
