"""Staff accounts: login and sessions, the second factor, passwords, the administrators' account pages."""
