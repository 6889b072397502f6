"""Job modules of this product; every module here is imported at start-up."""
