"""Staff account administration (admins) and the own-password page (every account)."""
