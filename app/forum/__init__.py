"""The entrepreneurs' forum (企业家恳谈会): meetings, invitations (chosen and drawn), the problems raised, their
assignment and follow-up on the casework engine, the public ledger and the meeting report."""
