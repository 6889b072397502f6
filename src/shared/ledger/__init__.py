"""The task ledger: the record of tasks and their attempts that the API reads (issue 15)."""
