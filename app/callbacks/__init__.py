"""The independent call-back check (回访抽查): a verifiable random sample of closed cases per department, an
anonymous one-page check sent to each raiser by SMS, and per department what was claimed solved against what the
raisers confirm (issue 16, point 6)."""
