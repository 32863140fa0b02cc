"""The independent call-back check (回访抽查): a verifiable random sample of closed cases per department, an
anonymous one-page check sent to each raiser by SMS, and per department what was claimed solved against what the
raisers confirm (issue 16, point 6). The same mechanism, with the purpose ``delivery``, is the 兑现回访 of policy
applications paid or delivered: received or not, the amount, the visits to a window (issue 18, point 8)."""
