"""Casework: what a department is asked to handle by a deadline, and how well it kept its deadlines.

This is the seed of the casework engine. Today its cases are complaint assignments (``app.complaints``)
and follow-ups of dissatisfied real-time ratings (``app.realtime``); both take their deadline rules
(``deadlines``) and their per-department figures (``figures``) from here, so that a later kind of case
(an entrepreneurs' forum question, a policy application, one inbox per department liaison) grows from
one copy of them.
"""
