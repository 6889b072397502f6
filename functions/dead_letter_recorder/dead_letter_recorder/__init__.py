"""DeadLetterRecorderFunction: records each dead letter in the ledger as it arrives."""
