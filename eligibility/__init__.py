"""Who is entitled to a policy item, and why: a pure core (standard library and ``rules`` only).

``uscc`` checks a 统一社会信用代码; ``industries`` knows GB/T 4754's doors and major classes; ``fields`` turns an
enterprise's profile into the facts rules read (and says which are missing or stale); ``evaluation`` decides an
item's rules in three values (holds, fails, unknown) and gives the result with its trace; ``benefits`` estimates
what an enterprise would get. The app (``app.profiles``, ``app.policy``) turns rows into these plain values.
"""
