"""Keeping the data healthy over time: backups and restores, retention, rotating the phone key."""
