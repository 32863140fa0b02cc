"""The auditor's page: the hash-chained audit log, its verification and its export."""
